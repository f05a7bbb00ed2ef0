/* library-store-sql.c: the statement helpers every library-store-*.c file
 * queries through: prepared statements reused, errors with their SQL. */
#include "library-store-private.h"

#include <string.h>

gint64 library_store_now_seconds(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

/* Errors */

/* The first line of a statement, for messages: migrations are long. */
static char *sql_context(const char *sql)
{
    g_autofree char *flat = g_strdup(sql != NULL ? sql : "");
    g_strdelimit(flat, "\n", ' ');
    if (strlen(flat) > 120)
        return g_strdup_printf("%.117s...", flat);
    return g_steal_pointer(&flat);
}

/* Sets error from the connection's last error; always returns FALSE. */
static gboolean store_fail(LibraryStore *store, const char *sql, GError **error)
{
    if (store->cancellable != NULL && g_cancellable_is_cancelled(store->cancellable) &&
        sqlite3_errcode(store->db) == SQLITE_INTERRUPT) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s: cancelled", store->path);
        return FALSE;
    }
    g_autofree char *context = sql_context(sql);
    g_set_error(error, LIBRARY_STORE_ERROR, LIBRARY_STORE_ERROR_SQL, "%s: %s (in \"%s\")",
                store->path, sqlite3_errmsg(store->db), context);
    return FALSE;
}

/* Statements */

/* The prepared statement for a static SQL string, reset and unbound. */
sqlite3_stmt *library_store_statement(LibraryStore *store, const char *sql, GError **error)
{
    sqlite3_stmt *stmt = g_hash_table_lookup(store->statements, sql);
    if (stmt != NULL) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        return stmt;
    }
    if (sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
        SQLITE_OK) {
        store_fail(store, sql, error);
        return NULL;
    }
    g_hash_table_insert(store->statements, (gpointer)sql, stmt);
    return stmt;
}

/* Runs a statement that returns no rows we want, then resets it. */
gboolean library_store_run(LibraryStore *store, sqlite3_stmt *stmt, GError **error)
{
    int rc = sqlite3_step(stmt);
    gboolean ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
    if (!ok)
        store_fail(store, sqlite3_sql(stmt), error);
    sqlite3_reset(stmt);
    return ok;
}

/* Steps a query: TRUE with *has_row for a row, FALSE on an error (reset). */
gboolean library_store_next(LibraryStore *store, sqlite3_stmt *stmt, gboolean *has_row,
                            GError **error)
{
    int rc = sqlite3_step(stmt);
    *has_row = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return TRUE;
    store_fail(store, sqlite3_sql(stmt), error);
    sqlite3_reset(stmt);
    return FALSE;
}

/* Runs SQL text that may hold several statements (not cached). */
gboolean library_store_exec(LibraryStore *store, const char *sql, GError **error)
{
    if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(store, sql, error);
    return TRUE;
}

/* The first row of a bound query that returns at most one: column 0 as an
 * integer, or fallback when there is no row. stmt NULL: its error is set. */
gboolean library_store_first_int64(LibraryStore *store, sqlite3_stmt *stmt, gint64 fallback,
                                   gint64 *value, GError **error)
{
    gboolean has_row = FALSE;
    if (stmt == NULL || !library_store_next(store, stmt, &has_row, error))
        return FALSE;
    *value = has_row ? sqlite3_column_int64(stmt, 0) : fallback;
    sqlite3_reset(stmt);
    return TRUE;
}

/* As library_store_first_int64, column 0 as text (NULL without a row or for NULL). */
gboolean library_store_first_text(LibraryStore *store, sqlite3_stmt *stmt, char **value,
                                  GError **error)
{
    gboolean has_row = FALSE;
    if (stmt == NULL || !library_store_next(store, stmt, &has_row, error))
        return FALSE;
    *value = has_row ? library_store_column_dup(stmt, 0) : NULL;
    sqlite3_reset(stmt);
    return TRUE;
}

/* As library_store_first_int64, the row made into an object by from_row (NULL without a row). */
gboolean library_store_first_object(LibraryStore *store, sqlite3_stmt *stmt,
                                    gpointer (*from_row)(sqlite3_stmt *stmt), gpointer *value,
                                    GError **error)
{
    gboolean has_row = FALSE;
    if (stmt == NULL || !library_store_next(store, stmt, &has_row, error))
        return FALSE;
    *value = has_row ? from_row(stmt) : NULL;
    sqlite3_reset(stmt);
    return TRUE;
}

/* Every row of a bound query, each made into an object by from_row, in an
 * array that frees them with free_func; NULL with error. stmt NULL: its
 * error is set. */
GPtrArray *library_store_all_objects(LibraryStore *store, sqlite3_stmt *stmt,
                                     gpointer (*from_row)(sqlite3_stmt *stmt),
                                     GDestroyNotify free_func, GError **error)
{
    if (stmt == NULL)
        return NULL;
    g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func(free_func);
    gboolean has_row = FALSE;
    while (library_store_next(store, stmt, &has_row, error)) {
        if (!has_row)
            return g_steal_pointer(&objects);
        g_ptr_array_add(objects, from_row(stmt));
    }
    return NULL;
}

/* A query without parameters returning one integer (0 without a row). */
gboolean library_store_query_int(LibraryStore *store, const char *sql, gint64 *value,
                                 GError **error)
{
    return library_store_first_int64(store, library_store_statement(store, sql, error), 0, value,
                                     error);
}

void library_store_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
    if (text != NULL)
        sqlite3_bind_text(stmt, index, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(stmt, index);
}

char *library_store_column_dup(sqlite3_stmt *stmt, int column)
{
    return g_strdup((const char *)sqlite3_column_text(stmt, column));
}

/* Multi-statement operations are atomic whether or not the caller holds a
 * transaction: a savepoint nests inside one or acts as one. */
gboolean library_store_savepoint(LibraryStore *store, GError **error)
{
    return library_store_exec(store, "SAVEPOINT store_op", error);
}

gboolean library_store_release(LibraryStore *store, gboolean ok, GError **error)
{
    if (ok)
        return library_store_exec(store, "RELEASE store_op", error);
    sqlite3_exec(store->db, "ROLLBACK TO store_op; RELEASE store_op", NULL, NULL, NULL);
    return FALSE;
}
