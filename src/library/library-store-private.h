/* library-store-private.h: what the files of LibraryStore share. library-store.h
 * is the API; behind it:
 *
 *   library-store.c              schema, migrations, opening, transactions
 *   library-store-sql.c          the statement helpers below
 *   library-store-folders.c      folders, and removing one
 *   library-store-photos.c       photos, their state, metadata and counts
 *   library-store-embeddings.c   the current/searchable model and embeddings
 *   library-store-frames.c       videos' frame embeddings
 *   library-store-albums.c       auto albums
 *   library-store-smart-albums.c smart albums and their examples
 *   library-store-timeline.c     photos newest first by date taken
 */
#pragma once

#include "library-store.h"

#include <sqlite3.h>

G_BEGIN_DECLS

struct _LibraryStore {
    sqlite3 *db;
    char *path;
    GHashTable *statements; /* static SQL text → prepared statement */
    GCancellable *cancellable;
};

/* A photo's date_taken (schema version 6) from its row (photos or NEW):
 * the EXIF date, else the mtime (nanoseconds) on the local clock, as
 * wall-clock seconds. A malformed EXIF date counts as none. */
#define LIBRARY_STORE_DATE_TAKEN(row)                                                              \
    "COALESCE(unixepoch(" row ".taken), unixepoch(" row ".mtime / 1000000000, 'unixepoch',"        \
    " 'localtime'))"

/* Statements (library-store-sql.c). Every helper that fails sets error with
 * the store's path, SQLite's message and the statement's first line. */

gint64 library_store_now_seconds(void);

/* The prepared statement for a static SQL string, reset and unbound. */
sqlite3_stmt *library_store_statement(LibraryStore *store, const char *sql, GError **error);
/* Runs a statement that returns no rows we want, then resets it. */
gboolean library_store_run(LibraryStore *store, sqlite3_stmt *stmt, GError **error);
/* Steps a query: TRUE with *has_row for a row, FALSE on an error (reset). */
gboolean library_store_next(LibraryStore *store, sqlite3_stmt *stmt, gboolean *has_row,
                            GError **error);
/* Runs SQL text that may hold several statements (not cached). */
gboolean library_store_exec(LibraryStore *store, const char *sql, GError **error);

/* The first row of a bound query that returns at most one (stmt NULL: its
 * error is set): column 0 as an integer or fallback, column 0 as text or
 * NULL, or the row made into an object by from_row or NULL. */
gboolean library_store_first_int64(LibraryStore *store, sqlite3_stmt *stmt, gint64 fallback,
                                   gint64 *value, GError **error);
gboolean library_store_first_text(LibraryStore *store, sqlite3_stmt *stmt, char **value,
                                  GError **error);
gboolean library_store_first_object(LibraryStore *store, sqlite3_stmt *stmt,
                                    gpointer (*from_row)(sqlite3_stmt *stmt), gpointer *value,
                                    GError **error);
/* Every row of a bound query made into an object, in an array freeing them
 * with free_func; NULL with error. */
GPtrArray *library_store_all_objects(LibraryStore *store, sqlite3_stmt *stmt,
                                     gpointer (*from_row)(sqlite3_stmt *stmt),
                                     GDestroyNotify free_func, GError **error);
/* A query without parameters returning one integer (0 without a row). */
gboolean library_store_query_int(LibraryStore *store, const char *sql, gint64 *value,
                                 GError **error);

void library_store_bind_text(sqlite3_stmt *stmt, int index, const char *text);
char *library_store_column_dup(sqlite3_stmt *stmt, int column);

/* Multi-statement operations are atomic whether or not the caller holds a
 * transaction: a savepoint nests inside one or acts as one. release rolls
 * back to the savepoint when !ok, and returns ok's outcome. */
gboolean library_store_savepoint(LibraryStore *store, GError **error);
gboolean library_store_release(LibraryStore *store, gboolean ok, GError **error);

/* Photos (library-store-photos.c): runs a one-parameter statement on a photo id. */
gboolean library_store_run_on_photo(LibraryStore *store, const char *sql, gint64 photo_id,
                                    GError **error);

/* The stored form of a vector: F32 little-endian (library-store-photos.c). */
GBytes *library_store_vector_to_blob(const float *vector, guint dim);

/* Embeddings (library-store-embeddings.c) */

/* A stored vector into floats; FALSE when its size disagrees with dim. */
gboolean library_store_vector_from_blob(const void *blob, int bytes, gint64 dim, float *out);

/* A growing buffer for reading vectors row after row. */
typedef struct {
    float *values;
    gint64 capacity;
} LibraryVectorBuffer;

/* The vector in column blob_column of the current row (its dimension in
 * dim_column) decoded into buffer; NULL with a CORRUPT error naming `what`
 * ("embedding of photo", "frame of video") and the owner's id when the blob
 * does not hold that many floats. The statement is reset on error. */
const float *library_store_column_vector(LibraryStore *store, sqlite3_stmt *stmt, int dim_column,
                                         int blob_column, const char *what, gint64 owner_id,
                                         LibraryVectorBuffer *buffer, GError **error);

/* The columns library_store_foreach_embedding_with() reads, for ?1 = model id. */
#define LIBRARY_STORE_EMBEDDING_SELECT                                                             \
    "SELECT p.id, p.path, e.dim, e.vector, p.format, p.date_taken, p.camera_make, p.camera_model," \
    " p.latitude IS NOT NULL AND p.longitude IS NOT NULL, p.duration"                              \
    " FROM embeddings e JOIN photos p ON p.id = e.photo_id"                                        \
    " WHERE e.model_id = ?1 AND p.state = 'embedded'"

/* Runs an embedding query (LIBRARY_STORE_EMBEDDING_SELECT and what follows)
 * and hands each row to func until it returns FALSE. */
gboolean library_store_foreach_embedding_with(LibraryStore *store, const char *sql,
                                              const char *model_id, LibraryEmbeddingFunc func,
                                              gpointer user_data, GError **error);

G_END_DECLS
