/* search-query.h: the query syntax users type in the search box, parsed into a description and
 * filters.
 *
 *     beach "red car" after:2019-06 before:2020 camera:pixel -people -"power lines"
 *
 * - Words and "quoted phrases" form the description the text encoder reads,
 *   in the order typed, joined by single spaces.
 * - -word and -"a phrase" are negative terms: photos that match them score
 *   lower (SearchRequest.negatives).
 * - Filters, key:value with the key in any case, the value optionally quoted
 *   (folder:"Summer 2019"); several values of one key mean any of them:
 *     after:DATE    taken on or after the start of DATE
 *     before:DATE   taken before the start of DATE
 *                   DATE is 2019, 2019-06 or 2019-06-15 ('/' or '.' also
 *                   separate), so after:2019-06 before:2020 is June to
 *                   December 2019 (as in Gmail's after:/before:);
 *     camera:TEXT   TEXT appears in the camera's make or model, any case;
 *     folder:NAME   a folder on the photo's path is named NAME (any case),
 *                   or, when NAME holds a '/', the folder path contains NAME;
 *     type:T[,T…]   the file type: jpeg (jpg), png, heif (heic), avif, webp,
 *                   gif, tiff (tif), bmp;
 *     has:location  the photo has GPS coordinates; -has:location: it has none.
 * - key:value with an unknown key is text ("re:union", "10:30"), so only the
 *   keys above are reserved.
 * Typos in a filter's value are errors that name the term, so that a filter
 * never silently becomes text.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SEARCH_QUERY_ERROR (search_query_error_quark())
GQuark search_query_error_quark(void);

typedef enum {
    SEARCH_QUERY_ERROR_INVALID, /* a filter with a missing or malformed value */
} SearchQueryError;

typedef enum {
    SEARCH_HAS_ANY,
    SEARCH_HAS_YES,
    SEARCH_HAS_NO,
} SearchHas;

typedef struct {
    char *text;           /* the description; "" when the query is only filters */
    GPtrArray *negatives; /* char*: negative terms */
    char *taken_from;     /* "YYYY-MM-DDT00:00:00", inclusive, or NULL */
    char *taken_before;   /* exclusive, or NULL */
    GPtrArray *cameras;   /* char*, case-folded */
    GPtrArray *folders;   /* char*, case-folded */
    GPtrArray *types;     /* char*: LibraryPhotoInfo.format names */
    SearchHas location;
} SearchQuery;

/* What the filters look at, for one photo. */
typedef struct {
    const char *path;
    const char *format; /* "jpeg", "png", …; may be NULL */
    const char *taken;  /* "YYYY-MM-DDTHH:MM:SS", or NULL: no date filter matches */
    const char *camera_make, *camera_model; /* may be NULL */
    gboolean has_location;
} SearchPhotoFacts;

SearchQuery *search_query_parse(const char *input, GError **error);
void search_query_free(SearchQuery *query);

/* TRUE when the query restricts which photos may match. */
gboolean search_query_has_filters(const SearchQuery *query);
gboolean search_query_matches(const SearchQuery *query, const SearchPhotoFacts *facts);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SearchQuery, search_query_free)

G_END_DECLS
