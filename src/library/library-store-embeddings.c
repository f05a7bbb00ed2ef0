/* library-store-embeddings.c: the current and searchable models, and the embeddings stored for
 * them. */
#include "library-store-private.h"

#include <stdio.h>
#include <string.h>

void library_model_record_free(LibraryModelRecord *model)
{
    if (model == NULL)
        return;
    g_free(model->id);
    g_free(model->name);
    g_free(model->dir);
    g_free(model);
}

gboolean library_store_set_current_model(LibraryStore *store, const LibraryModelRecord *model,
                                         GError **error)
{
    if (!library_store_savepoint(store, error))
        return FALSE;
    sqlite3_stmt *clear = library_store_statement(
        store, "UPDATE models SET current = 0 WHERE current AND id != ?1", error);
    gboolean ok = clear != NULL;
    if (ok) {
        library_store_bind_text(clear, 1, model->id);
        ok = library_store_run(store, clear, error);
    }
    sqlite3_stmt *upsert = ok ? library_store_statement(
                                    store,
                                    "INSERT INTO models (id, name, dir, dim, current, added)"
                                    " VALUES (?1, ?2, ?3, ?4, 1, ?5) ON CONFLICT (id) DO UPDATE SET"
                                    " name = excluded.name, dir = excluded.dir, dim = excluded.dim,"
                                    " current = 1",
                                    error)
                              : NULL;
    ok = upsert != NULL;
    if (ok) {
        library_store_bind_text(upsert, 1, model->id);
        library_store_bind_text(upsert, 2, model->name);
        library_store_bind_text(upsert, 3, model->dir);
        sqlite3_bind_int64(upsert, 4, model->dim);
        sqlite3_bind_int64(upsert, 5, library_store_now_seconds());
        ok = library_store_run(store, upsert, error);
    }
    return library_store_release(store, ok, error);
}

static gpointer model_from_row(sqlite3_stmt *stmt)
{
    LibraryModelRecord *model = g_new0(LibraryModelRecord, 1);
    model->id = library_store_column_dup(stmt, 0);
    model->name = library_store_column_dup(stmt, 1);
    model->dir = library_store_column_dup(stmt, 2);
    model->dim = (guint)sqlite3_column_int64(stmt, 3);
    return model;
}

/* Runs a model query (columns id, name, dir, dim) returning at most one row. */
static LibraryModelRecord *store_query_model(LibraryStore *store, const char *sql, GError **error)
{
    gpointer model = NULL;
    library_store_first_object(store, library_store_statement(store, sql, error), model_from_row,
                               &model, error);
    return model;
}

LibraryModelRecord *library_store_get_current_model(LibraryStore *store, GError **error)
{
    return store_query_model(store, "SELECT id, name, dir, dim FROM models WHERE current", error);
}

LibraryModelRecord *library_store_get_searchable_model(LibraryStore *store, GError **error)
{
    /* A complete model covers every embedded photo, which no model can
     * exceed, so ordering by coverage then currency picks the current model
     * exactly when it is complete. */
    return store_query_model(
        store,
        "SELECT m.id, m.name, m.dir, m.dim FROM models m ORDER BY"
        " (SELECT count(*) FROM embeddings e JOIN photos p ON p.id = e.photo_id"
        "   WHERE e.model_id = m.id AND p.state = 'embedded') DESC,"
        " m.current DESC LIMIT 1",
        error);
}

/* TRUE with *complete when the current model covers every embedded photo. */
static gboolean store_current_model_complete(LibraryStore *store, gboolean *complete,
                                             GError **error)
{
    gint64 missing = 0;
    if (!library_store_query_int(
            store,
            "SELECT count(*) FROM photos p WHERE p.state = 'embedded' AND NOT EXISTS"
            " (SELECT 1 FROM embeddings e JOIN models m ON m.id = e.model_id"
            "  WHERE e.photo_id = p.id AND m.current)",
            &missing, error))
        return FALSE;
    *complete = missing == 0;
    return TRUE;
}

gboolean library_store_drop_superseded_embeddings(LibraryStore *store, guint *dropped,
                                                  GError **error)
{
    gint64 has_current = 0, stale = 0;
    gboolean complete = FALSE;
    if (dropped != NULL)
        *dropped = 0;
    if (!library_store_savepoint(store, error))
        return FALSE;
    gboolean ok = library_store_query_int(store, "SELECT count(*) FROM models WHERE current",
                                          &has_current, error) &&
                  store_current_model_complete(store, &complete, error);
    if (ok && has_current && complete) {
        ok = library_store_query_int(
                 store,
                 "SELECT count(*) FROM embeddings e JOIN models m ON m.id = e.model_id"
                 " WHERE NOT m.current",
                 &stale, error) &&
             library_store_exec(store, "DELETE FROM models WHERE NOT current", error);
        if (ok && dropped != NULL)
            *dropped = (guint)stale;
    }
    return library_store_release(store, ok, error);
}

gboolean library_store_vector_from_blob(const void *blob, int bytes, gint64 dim, float *out)
{
    if (dim <= 0 || blob == NULL || (gint64)bytes != dim * (gint64)sizeof(float))
        return FALSE;
    guint32 *words = (guint32 *)out;
    memcpy(words, blob, (size_t)bytes);
    for (gint64 i = 0; i < dim; i++)
        words[i] = GUINT32_FROM_LE(words[i]);
    return TRUE;
}

static gboolean store_fail_vector(LibraryStore *store, const char *what, gint64 owner_id, int bytes,
                                  gint64 dim, GError **error)
{
    g_set_error(error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_CORRUPT,
                "%s: %s %" G_GINT64_FORMAT " holds %d bytes for %" G_GINT64_FORMAT " dimensions",
                store->path, what, owner_id, bytes, dim);
    return FALSE;
}

const float *library_store_column_vector(LibraryStore *store, sqlite3_stmt *stmt, int dim_column,
                                         int blob_column, const char *what, gint64 owner_id,
                                         LibraryVectorBuffer *buffer, GError **error)
{
    gint64 dim = sqlite3_column_int64(stmt, dim_column);
    int bytes = sqlite3_column_bytes(stmt, blob_column);
    if (dim > buffer->capacity && dim * (gint64)sizeof(float) == bytes) {
        buffer->values = g_renew(float, buffer->values, dim);
        buffer->capacity = dim;
    }
    if (dim > buffer->capacity ||
        !library_store_vector_from_blob(sqlite3_column_blob(stmt, blob_column), bytes, dim,
                                        buffer->values)) {
        sqlite3_reset(stmt);
        store_fail_vector(store, what, owner_id, bytes, dim, error);
        return NULL;
    }
    return buffer->values;
}

/* A photo's date as search dates it, from photos.date_taken (its EXIF date,
 * else its file's mtime on the local clock, as seconds read as UTC: what the
 * timeline orders by): "YYYY-MM-DDTHH:MM:SS" in text, or NULL when the
 * column is NULL. The calendar by arithmetic (Howard Hinnant's
 * civil_from_days): gmtime_r cost 3 % of a search provider's first answer
 * at 100,000 photos. */
#define DATE_TAKEN_TEXT 80 /* room for any year */
static const char *column_date_taken(sqlite3_stmt *stmt, int column, char text[DATE_TAKEN_TEXT])
{
    if (sqlite3_column_type(stmt, column) == SQLITE_NULL)
        return NULL;
    int64_t seconds = sqlite3_column_int64(stmt, column);
    int64_t days = seconds / 86400, rest = seconds % 86400;
    if (rest < 0) {
        rest += 86400;
        days--;
    }
    days += 719468; /* from 0000-03-01 */
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_index = (5 * day_of_year + 2) / 153; /* March = 0 */
    int64_t day = day_of_year - (153 * month_index + 2) / 5 + 1;
    int64_t month = month_index < 10 ? month_index + 3 : month_index - 9;
    int64_t year = year_of_era + era * 400 + (month <= 2);
    if (year < 0 || year > 9999) {
        snprintf(text, DATE_TAKEN_TEXT,
                 "%04" G_GINT64_FORMAT "-%02" G_GINT64_FORMAT "-%02" G_GINT64_FORMAT
                 "T%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT,
                 year, month, day, rest / 3600, rest / 60 % 60, rest % 60);
        return text;
    }
    /* digits by hand: snprintf of six numbers was most of the cost */
    const int fields[] = {
        (int)year,       (int)month, (int)day, (int)(rest / 3600), (int)(rest / 60 % 60),
        (int)(rest % 60)};
    static const char separators[] = "--T::";
    char *at = text;
    for (int i = 0; i < 6; i++) {
        int value = fields[i];
        if (i == 0) {
            *at++ = (char)('0' + value / 1000);
            *at++ = (char)('0' + value / 100 % 10);
        }
        *at++ = (char)('0' + value / 10 % 10);
        *at++ = (char)('0' + value % 10);
        if (i < 5)
            *at++ = separators[i];
    }
    *at = '\0';
    return text;
}

/* Runs an embedding query (?1 = model id; columns id, path, dim, vector,
 * format, date_taken, make, model, has location) and hands each row to func. */
gboolean library_store_foreach_embedding_with(LibraryStore *store, const char *sql,
                                              const char *model_id, LibraryEmbeddingFunc func,
                                              gpointer user_data, GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(store, sql, error);
    if (stmt == NULL)
        return FALSE;
    library_store_bind_text(stmt, 1, model_id);
    LibraryVectorBuffer buffer = {0};
    gboolean has_row = FALSE, ok = FALSE;
    while (library_store_next(store, stmt, &has_row, error)) {
        if (!has_row) {
            ok = TRUE;
            break;
        }
        gint64 photo_id = sqlite3_column_int64(stmt, 0);
        const float *vector = library_store_column_vector(store, stmt, 2, 3, "embedding of photo",
                                                          photo_id, &buffer, error);
        if (vector == NULL)
            break;
        char taken[DATE_TAKEN_TEXT];
        LibraryPhotoFacts photo = {
            .id = photo_id,
            .path = (const char *)sqlite3_column_text(stmt, 1),
            .format = (const char *)sqlite3_column_text(stmt, 4),
            .taken = column_date_taken(stmt, 5, taken),
            .camera_make = (const char *)sqlite3_column_text(stmt, 6),
            .camera_model = (const char *)sqlite3_column_text(stmt, 7),
            .has_location = sqlite3_column_int(stmt, 8) != 0,
            .duration = sqlite3_column_double(stmt, 9),
        };
        if (!func(&photo, vector, (guint)sqlite3_column_int64(stmt, 2), user_data)) {
            sqlite3_reset(stmt);
            ok = TRUE;
            break;
        }
    }
    g_free(buffer.values);
    return ok;
}

gboolean library_store_foreach_embedding(LibraryStore *store, const char *model_id,
                                         LibraryEmbeddingFunc func, gpointer user_data,
                                         GError **error)
{
    return library_store_foreach_embedding_with(
        store, LIBRARY_STORE_EMBEDDING_SELECT " ORDER BY p.path", model_id, func, user_data, error);
}

gboolean library_store_foreach_embedded_photo(LibraryStore *store, const char *model_id,
                                              LibraryEmbeddingFunc func, gpointer user_data,
                                              GError **error)
{
    /* The embeddings_model index covers the join: no vector is read; and
     * no order, which would sort 100,000 paths for nothing. */
    sqlite3_stmt *stmt = library_store_statement(
        store,
        "SELECT p.id, p.path, p.format, p.date_taken, p.camera_make, p.camera_model,"
        " p.latitude IS NOT NULL AND p.longitude IS NOT NULL, p.duration"
        " FROM embeddings e JOIN photos p ON p.id = e.photo_id"
        " WHERE e.model_id = ?1 AND p.state = 'embedded'",
        error);
    if (stmt == NULL)
        return FALSE;
    library_store_bind_text(stmt, 1, model_id);
    gboolean has_row = FALSE;
    while (library_store_next(store, stmt, &has_row, error)) {
        if (!has_row)
            return TRUE;
        char taken[DATE_TAKEN_TEXT];
        LibraryPhotoFacts photo = {
            .id = sqlite3_column_int64(stmt, 0),
            .path = (const char *)sqlite3_column_text(stmt, 1),
            .format = (const char *)sqlite3_column_text(stmt, 2),
            .taken = column_date_taken(stmt, 3, taken),
            .camera_make = (const char *)sqlite3_column_text(stmt, 4),
            .camera_model = (const char *)sqlite3_column_text(stmt, 5),
            .has_location = sqlite3_column_int(stmt, 6) != 0,
            .duration = sqlite3_column_double(stmt, 7),
        };
        if (!func(&photo, NULL, 0, user_data)) {
            sqlite3_reset(stmt);
            return TRUE;
        }
    }
    return FALSE;
}

char *library_store_get_search_generation(LibraryStore *store, GError **error)
{
    sqlite3_stmt *stmt = library_store_statement(
        store, "SELECT library, value FROM search_generation WHERE id = 1", error);
    gboolean has_row = FALSE;
    if (stmt == NULL || !library_store_next(store, stmt, &has_row, error))
        return NULL;
    if (!has_row) {
        g_set_error(error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_CORRUPT,
                    "%s: the search_generation row is missing", store->path);
        return NULL;
    }
    char *generation =
        g_strdup_printf("%s:%" G_GINT64_FORMAT, (const char *)sqlite3_column_text(stmt, 0),
                        (gint64)sqlite3_column_int64(stmt, 1));
    sqlite3_reset(stmt);
    return generation;
}

gboolean library_store_get_embedding(LibraryStore *store, gint64 photo_id, const char *model_id,
                                     float **vector, guint *dim, GError **error)
{
    *vector = NULL;
    *dim = 0;
    sqlite3_stmt *stmt = library_store_statement(
        store, "SELECT dim, vector FROM embeddings WHERE photo_id = ?1 AND model_id = ?2", error);
    gboolean has_row = FALSE;
    if (stmt == NULL)
        return FALSE;
    sqlite3_bind_int64(stmt, 1, photo_id);
    library_store_bind_text(stmt, 2, model_id);
    if (!library_store_next(store, stmt, &has_row, error))
        return FALSE;
    if (!has_row)
        return TRUE;
    LibraryVectorBuffer buffer = {0};
    if (library_store_column_vector(store, stmt, 0, 1, "embedding of photo", photo_id, &buffer,
                                    error) == NULL) {
        g_free(buffer.values);
        return FALSE;
    }
    *dim = (guint)sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    *vector = buffer.values;
    return TRUE;
}
