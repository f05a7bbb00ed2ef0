/* spyglass-session-albums.c: the model's auto-albums (zero-shot) and the library's smart albums.
 *
 * Memberships are read from the store (search-albums.h, computed when photos
 * are indexed); when they are of another model or taxonomy, or photos wait
 * to be scored, they are brought up to date first, which needs the model's
 * text encoder. A session with no model loaded (spyglass-cli albums) loads
 * it only then.
 */
#include "spyglass-session-private.h"

#include "spyglass-config.h"

#include "search/search-album-names.h"
#include "search/search-smart-album.h"

#include <math.h>

/* A taxonomy's album name as the user reads it: search-album-names.c puts the bundled
 * taxonomies' names into the translations; other names stay as the taxonomy has them. */
static const char *album_display_name(const char *name)
{
    return g_dpgettext2(GETTEXT_PACKAGE, SEARCH_ALBUM_NAME_CONTEXT, name);
}

static SpyglassAlbum *album_new(const char *id, GPtrArray *paths)
{
    SpyglassAlbum *album = g_new0(SpyglassAlbum, 1);
    album->id = g_strdup(id);
    album->name = g_strdup(album_display_name(id));
    album->paths = paths != NULL ? g_ptr_array_ref(paths) : g_ptr_array_new();
    album->n_photos = album->paths->len;
    album->cover_path = album->n_photos > 0 ? g_strdup(g_ptr_array_index(album->paths, 0)) : NULL;
    return album;
}

/* Every album of the taxonomy, in its order, with the store's members. */
static GPtrArray *albums_of(const SearchTaxonomy *taxonomy, GHashTable *members)
{
    GPtrArray *albums = g_ptr_array_new_with_free_func((GDestroyNotify)spyglass_album_free);
    for (guint a = 0; a < taxonomy->albums->len; a++) {
        const SearchAlbum *album = g_ptr_array_index(taxonomy->albums, a);
        g_ptr_array_add(albums, album_new(album->name, g_hash_table_lookup(members, album->name)));
    }
    return albums;
}

static SearchTaxonomy *load_taxonomy(SpyglassSession *session, const char *model_dir,
                                     const char *model_name, GError **error)
{
    g_autofree char *path = search_taxonomy_find_for_model(model_dir, model_name);
    if (path == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no album taxonomy for model %s",
                    model_name);
        return NULL;
    }
    SearchTaxonomy *taxonomy = search_taxonomy_load(path, error);
    if (taxonomy != NULL)
        session_notice(session, SPYGLASS_NOTICE_INFO, "taxonomy %s (%u albums)", path,
                       taxonomy->albums->len);
    return taxonomy;
}

/* Photos not yet sorted into the model's albums sorted now. */
static gboolean sort_into_albums(SpyglassSession *session, GError **error)
{
    SearchTextEncoder encoder = spyglass_model_text_encoder(session->model);
    guint scored = 0;
    if (!search_albums_refresh(session->store, session->model->model, &encoder, &scored, error))
        return FALSE;
    session_notice(session, SPYGLASS_NOTICE_INFO, "%u photos sorted into albums", scored);
    return TRUE;
}

gboolean session_ensure_albums(SpyglassSession *session, GError **error)
{
    if (session->albums != NULL)
        return TRUE;
    if (session->library == NULL)
        return FALSE;
    const ClipModel *model = session->model->model;
    g_autoptr(SearchTaxonomy) taxonomy = NULL;
    g_autoptr(GHashTable) members = NULL;
    if (!sort_into_albums(session, error) ||
        (taxonomy = load_taxonomy(session, session->model->dir, model->name, error)) == NULL ||
        (members = library_store_get_auto_albums(session->store, error)) == NULL)
        return FALSE;
    session->albums = albums_of(taxonomy, members);
    return TRUE;
}

/* With no model loaded: the searchable embeddings' albums, loading the model only when photos
 * wait to be sorted. */
static GPtrArray *albums_without_model(SpyglassSession *session, GError **error)
{
    if (!session_open_existing(session, error))
        return NULL;
    GError *local = NULL;
    g_autoptr(LibraryModelRecord) record =
        library_store_get_searchable_model(session->store, &local);
    if (record == NULL) {
        if (local == NULL)
            g_set_error_literal(&local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                "the library has no embeddings yet (spyglass-cli index)");
        g_propagate_error(error, local);
        return NULL;
    }
    g_autoptr(SearchTaxonomy) taxonomy = load_taxonomy(session, record->dir, record->name, error);
    if (taxonomy == NULL)
        return NULL;
    gboolean up_to_date = FALSE;
    if (!search_albums_up_to_date(session->store, record->id, taxonomy, &up_to_date, error))
        return NULL;
    if (!up_to_date) {
        if (!session_open_for_search(session, error) || !sort_into_albums(session, error))
            return NULL;
    }
    g_autoptr(GHashTable) members = library_store_get_auto_albums(session->store, error);
    return members != NULL ? albums_of(taxonomy, members) : NULL;
}

static GPtrArray *list_albums(SpyglassSession *session, gboolean with_empty, GError **error)
{
    if (session->model == NULL)
        return albums_without_model(session, error);
    GPtrArray *albums = g_ptr_array_new_with_free_func((GDestroyNotify)spyglass_album_free);
    GError *local = NULL;
    if (!session_ensure_albums(session, &local)) {
        /* No taxonomy for the model, or nothing indexed with it yet: no albums. */
        if (local == NULL || g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
            g_clear_error(&local);
            return albums;
        }
        g_propagate_error(error, local);
        g_ptr_array_unref(albums);
        return NULL;
    }
    for (guint a = 0; a < session->albums->len; a++) {
        const SpyglassAlbum *album = g_ptr_array_index(session->albums, a);
        if (with_empty || album->n_photos > 0)
            g_ptr_array_add(albums, album_new(album->id, album->paths));
    }
    return albums;
}

GPtrArray *spyglass_session_list_albums(SpyglassSession *session, gboolean with_empty,
                                        GError **error)
{
    g_mutex_lock(&session->lock);
    GPtrArray *albums = list_albums(session, with_empty, error);
    g_mutex_unlock(&session->lock);
    return albums;
}

static SpyglassHits *album_photos(SpyglassSession *session, const char *id, GError **error)
{
    SpyglassHits *hits = spyglass_hits_new(0);
    GError *local = NULL;
    if (!session_check_open(session, error)) {
        g_array_unref(hits);
        return NULL;
    }
    if (!session_ensure_albums(session, &local)) {
        if (local == NULL || g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
            g_clear_error(&local);
            return hits;
        }
        g_propagate_error(error, local);
        g_array_unref(hits);
        return NULL;
    }
    for (guint a = 0; a < session->albums->len; a++) {
        const SpyglassAlbum *album = g_ptr_array_index(session->albums, a);
        if (!g_str_equal(album->id, id))
            continue;
        for (guint i = 0; i < album->paths->len; i++) {
            const char *path = g_ptr_array_index(album->paths, i);
            int64_t photo = search_library_find(session->library, path);
            if (photo < 0)
                continue;
            spyglass_hits_append(hits, photo, path, NAN,
                                 search_library_get_taken(session->library, photo), FALSE);
            g_array_index(hits, SpyglassHit, hits->len - 1).duration =
                search_library_get_duration(session->library, photo);
        }
    }
    return hits;
}

SpyglassHits *spyglass_session_album_photos(SpyglassSession *session, const char *album,
                                            GError **error)
{
    g_mutex_lock(&session->lock);
    SpyglassHits *hits = album_photos(session, album, error);
    g_mutex_unlock(&session->lock);
    return hits;
}

/* ---- smart albums ---- */

LibrarySmartAlbum *spyglass_session_find_smart_album(SpyglassSession *session, const char *name,
                                                     GError **error)
{
    g_mutex_lock(&session->lock);
    LibrarySmartAlbum *album = session_ensure_store(session, error)
                                   ? library_store_find_smart_album(session->store, name, error)
                                   : NULL;
    g_mutex_unlock(&session->lock);
    return album;
}

GPtrArray *spyglass_session_list_smart_albums(SpyglassSession *session, GError **error)
{
    g_mutex_lock(&session->lock);
    GPtrArray *albums = session_ensure_store(session, error)
                            ? library_store_list_smart_albums(session->store, error)
                            : NULL;
    g_mutex_unlock(&session->lock);
    return albums;
}

gboolean spyglass_session_save_smart_album(SpyglassSession *session, const char *name,
                                           const char *description, GError **error)
{
    g_mutex_lock(&session->lock);
    gboolean ok = session_ensure_store(session, error) &&
                  library_store_save_smart_album(session->store, name, description, NULL, error);
    g_mutex_unlock(&session->lock);
    return ok;
}

gboolean spyglass_session_delete_smart_album(SpyglassSession *session, gint64 album_id,
                                             GError **error)
{
    g_mutex_lock(&session->lock);
    gboolean ok = session_ensure_store(session, error) &&
                  library_store_delete_smart_album(session->store, album_id, error);
    g_mutex_unlock(&session->lock);
    return ok;
}

static gboolean set_album_examples(SpyglassSession *session, gint64 album_id,
                                   const gint64 *photo_ids, guint n_photos, gboolean positive,
                                   GError **error)
{
    if (!session_ensure_store(session, error) || !library_store_begin(session->store, error))
        return FALSE;
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < n_photos; i++)
        ok = library_store_set_album_example(session->store, album_id, photo_ids[i], positive,
                                             error);
    if (ok)
        return library_store_commit(session->store, error);
    library_store_rollback(session->store);
    return FALSE;
}

gboolean spyglass_session_set_album_examples(SpyglassSession *session, gint64 album_id,
                                             const gint64 *photo_ids, guint n_photos,
                                             gboolean positive, GError **error)
{
    g_mutex_lock(&session->lock);
    gboolean ok = set_album_examples(session, album_id, photo_ids, n_photos, positive, error);
    g_mutex_unlock(&session->lock);
    return ok;
}

static SpyglassHits *smart_album_photos(SpyglassSession *session, const char *name, GError **error)
{
    if (!session_check_open(session, error))
        return NULL;
    GError *local = NULL;
    g_autoptr(LibrarySmartAlbum) album =
        library_store_find_smart_album(session->store, name, &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return NULL;
    }
    if (album == NULL || session->library == NULL)
        return spyglass_hits_new(0); /* gone meanwhile, or nothing indexed with this model yet */
    SearchTextEncoder encoder = spyglass_model_text_encoder(session->model);
    g_autoptr(SearchResults) results =
        search_smart_album_members(session->library, session->store, &encoder, album, error);
    return results != NULL ? session_hits_from_results(session, results, NULL) : NULL;
}

SpyglassHits *spyglass_session_smart_album_photos(SpyglassSession *session, const char *name,
                                                  GError **error)
{
    g_mutex_lock(&session->lock);
    SpyglassHits *hits = smart_album_photos(session, name, error);
    g_mutex_unlock(&session->lock);
    return hits;
}
