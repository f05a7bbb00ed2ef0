/* search-albums.h: zero-shot auto-albums from a taxonomy of categories and their prompts.
 *
 * A taxonomy (data/albums/taxonomy.json; models may ship their own) lists
 * albums, each a translatable English name, a group and its subjects (what
 * the album holds: "a cow", "sheep", "a goat" for farm animals); the prompt
 * templates ("a photo of {}.", "a blurry photo of {}.", …) phrase each
 * subject. A subject's class vector is the ensemble of its phrasings
 * (search_encode_ensemble: CLIP's prompt ensembling), and a photo's album
 * score s_a is its best cosine over the album's subjects: an album is a
 * union of subjects, and averaging a red background with seven other colours
 * would match none of them. The "none of these" background is one ensemble.
 *
 * Membership, per photo, multi-label. With s_a the photo's album score for
 * a, s_0 its cosine with the background, and T the model's logit scale (CLIP's learned
 * softmax temperature, 100 for OpenAI's models), the softmax over one group's
 * albums plus the background gives p_a ∝ exp(T·s_a). The photo joins album a
 * when both hold:
 *   - absolutely: p_a > p_0, i.e. s_a > s_0: the album describes the photo
 *     better than "none of these" does;
 *   - relative to the other albums of its group: p_a ≥ p_best / 10, i.e.
 *     s_a ≥ s_best − ln(10) / T: within an order of magnitude of the group's
 *     most probable album, so a dog on a beach can be in both "Dogs" and
 *     "Beach" (different groups) and a photo torn between two scenes of one
 *     group in both, but not in every album that beats the background a little.
 * Groups are a taxonomy's facets (scenes, subjects, events, …; for the demo
 * world colour, shape, count, background): albums of different groups do not
 * compete.
 *
 * SigLIP models score each (photo, album) pair on its own: their sigmoid
 * p_a = sigmoid(T·s_a + b) (T, b the model's logit scale and bias) is a
 * calibrated probability that the album's subject is in the photo, and
 * albums are not exclusive, so the photo joins every album with
 * p_a ≥ SEARCH_ALBUM_MIN_PROBABILITY; neither the background nor the
 * group's softmax enters.
 */
#pragma once

#include "library/library-store.h"
#include "search/search-index.h"
#include "search/search-relevance.h"
#include "search/search-text.h"

G_BEGIN_DECLS

#define SEARCH_TAXONOMY_ERROR (search_taxonomy_error_quark())
GQuark search_taxonomy_error_quark(void);

typedef enum {
    SEARCH_TAXONOMY_ERROR_INVALID, /* not a taxonomy: the message names the file and the album */
} SearchTaxonomyError;

typedef struct {
    char *name;         /* English source string; the app translates it (gettext) */
    char *group;        /* "" when the taxonomy gives none */
    guint group_id;     /* index of the group, in order of first appearance */
    GPtrArray *prompts; /* char*: subject by subject, each with every template */
    guint n_templates, n_subjects;
} SearchAlbum;

typedef struct {
    GPtrArray *albums;     /* SearchAlbum* */
    GPtrArray *background; /* char*: the "none of these" prompts */
    guint n_groups;
    char *checksum; /* SHA-256 of the file: album vectors are cached by it */
} SearchTaxonomy;

SearchTaxonomy *search_taxonomy_load(const char *path, GError **error);
void search_taxonomy_free(SearchTaxonomy *taxonomy);

/* The taxonomy of a model: <model_dir>/taxonomy.json when the model ships
 * one, else <albums_dir>/<model_name>-taxonomy.json (demo-taxonomy.json for
 * the demo model), else <albums_dir>/taxonomy.json. NULL when none exists. */
char *search_taxonomy_find(const char *model_dir, const char *model_name, const char *albums_dir);

typedef struct {
    uint32_t n_albums, n_subjects, dim;
    uint32_t *first;   /* (n_albums + 1): album a's subjects are [first[a], first[a + 1]) */
    float *subjects;   /* (n_subjects, dim), normalised */
    float *background; /* (dim), normalised */
} SearchAlbumVectors;

gboolean search_album_vectors_encode(const SearchTaxonomy *taxonomy,
                                     const SearchTextEncoder *encoder, SearchAlbumVectors *out,
                                     GError **error);

/* Encoding a big model's taxonomy (some 2,600 prompts) takes a while: done of
 * total prompts, called with done = 0 before the first and done = total after
 * the last, on the encoding thread. */
typedef void (*SearchAlbumsProgressFunc)(guint done, guint total, gpointer user_data);

/* search_album_vectors_encode, telling progress (may be NULL). */
gboolean search_album_vectors_encode_full(const SearchTaxonomy *taxonomy,
                                          const SearchTextEncoder *encoder,
                                          SearchAlbumsProgressFunc progress, gpointer progress_data,
                                          SearchAlbumVectors *out, GError **error);
/* A cache file of the vectors, valid for one model id and taxonomy checksum:
 * encoding a taxonomy's thousand prompts takes a while on a CPU. Loading
 * returns FALSE (no error) when the file is absent or for another key. */
gboolean search_album_vectors_load(const char *path, const char *key, SearchAlbumVectors *out);
gboolean search_album_vectors_save(const char *path, const char *key,
                                   const SearchAlbumVectors *vectors, GError **error);
void search_album_vectors_clear(SearchAlbumVectors *vectors);

/* A photo's album scores: for each album its best cosine over its subjects.
 * x: (dim), normalised; scores: (n_albums). */
void search_album_scores(const SearchAlbumVectors *vectors, const float *x, float *scores);

/* A SigLIP album member's least probability: the album prompts are whole
 * captions ("a photo of a dog."), which SigLIP scores higher than short
 * search queries, so the bar is the same as search's strong matches. */
#define SEARCH_ALBUM_MIN_PROBABILITY 0.1

/* The membership rule above for one photo: scores (n_albums), member (n_albums). */
void search_albums_assign(const SearchTaxonomy *taxonomy, const float *scores,
                          float background_score, const SearchScoreScale *scale, gboolean *member);

/* Every photo of the index sorted into albums: element a is a GArray of the
 * int64_t ids of album a's members, ascending. */
GPtrArray *search_albums_build(const SearchTaxonomy *taxonomy, const SearchAlbumVectors *vectors,
                               const SearchScoreScale *scale, const SearchIndex *index);

/* ---- persisted membership (search-albums-store.c) ----
 *
 * The store keeps each photo's albums for one model and taxonomy
 * (library-store.h's auto albums): scoring runs once per photo, after it is
 * indexed, and again for every photo only when the model or the taxonomy
 * file changes. */

/* search_taxonomy_find with the albums/ folder of Spyglass's data folder. */
char *search_taxonomy_find_for_model(const char *model_dir, const char *model_name);

/* TRUE when the stored memberships are of model_id and this taxonomy and no
 * photo with model_id's embedding waits to be scored. */
gboolean search_albums_up_to_date(LibraryStore *store, const char *model_id,
                                  const SearchTaxonomy *taxonomy, gboolean *up_to_date,
                                  GError **error);

/* Scores the photos the store has not scored for this key (all of them
 * when model_id or the taxonomy changed) with the membership rule and
 * stores their albums, in one transaction. *n_scored (may be NULL)
 * receives the number of photos scored. */
gboolean search_albums_update(LibraryStore *store, const char *model_id,
                              const SearchTaxonomy *taxonomy, const SearchAlbumVectors *vectors,
                              const SearchScoreScale *scale, guint *n_scored, GError **error);

/* All of the above for a loaded model, what `index` and the app run after
 * indexing: the model's taxonomy (none: G_IO_ERROR_NOT_FOUND), its
 * vectors, the update. Nothing is encoded when the store is up to date; the
 * vectors come from the cache file $XDG_CACHE_HOME/spyglass/albums/<model
 * id>.bin when it holds this model and taxonomy, else are encoded and cached
 * (a failure to cache is only a warning on stderr: the next run encodes again). */
gboolean search_albums_refresh(LibraryStore *store, const ClipModel *model,
                               const SearchTextEncoder *encoder, guint *n_scored, GError **error);
/* search_albums_refresh, telling the progress of encoding the taxonomy's prompts
 * (may be NULL): it is called only when they are encoded, not read from the cache. */
gboolean search_albums_refresh_full(LibraryStore *store, const ClipModel *model,
                                    const SearchTextEncoder *encoder,
                                    SearchAlbumsProgressFunc progress, gpointer progress_data,
                                    guint *n_scored, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SearchTaxonomy, search_taxonomy_free)

G_END_DECLS
