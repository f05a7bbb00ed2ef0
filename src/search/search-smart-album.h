/* search-smart-album.h: smart albums: a saved description, refined by example photos.
 *
 * The album is stored (library-store.h: name, description, positive and
 * negative example photos); its members are computed from the library each
 * time it is shown, so it updates as photos arrive. The description is a
 * search query (search-query.h: filters such as after:2019 or camera:pixel
 * apply). The query vector follows Rocchio's relevance feedback (SMART's
 * customary weights): q' = q + 0.75 · mean(positives) − 0.15 · mean(negatives),
 * normalised, q being the description's embedding. Members are the photos
 * the relevance rule (search-relevance.h) calls strong matches for q', plus
 * every positive example, minus every negative one, best first.
 */
#pragma once

#include "library/library-store.h"
#include "search/search-library.h"
#include "search/search-text.h"

G_BEGIN_DECLS

#define SEARCH_ROCCHIO_POSITIVE 0.75f
#define SEARCH_ROCCHIO_NEGATIVE 0.15f

/* The members of a smart album in the library (NULL with error when the
 * description does not parse or cannot be encoded). */
SearchResults *search_smart_album_members(SearchLibrary *library, LibraryStore *store,
                                          const SearchTextEncoder *encoder,
                                          const LibrarySmartAlbum *album, GError **error);

G_END_DECLS
