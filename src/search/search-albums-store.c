/* search-albums-store.c: auto-album membership kept in the library store, scored once per photo. */
#include "search-albums.h"

#include "library/library-models.h"
#include "search-private.h"

#include <stdio.h>

char *search_taxonomy_find_for_model(const char *model_dir, const char *model_name)
{
    g_autofree char *data = library_data_dir();
    g_autofree char *albums = g_build_filename(data, "albums", NULL);
    return search_taxonomy_find(model_dir, model_name, albums);
}

/* The taxonomy's vectors for a model: from the cache file
 * $XDG_CACHE_HOME/spyglass/albums/<model id>.bin when it holds this model
 * and taxonomy, else encoded (and cached: a failure to cache is only a
 * warning on stderr, the next run encodes again). */
static gboolean vectors_for_model(const SearchTaxonomy *taxonomy, const SearchTextEncoder *encoder,
                                  const char *model_id, SearchAlbumsProgressFunc progress,
                                  gpointer progress_data, SearchAlbumVectors *out, GError **error)
{
    g_autofree char *key = g_strdup_printf("%s:%s", model_id, taxonomy->checksum);
    g_autofree char *file = g_strdup_printf("%s.bin", model_id);
    g_autofree char *cache =
        g_build_filename(g_get_user_cache_dir(), "spyglass", "albums", file, NULL);
    if (search_album_vectors_load(cache, key, out) && out->dim == encoder->config->embed_dim &&
        out->n_albums == taxonomy->albums->len)
        return TRUE;
    search_album_vectors_clear(out);
    if (!search_album_vectors_encode_full(taxonomy, encoder, progress, progress_data, out, error))
        return FALSE;
    g_autoptr(GError) cache_error = NULL;
    if (!search_album_vectors_save(cache, key, out, &cache_error))
        fprintf(stderr, "spyglass: album vectors not cached: %s\n", cache_error->message);
    return TRUE;
}

gboolean search_albums_up_to_date(LibraryStore *store, const char *model_id,
                                  const SearchTaxonomy *taxonomy, gboolean *up_to_date,
                                  GError **error)
{
    g_autofree char *stored_model = NULL, *stored_taxonomy = NULL;
    gint64 unscored = 0;
    *up_to_date = FALSE;
    if (!library_store_get_auto_album_key(store, &stored_model, &stored_taxonomy, error))
        return FALSE;
    if (g_strcmp0(stored_model, model_id) != 0 ||
        g_strcmp0(stored_taxonomy, taxonomy->checksum) != 0)
        return TRUE;
    if (!library_store_count_unscored(store, model_id, &unscored, error))
        return FALSE;
    *up_to_date = unscored == 0;
    return TRUE;
}

/* What scoring collects before anything is written: the read statement is
 * done before the writes start. */
typedef struct {
    const SearchTaxonomy *taxonomy;
    const SearchAlbumVectors *vectors;
    const SearchScoreScale *scale;
    float *scores;
    gboolean *member;
    GArray *photo_ids;     /* gint64 */
    GArray *member_counts; /* guint per photo */
    GArray *albums;        /* guint album indices, photo after photo */
    GError *error;
} ScoreRun;

static gboolean score_photo(const LibraryPhotoFacts *photo, const float *vector, guint dim,
                            gpointer user_data)
{
    ScoreRun *run = user_data;
    if (dim != run->vectors->dim) {
        g_set_error(&run->error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_CORRUPT,
                    "%s: embedding of %u floats for album vectors of %u", photo->path, dim,
                    run->vectors->dim);
        return FALSE;
    }
    search_album_scores(run->vectors, vector, run->scores);
    float background = search_dot_f32(run->vectors->background, vector, dim);
    search_albums_assign(run->taxonomy, run->scores, background, run->scale, run->member);
    guint count = 0;
    for (guint a = 0; a < run->vectors->n_albums; a++)
        if (run->member[a]) {
            g_array_append_val(run->albums, a);
            count++;
        }
    g_array_append_val(run->photo_ids, photo->id);
    g_array_append_val(run->member_counts, count);
    return TRUE;
}

static gboolean store_scored(LibraryStore *store, const ScoreRun *run, GError **error)
{
    g_autofree const char **names = g_new(const char *, MAX(run->vectors->n_albums, 1u));
    guint at = 0;
    for (guint i = 0; i < run->photo_ids->len; i++) {
        guint count = g_array_index(run->member_counts, guint, i);
        for (guint k = 0; k < count; k++) {
            guint a = g_array_index(run->albums, guint, at + k);
            names[k] = ((const SearchAlbum *)g_ptr_array_index(run->taxonomy->albums, a))->name;
        }
        at += count;
        if (!library_store_set_auto_albums(store, g_array_index(run->photo_ids, gint64, i), names,
                                           count, error))
            return FALSE;
    }
    return TRUE;
}

gboolean search_albums_update(LibraryStore *store, const char *model_id,
                              const SearchTaxonomy *taxonomy, const SearchAlbumVectors *vectors,
                              const SearchScoreScale *scale, guint *n_scored, GError **error)
{
    g_return_val_if_fail(vectors->n_albums == taxonomy->albums->len, FALSE);
    ScoreRun run = {
        .taxonomy = taxonomy,
        .vectors = vectors,
        .scale = scale,
        .scores = g_new(float, vectors->n_albums),
        .member = g_new(gboolean, vectors->n_albums),
        .photo_ids = g_array_new(FALSE, FALSE, sizeof(gint64)),
        .member_counts = g_array_new(FALSE, FALSE, sizeof(guint)),
        .albums = g_array_new(FALSE, FALSE, sizeof(guint)),
    };
    gboolean reset = FALSE;
    gboolean ok =
        library_store_begin(store, error) &&
        library_store_set_auto_album_key(store, model_id, taxonomy->checksum, &reset, error) &&
        library_store_foreach_unscored_embedding(store, model_id, score_photo, &run, error);
    if (ok && run.error != NULL) {
        g_propagate_error(error, g_steal_pointer(&run.error));
        ok = FALSE;
    }
    ok = ok && store_scored(store, &run, error) && library_store_commit(store, error);
    if (!ok)
        library_store_rollback(store);
    if (n_scored != NULL)
        *n_scored = ok ? run.photo_ids->len : 0;
    g_clear_error(&run.error);
    g_free(run.scores);
    g_free(run.member);
    g_array_unref(run.photo_ids);
    g_array_unref(run.member_counts);
    g_array_unref(run.albums);
    return ok;
}

gboolean search_albums_refresh_full(LibraryStore *store, const ClipModel *model,
                                    const SearchTextEncoder *encoder,
                                    SearchAlbumsProgressFunc progress, gpointer progress_data,
                                    guint *n_scored, GError **error)
{
    if (n_scored != NULL)
        *n_scored = 0;
    g_autofree char *path = search_taxonomy_find_for_model(model->dir, model->name);
    if (path == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no album taxonomy for model %s",
                    model->name);
        return FALSE;
    }
    g_autoptr(SearchTaxonomy) taxonomy = search_taxonomy_load(path, error);
    gboolean up_to_date = FALSE;
    if (taxonomy == NULL ||
        !search_albums_up_to_date(store, model->id, taxonomy, &up_to_date, error))
        return FALSE;
    if (up_to_date)
        return TRUE;
    SearchAlbumVectors vectors = {0};
    if (!vectors_for_model(taxonomy, encoder, model->id, progress, progress_data, &vectors, error))
        return FALSE;
    SearchScoreScale scale = search_score_scale_for_model(model);
    gboolean ok =
        search_albums_update(store, model->id, taxonomy, &vectors, &scale, n_scored, error);
    search_album_vectors_clear(&vectors);
    return ok;
}

gboolean search_albums_refresh(LibraryStore *store, const ClipModel *model,
                               const SearchTextEncoder *encoder, guint *n_scored, GError **error)
{
    return search_albums_refresh_full(store, model, encoder, NULL, NULL, n_scored, error);
}
