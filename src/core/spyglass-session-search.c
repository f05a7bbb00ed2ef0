/* spyglass-session-search.c: search, "find similar" and "more like these", one way for both front
 * ends. */
#include "spyglass-session-private.h"

#include "spyglass-config.h"

#include "library/library-embed.h"

#include <glib/gi18n-lib.h>
#include <string.h>

SpyglassHits *session_hits_from_results(SpyglassSession *session, const SearchResults *results,
                                        const gboolean *strong)
{
    SpyglassHits *hits = spyglass_hits_new(results->n_hits);
    for (uint32_t i = 0; i < results->n_hits; i++) {
        int64_t id = results->hits[i].id;
        spyglass_hits_append(hits, id, search_library_get_path(session->library, id),
                             results->hits[i].score, search_library_get_taken(session->library, id),
                             strong != NULL && !strong[i]);
        SpyglassHit *hit = &g_array_index(hits, SpyglassHit, hits->len - 1);
        hit->duration = search_library_get_duration(session->library, id);
        if (results->times != NULL)
            hit->time = results->times[i];
    }
    return hits;
}

static SpyglassHits *search(SpyglassSession *session, const SearchQuery *query, guint limit,
                            gboolean strong_only, GError **error)
{
    if (!session_check_open(session, error))
        return NULL;
    if (session->library == NULL)
        return spyglass_hits_new(0);
    if (*query->text == '\0') {
        g_set_error_literal(error, SEARCH_QUERY_ERROR, SEARCH_QUERY_ERROR_INVALID,
                            _("Describe what the photos show, not only filters"));
        return NULL;
    }
    SearchTextEncoder encoder = spyglass_model_text_encoder(session->model);
    SearchLibraryQueryOptions options = {.limit = limit, .strong_only = strong_only};
    g_autofree gboolean *strong = NULL;
    g_autoptr(SearchResults) results =
        search_library_query(session->library, &encoder, query, &options, &strong, error);
    if (results == NULL)
        return NULL;
    return session_hits_from_results(session, results, strong_only ? NULL : strong);
}

SpyglassHits *spyglass_session_search(SpyglassSession *session, const SearchQuery *query,
                                      guint limit, gboolean strong_only, GError **error)
{
    g_mutex_lock(&session->lock);
    SpyglassHits *hits = search(session, query, limit, strong_only, error);
    g_mutex_unlock(&session->lock);
    return hits;
}

/* The photos nearest to query (need not be normalised), those excluded. */
static SpyglassHits *nearest(SpyglassSession *session, const float *query, GArray *exclude,
                             guint limit)
{
    SearchRequest request = {
        .query = query,
        .exclude_ids = (const int64_t *)exclude->data,
        .n_exclude = exclude->len,
        .limit = limit,
    };
    g_autoptr(SearchResults) results =
        search_index_search(search_library_get_index(session->library), &request);
    return session_hits_from_results(session, results, NULL);
}

static SpyglassHits *similar(SpyglassSession *session, const gint64 *ids, guint n_ids, guint limit,
                             GError **error)
{
    G_STATIC_ASSERT(sizeof(gint64) == sizeof(int64_t));
    if (!session_check_open(session, error))
        return NULL;
    if (session->library == NULL)
        return spyglass_hits_new(0);
    SearchIndex *index = search_library_get_index(session->library);
    g_autofree float *mean = g_new(float, search_index_dim(index));
    if (!search_index_mean_embedding(index, (const int64_t *)ids, n_ids, mean))
        return spyglass_hits_new(0);
    g_autoptr(GArray) exclude = g_array_sized_new(FALSE, FALSE, sizeof(int64_t), n_ids);
    g_array_append_vals(exclude, ids, n_ids);
    return nearest(session, mean, exclude, limit);
}

SpyglassHits *spyglass_session_similar(SpyglassSession *session, const gint64 *ids, guint n_ids,
                                       guint limit, GError **error)
{
    g_mutex_lock(&session->lock);
    SpyglassHits *hits = similar(session, ids, n_ids, limit, error);
    g_mutex_unlock(&session->lock);
    return hits;
}

/* The normalised mean of the files' embeddings into query; the library's files excluded. */
static gboolean files_query(SpyglassSession *session, const char *const *files, guint n,
                            float *query, GArray *exclude, GError **error)
{
    const ClipConfig *config = &session->model->model->config;
    uint32_t E = config->embed_dim;
    SearchIndex *index = search_library_get_index(session->library);
    g_autofree float *one = g_new(float, E);
    memset(query, 0, sizeof(float) * E);
    for (guint f = 0; f < n; f++) {
        g_autofree char *path = g_canonicalize_filename(files[f], NULL);
        int64_t id = search_library_find(session->library, path);
        if (id >= 0) {
            search_index_get_embedding(index, id, one);
            g_array_append_val(exclude, id);
        } else if (!library_embed_files(session->model->session, config,
                                        library_sandbox_get_default(), &files[f], 1,
                                        config->image_size, one, error)) {
            return FALSE;
        }
        for (uint32_t d = 0; d < E; d++)
            query[d] += one[d];
    }
    clip_normalize_rows(query, 1, E);
    return TRUE;
}

static SpyglassHits *similar_files(SpyglassSession *session, const char *const *files, guint n,
                                   guint limit, GError **error)
{
    if (!session_check_open(session, error))
        return NULL;
    if (session->library == NULL)
        return spyglass_hits_new(0);
    g_autofree float *query = g_new(float, session->model->model->config.embed_dim);
    g_autoptr(GArray) exclude = g_array_new(FALSE, FALSE, sizeof(int64_t));
    if (!files_query(session, files, n, query, exclude, error))
        return NULL;
    return nearest(session, query, exclude, limit);
}

SpyglassHits *spyglass_session_similar_files(SpyglassSession *session, const char *const *files,
                                             guint n_files, guint limit, GError **error)
{
    g_mutex_lock(&session->lock);
    SpyglassHits *hits = similar_files(session, files, n_files, limit, error);
    g_mutex_unlock(&session->lock);
    return hits;
}
