/* library-models.c: the model catalogue, and downloading, verifying and installing models. */
#include "library-models.h"

#include "clip/clip-model.h"
#include "clip/clip-tokenizer.h"
#include "library-store.h"
#include "spyglass-config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_BASE_URL "https://huggingface.co"
#define MANIFEST_NAME    "manifest.json"
#define PARTIAL_SUFFIX   ".partial"
/* Interrupted transfers resume this many times within one install before
 * the error reaches the user (whose next install resumes again). */
#define MAX_ATTEMPTS         5
#define CHUNK_SIZE           (256 * 1024)
#define PROGRESS_INTERVAL_US (100 * 1000)

struct _LibraryModelCatalogue {
    GPtrArray *entries; /* LibraryModelEntry*, best first */
    char *base_url;
};

/* Catalogue */

static void model_file_free(gpointer data)
{
    LibraryModelFile *file = data;
    g_free(file->name);
    g_free(file->sha256);
    g_free(file);
}

static void model_entry_free(gpointer data)
{
    LibraryModelEntry *entry = data;
    g_free(entry->name);
    g_free(entry->title);
    g_free(entry->repo);
    g_free(entry->revision);
    g_free(entry->layout);
    g_free(entry->licence);
    g_free(entry->good_for);
    g_clear_pointer(&entry->files, g_ptr_array_unref);
    g_free(entry);
}

/* Names become folder and file names: no separators, no hidden or partial
 * folders, nothing that climbs out of the models folder. */
static gboolean is_safe_name(const char *name)
{
    if (name == NULL || *name == '\0' || *name == '.' || g_str_has_suffix(name, PARTIAL_SUFFIX))
        return FALSE;
    for (const char *c = name; *c != '\0'; c++)
        if (!g_ascii_isalnum(*c) && *c != '-' && *c != '_' && *c != '.')
            return FALSE;
    return TRUE;
}

static gboolean is_sha256_hex(const char *text)
{
    if (text == NULL || strlen(text) != 64)
        return FALSE;
    for (const char *c = text; *c != '\0'; c++)
        if (!g_ascii_isxdigit(*c))
            return FALSE;
    return TRUE;
}

static const char *member_string(JsonObject *object, const char *name)
{
    JsonNode *node = json_object_get_member(object, name);
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(node);
}

static gint64 member_int(JsonObject *object, const char *name, gint64 fallback)
{
    JsonNode *node = json_object_get_member(object, name);
    if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_INT64)
        return fallback;
    return json_node_get_int(node);
}

static LibraryModelFile *parse_file(JsonNode *node, const char *path, const char *model,
                                    GError **error)
{
    JsonObject *object = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    const char *name = object != NULL ? member_string(object, "name") : NULL;
    const char *sha256 = object != NULL ? member_string(object, "sha256") : NULL;
    if (!is_safe_name(name) || (sha256 != NULL && !is_sha256_hex(sha256))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: model %s: a file needs a plain \"name\" and a hex \"sha256\" or null",
                    path, model);
        return NULL;
    }
    LibraryModelFile *file = g_new0(LibraryModelFile, 1);
    file->name = g_strdup(name);
    file->size = member_int(object, "size", -1);
    file->sha256 = sha256 != NULL ? g_ascii_strdown(sha256, -1) : NULL;
    return file;
}

static LibraryModelEntry *parse_entry(JsonNode *node, const char *path, GError **error)
{
    JsonObject *object = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    const char *name = object != NULL ? member_string(object, "name") : NULL;
    const char *repo = object != NULL ? member_string(object, "repo") : NULL;
    JsonArray *files = object != NULL && json_object_has_member(object, "files")
                           ? json_object_get_array_member(object, "files")
                           : NULL;
    if (!is_safe_name(name) || repo == NULL || files == NULL || json_array_get_length(files) == 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: a model needs a plain \"name\", a \"repo\" and \"files\"", path);
        return NULL;
    }
    LibraryModelEntry *entry = g_new0(LibraryModelEntry, 1);
    entry->name = g_strdup(name);
    entry->repo = g_strdup(repo);
    entry->title = g_strdup(member_string(object, "title") ?: name);
    entry->revision = g_strdup(member_string(object, "revision") ?: "main");
    entry->layout = g_strdup(member_string(object, "layout") ?: "hf");
    entry->licence = g_strdup(member_string(object, "licence"));
    entry->good_for = g_strdup(member_string(object, "good_for"));
    entry->embedding_dim = (guint)member_int(object, "embedding_dim", 0);
    entry->image_size = (guint)member_int(object, "image_size", 0);
    entry->recommended = json_object_has_member(object, "recommended") &&
                         json_object_get_boolean_member(object, "recommended");
    entry->files = g_ptr_array_new_with_free_func(model_file_free);
    for (guint i = 0; i < json_array_get_length(files); i++) {
        LibraryModelFile *file = parse_file(json_array_get_element(files, i), path, name, error);
        if (file == NULL) {
            model_entry_free(entry);
            return NULL;
        }
        g_ptr_array_add(entry->files, file);
    }
    return entry;
}

LibraryModelCatalogue *library_model_catalogue_load(const char *path, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) local = NULL;
    if (!json_parser_load_from_file(parser, path, &local)) {
        g_set_error(error, G_IO_ERROR,
                    local->domain == G_FILE_ERROR ? G_IO_ERROR_NOT_FOUND : G_IO_ERROR_INVALID_DATA,
                    "model catalogue %s: %s", path, local->message);
        return NULL;
    }
    JsonNode *root = json_parser_get_root(parser);
    JsonObject *object =
        root != NULL && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonArray *models = object != NULL && json_object_has_member(object, "models")
                            ? json_object_get_array_member(object, "models")
                            : NULL;
    if (models == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "model catalogue %s: no \"models\" array", path);
        return NULL;
    }
    LibraryModelCatalogue *catalogue = g_new0(LibraryModelCatalogue, 1);
    catalogue->entries = g_ptr_array_new_with_free_func(model_entry_free);
    const char *base_url = g_getenv("SPYGLASS_MODEL_BASE_URL");
    library_model_catalogue_set_base_url(
        catalogue, base_url != NULL && *base_url != '\0' ? base_url : DEFAULT_BASE_URL);
    for (guint i = 0; i < json_array_get_length(models); i++) {
        LibraryModelEntry *entry = parse_entry(json_array_get_element(models, i), path, error);
        if (entry == NULL) {
            library_model_catalogue_free(catalogue);
            return NULL;
        }
        g_ptr_array_add(catalogue->entries, entry);
    }
    return catalogue;
}

LibraryModelCatalogue *library_model_catalogue_load_default(GError **error)
{
    const char *path = g_getenv("SPYGLASS_MODEL_CATALOGUE");
    if (path != NULL && *path != '\0')
        return library_model_catalogue_load(path, error);
    g_autofree char *data = library_data_dir();
    g_autofree char *installed = g_build_filename(data, "models.json", NULL);
    return library_model_catalogue_load(installed, error);
}

void library_model_catalogue_free(LibraryModelCatalogue *catalogue)
{
    if (catalogue == NULL)
        return;
    g_ptr_array_unref(catalogue->entries);
    g_free(catalogue->base_url);
    g_free(catalogue);
}

GPtrArray *library_model_catalogue_entries(LibraryModelCatalogue *catalogue)
{
    return catalogue->entries;
}

const LibraryModelEntry *library_model_catalogue_find(LibraryModelCatalogue *catalogue,
                                                      const char *name)
{
    for (guint i = 0; i < catalogue->entries->len; i++) {
        const LibraryModelEntry *entry = g_ptr_array_index(catalogue->entries, i);
        if (g_strcmp0(entry->name, name) == 0)
            return entry;
    }
    return NULL;
}

const char *library_model_catalogue_get_base_url(LibraryModelCatalogue *catalogue)
{
    return catalogue->base_url;
}

void library_model_catalogue_set_base_url(LibraryModelCatalogue *catalogue, const char *base_url)
{
    g_free(catalogue->base_url);
    catalogue->base_url = g_strdup(base_url);
    /* "{base}/{repo}" whether or not the base ends with a slash. */
    size_t len = strlen(catalogue->base_url);
    while (len > 0 && catalogue->base_url[len - 1] == '/')
        catalogue->base_url[--len] = '\0';
}

/* Folders */

char *library_models_dir(void)
{
    return g_build_filename(g_get_user_data_dir(), "spyglass", "models", NULL);
}

char *library_model_installed_dir(const char *name)
{
    if (!is_safe_name(name))
        return NULL;
    g_autofree char *models = library_models_dir();
    char *dir = g_build_filename(models, name, NULL);
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
        g_clear_pointer(&dir, g_free);
    return dir;
}

char *library_model_best_installed_dir(LibraryModelCatalogue *catalogue)
{
    for (guint i = 0; i < catalogue->entries->len; i++) {
        const LibraryModelEntry *entry = g_ptr_array_index(catalogue->entries, i);
        char *dir = library_model_installed_dir(entry->name);
        if (dir != NULL)
            return dir;
    }
    return NULL;
}

static void set_errno_error(GError **error, int saved_errno, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static void set_errno_error(GError **error, int saved_errno, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *what = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved_errno), "%s: %s", what,
                saved_errno == ENOSPC ? "disk full" : g_strerror(saved_errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static gboolean remove_tree(const char *name, const char *dir, GError **error)
{
    if (!g_file_test(dir, G_FILE_TEST_EXISTS))
        return TRUE;
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        set_errno_error(error, errno, "%s: cannot delete %s", name, dir);
        return FALSE;
    }
    return TRUE;
}

/* Holds an exclusive flock on models/.NAME.lock; the kernel drops it when
 * the process dies, so a killed install never blocks the next one. Waits
 * for another holder, checking the cancellable. Returns the fd or -1. */
static int lock_model(const char *models_dir, const char *name, GCancellable *cancellable,
                      GError **error)
{
    g_autofree char *lock_name = g_strdup_printf(".%s.lock", name);
    g_autofree char *path = g_build_filename(models_dir, lock_name, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        set_errno_error(error, errno, "%s: cannot create %s", name, path);
        return -1;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            set_errno_error(error, errno, "%s: cannot lock %s", name, path);
            close(fd);
            return -1;
        }
        if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
            close(fd);
            return -1;
        }
        g_usleep(100 * 1000);
    }
    return fd;
}

static guint64 file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (guint64)st.st_size : 0;
}

static gboolean check_free_space(const char *name, const char *dir, guint64 needed,
                                 GCancellable *cancellable, GError **error)
{
    g_autoptr(GFile) file = g_file_new_for_path(dir);
    g_autoptr(GFileInfo) info =
        g_file_query_filesystem_info(file, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, cancellable, NULL);
    /* A file system that does not say how much is free is not refused. */
    if (info == NULL || !g_file_info_has_attribute(info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
        return TRUE;
    guint64 free_bytes = g_file_info_get_attribute_uint64(info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
    if (free_bytes >= needed)
        return TRUE;
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                "%s: not enough disk space in %s: needs %.1f MB, %.1f MB free", name, dir,
                needed / 1e6, free_bytes / 1e6);
    return FALSE;
}

/* Downloading */

typedef struct {
    LibraryModelCatalogue *catalogue;
    const LibraryModelEntry *entry;
    SoupSession *session;
    char *partial_dir;
    LibraryModelProgressFunc progress;
    gpointer user_data;
    GCancellable *cancellable;
    guint file_index;
    gint64 started_us;
    guint64 transferred; /* bytes received in this install, for the rate */
    gint64 last_report_us;
} Install;

/* What the hub says about a file across the redirect chain. */
typedef struct {
    char *sha256;
    gint64 size;
} HubInfo;

/* An ETag value that is a SHA-256: "…", W/"…" or bare. */
static char *etag_sha256(const char *etag)
{
    if (etag == NULL)
        return NULL;
    if (g_str_has_prefix(etag, "W/"))
        etag += 2;
    g_autofree char *bare = g_strdup(etag);
    g_strstrip(bare);
    size_t len = strlen(bare);
    if (len >= 2 && bare[0] == '"' && bare[len - 1] == '"') {
        bare[len - 1] = '\0';
        memmove(bare, bare + 1, len - 1);
    }
    return is_sha256_hex(bare) ? g_ascii_strdown(bare, -1) : NULL;
}

/* The hub puts the LFS object's SHA-256 in X-Linked-ETag on the redirect to
 * its CDN, whose own response may not carry it: read every response. */
static void on_got_headers(SoupMessage *message, gpointer data)
{
    HubInfo *info = data;
    SoupMessageHeaders *headers = soup_message_get_response_headers(message);
    char *linked = etag_sha256(soup_message_headers_get_one(headers, "X-Linked-ETag"));
    if (linked != NULL) {
        g_free(info->sha256);
        info->sha256 = linked;
    } else if (info->sha256 == NULL) {
        info->sha256 = etag_sha256(soup_message_headers_get_one(headers, "ETag"));
    }
    const char *size = soup_message_headers_get_one(headers, "X-Linked-Size");
    if (size != NULL)
        info->size = g_ascii_strtoll(size, NULL, 10);
}

static void report_progress(Install *install, const char *file, guint64 done, guint64 total,
                            gboolean force)
{
    if (install->progress == NULL)
        return;
    gint64 now = g_get_monotonic_time();
    if (!force && now - install->last_report_us < PROGRESS_INTERVAL_US)
        return;
    install->last_report_us = now;
    double seconds = (now - install->started_us) / 1e6;
    double rate = seconds > 0.0 ? install->transferred / seconds : 0.0;
    LibraryModelProgress progress = {
        .model = install->entry->name,
        .file = file,
        .file_index = install->file_index,
        .n_files = install->entry->files->len,
        .done = done,
        .total = total,
        .bytes_per_second = rate,
        .seconds_left = total > 0 && rate > 0.0 ? (total - MIN(done, total)) / rate : -1.0,
    };
    install->progress(&progress, install->user_data);
}

static gboolean is_interruption(const GError *error)
{
    return g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT) ||
           g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
           g_error_matches(error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
           g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

/* Network errors before any byte arrived: name the host, say what to check. */
static void set_network_error(GError **error, const char *name, const char *url, GError *cause)
{
    if (g_error_matches(cause, G_IO_ERROR, G_IO_ERROR_CANCELLED) || is_interruption(cause)) {
        g_propagate_prefixed_error(error, g_error_copy(cause), "%s: %s: ", name, url);
        return;
    }
    g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    const char *host = uri != NULL ? g_uri_get_host(uri) : url;
    int code = cause->domain == G_IO_ERROR ? cause->code : G_IO_ERROR_HOST_NOT_FOUND;
    g_set_error(error, G_IO_ERROR, code, "%s: cannot reach %s (no network?): %s", name, host,
                cause->message);
}

static gboolean write_all(int fd, const char *data, gsize size, const char *name, const char *path,
                          GError **error)
{
    while (size > 0) {
        ssize_t written = write(fd, data, size);
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0) {
            set_errno_error(error, errno, "%s: cannot write %s", name, path);
            return FALSE;
        }
        data += written;
        size -= (gsize)written;
    }
    return TRUE;
}

/* Copies the response body into the .part file (appending after a 206). */
static gboolean receive_body(Install *install, GInputStream *body, const char *file_name,
                             const char *part_path, gboolean append, guint64 offset, guint64 total,
                             GError **error)
{
    const char *name = install->entry->name;
    int fd = open(part_path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
    if (fd < 0) {
        set_errno_error(error, errno, "%s: cannot create %s", name, part_path);
        return FALSE;
    }
    g_autofree char *buffer = g_malloc(CHUNK_SIZE);
    guint64 done = append ? offset : 0;
    gboolean ok = TRUE;
    for (;;) {
        g_autoptr(GError) local = NULL;
        gssize n = g_input_stream_read(body, buffer, CHUNK_SIZE, install->cancellable, &local);
        if (n < 0) {
            g_propagate_prefixed_error(error, g_steal_pointer(&local), "%s: %s: ", name, file_name);
            ok = FALSE;
            break;
        }
        if (n == 0)
            break;
        if (!(ok = write_all(fd, buffer, (gsize)n, name, part_path, error)))
            break;
        done += (guint64)n;
        install->transferred += (guint64)n;
        report_progress(install, file_name, done, total, FALSE);
    }
    /* What arrived is kept whatever happens next: the next try resumes it. */
    if (fsync(fd) != 0 && ok) {
        set_errno_error(error, errno, "%s: cannot write %s", name, part_path);
        ok = FALSE;
    }
    close(fd);
    if (ok && total > 0 && done != total) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                    "%s: %s: the connection ended after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                    " bytes",
                    name, file_name, done, total);
        ok = FALSE;
    }
    if (ok)
        report_progress(install, file_name, done, total, TRUE);
    return ok;
}

/* The size the file will have: the catalogue's, else the hub's. */
static gint64 expected_size(const LibraryModelFile *file, const HubInfo *info)
{
    return file->size >= 0 ? file->size : info->size;
}

/* One GET of the rest of the file. A failure that is an interruption
 * (is_interruption) leaves the .part file to resume from. */
static gboolean fetch_once(Install *install, const LibraryModelFile *file, const char *url,
                           const char *part_path, HubInfo *info, GError **error)
{
    const char *name = install->entry->name;
    guint64 offset = file_size(part_path);
    g_autoptr(SoupMessage) message = soup_message_new(SOUP_METHOD_GET, url);
    if (message == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: bad URL %s", name, url);
        return FALSE;
    }
    if (offset > 0)
        soup_message_headers_set_range(soup_message_get_request_headers(message), (goffset)offset,
                                       -1);
    g_signal_connect(message, "got-headers", G_CALLBACK(on_got_headers), info);

    g_autoptr(GError) local = NULL;
    g_autoptr(GInputStream) body =
        soup_session_send(install->session, message, install->cancellable, &local);
    if (body == NULL) {
        set_network_error(error, name, url, local);
        return FALSE;
    }
    guint status = soup_message_get_status(message);
    SoupMessageHeaders *headers = soup_message_get_response_headers(message);
    if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && offset > 0) {
        /* The .part is whole when the last run died before verifying it. */
        if (expected_size(file, info) == (gint64)offset)
            return TRUE;
        unlink(part_path);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT, "%s: %s: cannot resume", name,
                    file->name);
        return FALSE;
    }
    if (status == SOUP_STATUS_NOT_FOUND) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: %s not found at %s (HTTP 404)",
                    name, file->name, url);
        return FALSE;
    }
    if (status != SOUP_STATUS_OK && status != SOUP_STATUS_PARTIAL_CONTENT) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s: HTTP %u %s from %s", name,
                    file->name, status, soup_message_get_reason_phrase(message), url);
        return FALSE;
    }

    goffset start = 0, end = 0, length = 0;
    gboolean append = FALSE;
    if (status == SOUP_STATUS_PARTIAL_CONTENT) {
        if (!soup_message_headers_get_content_range(headers, &start, &end, &length) ||
            (guint64)start != offset) {
            unlink(part_path);
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                        "%s: %s: the server resumed at the wrong offset", name, file->name);
            return FALSE;
        }
        append = TRUE;
    }
    goffset body_length = soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CONTENT_LENGTH
                              ? soup_message_headers_get_content_length(headers)
                              : 0;
    guint64 total = append ? (length > 0 ? (guint64)length : offset + (guint64)body_length)
                           : (guint64)body_length;
    if (total > 0 && !check_free_space(name, install->partial_dir, total - (append ? offset : 0),
                                       install->cancellable, error))
        return FALSE;
    return receive_body(install, body, file->name, part_path, append, offset, total, error);
}

/* Sleeps between tries, waking for a cancel. */
static gboolean wait_before_retry(guint attempt, GCancellable *cancellable, GError **error)
{
    for (guint i = 0; i < attempt * 5; i++) {
        if (g_cancellable_set_error_if_cancelled(cancellable, error))
            return FALSE;
        g_usleep(100 * 1000);
    }
    return TRUE;
}

static gboolean fetch_file(Install *install, const LibraryModelFile *file, const char *part_path,
                           HubInfo *info, GError **error)
{
    g_autofree char *url =
        g_strdup_printf("%s/%s/resolve/%s/%s", install->catalogue->base_url, install->entry->repo,
                        install->entry->revision, file->name);
    for (guint attempt = 1;; attempt++) {
        g_autoptr(GError) local = NULL;
        if (fetch_once(install, file, url, part_path, info, &local))
            return TRUE;
        if (!is_interruption(local) || attempt == MAX_ATTEMPTS) {
            if (is_interruption(local))
                g_prefix_error(&local, "download interrupted (run install again to resume): ");
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        if (!wait_before_retry(attempt, install->cancellable, error))
            return FALSE;
    }
}

static char *file_sha256(const char *name, const char *path, GCancellable *cancellable,
                         GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_errno_error(error, errno, "%s: cannot read %s", name, path);
        return NULL;
    }
    g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree guchar *buffer = g_malloc(CHUNK_SIZE);
    ssize_t n;
    while ((n = read(fd, buffer, CHUNK_SIZE)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_errno_error(error, errno, "%s: cannot read %s", name, path);
            close(fd);
            return NULL;
        }
        if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
            close(fd);
            return NULL;
        }
        g_checksum_update(checksum, buffer, n);
    }
    close(fd);
    return g_strdup(g_checksum_get_string(checksum));
}

/* What the manifest records of a file. */
typedef struct {
    char *name;
    guint64 size;
    char *sha256;
    const char *verified_by; /* "catalogue", "hub", "earlier install" or "none" */
} FileRecord;

static void file_record_free(gpointer data)
{
    FileRecord *record = data;
    g_free(record->name);
    g_free(record->sha256);
    g_free(record);
}

/* Downloads (or resumes) one file into the partial folder and verifies it. */
static FileRecord *install_file(Install *install, const LibraryModelFile *file, GError **error)
{
    const char *name = install->entry->name;
    g_autofree char *path = g_build_filename(install->partial_dir, file->name, NULL);
    g_autofree char *part_path = g_strconcat(path, ".part", NULL);
    HubInfo info = {.sha256 = NULL, .size = -1};
    const char *verified_by = "earlier install";
    /* A file without .part was verified by an earlier, interrupted install. */
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        if (!fetch_file(install, file, part_path, &info, error)) {
            g_free(info.sha256);
            return NULL;
        }
        verified_by = file->sha256 != NULL ? "catalogue" : info.sha256 != NULL ? "hub" : "none";
    }
    const char *on_disk = g_file_test(path, G_FILE_TEST_IS_REGULAR) ? path : part_path;
    g_autofree char *hub_sha256 = info.sha256;
    g_autofree char *actual = file_sha256(name, on_disk, install->cancellable, error);
    if (actual == NULL)
        return NULL;
    const char *expected = file->sha256 != NULL ? file->sha256 : hub_sha256;
    if (expected != NULL && strcmp(expected, actual) != 0) {
        unlink(on_disk);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: %s: checksum mismatch (expected sha256 %s, got %s); the file was deleted",
                    name, file->name, expected, actual);
        return NULL;
    }
    if (on_disk == part_path && rename(part_path, path) != 0) {
        set_errno_error(error, errno, "%s: cannot rename %s", name, part_path);
        return NULL;
    }
    FileRecord *record = g_new0(FileRecord, 1);
    record->name = g_strdup(file->name);
    record->size = file_size(path);
    record->sha256 = g_steal_pointer(&actual);
    record->verified_by = verified_by;
    return record;
}

static gboolean write_manifest(Install *install, GPtrArray *records, GError **error)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "name");
    json_builder_add_string_value(builder, install->entry->name);
    json_builder_set_member_name(builder, "repo");
    json_builder_add_string_value(builder, install->entry->repo);
    json_builder_set_member_name(builder, "revision");
    json_builder_add_string_value(builder, install->entry->revision);
    json_builder_set_member_name(builder, "source");
    json_builder_add_string_value(builder, install->catalogue->base_url);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *installed = g_date_time_format_iso8601(now);
    json_builder_set_member_name(builder, "installed");
    json_builder_add_string_value(builder, installed);
    json_builder_set_member_name(builder, "files");
    json_builder_begin_array(builder);
    for (guint i = 0; i < records->len; i++) {
        const FileRecord *record = g_ptr_array_index(records, i);
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "name");
        json_builder_add_string_value(builder, record->name);
        json_builder_set_member_name(builder, "size");
        json_builder_add_int_value(builder, (gint64)record->size);
        json_builder_set_member_name(builder, "sha256");
        json_builder_add_string_value(builder, record->sha256);
        json_builder_set_member_name(builder, "verified_by");
        json_builder_add_string_value(builder, record->verified_by);
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);

    g_autoptr(JsonGenerator) generator = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    json_generator_set_root(generator, root);
    json_generator_set_pretty(generator, TRUE);
    g_autofree char *path = g_build_filename(install->partial_dir, MANIFEST_NAME, NULL);
    if (!json_generator_to_file(generator, path, error)) {
        g_prefix_error(error, "%s: ", install->entry->name);
        return FALSE;
    }
    return TRUE;
}

/* A verified download can still be a folder the engine cannot use (a
 * catalogue listing the wrong files): never install that. */
static gboolean validate_model(const char *name, const char *dir, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(ClipModel) model = clip_model_load(dir, &local);
    g_autoptr(ClipTokenizer) tokenizer =
        model != NULL ? clip_tokenizer_new_from_dir(dir, &local) : NULL;
    if (tokenizer != NULL)
        return TRUE;
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "%s: the downloaded model does not load: %s", name, local->message);
    return FALSE;
}

static guint64 known_bytes_left(Install *install)
{
    guint64 left = 0;
    for (guint i = 0; i < install->entry->files->len; i++) {
        const LibraryModelFile *file = g_ptr_array_index(install->entry->files, i);
        g_autofree char *path = g_build_filename(install->partial_dir, file->name, NULL);
        g_autofree char *part_path = g_strconcat(path, ".part", NULL);
        if (file->size < 0 || g_file_test(path, G_FILE_TEST_IS_REGULAR))
            continue;
        left += (guint64)file->size - MIN(file_size(part_path), (guint64)file->size);
    }
    return left;
}

/* Called with the model's lock held. */
static gboolean install_locked(Install *install, const char *final_dir, GError **error)
{
    const char *name = install->entry->name;
    if (g_mkdir_with_parents(install->partial_dir, 0755) != 0) {
        set_errno_error(error, errno, "%s: cannot create %s", name, install->partial_dir);
        return FALSE;
    }
    if (!check_free_space(name, install->partial_dir, known_bytes_left(install),
                          install->cancellable, error))
        return FALSE;
    g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func(file_record_free);
    for (guint i = 0; i < install->entry->files->len; i++) {
        install->file_index = i;
        FileRecord *record =
            install_file(install, g_ptr_array_index(install->entry->files, i), error);
        if (record == NULL)
            return FALSE;
        g_ptr_array_add(records, record);
    }
    if (!write_manifest(install, records, error))
        return FALSE;
    if (!validate_model(name, install->partial_dir, error)) {
        remove_tree(name, install->partial_dir, NULL);
        return FALSE;
    }
    if (rename(install->partial_dir, final_dir) != 0) {
        set_errno_error(error, errno, "%s: cannot rename %s", name, install->partial_dir);
        return FALSE;
    }
    return TRUE;
}

static SoupSession *new_session(void)
{
    /* The default proxy resolver is the system's (GNOME settings or the
     * *_proxy variables); the timeout makes a stalled transfer an
     * interruption that resumes rather than a hang. */
    return soup_session_new_with_options("user-agent", "Spyglass/" SPYGLASS_VERSION, "timeout", 60,
                                         NULL);
}

char *library_model_install(LibraryModelCatalogue *catalogue, const char *name,
                            LibraryModelProgressFunc progress, gpointer user_data,
                            GCancellable *cancellable, GError **error)
{
    const LibraryModelEntry *entry = library_model_catalogue_find(catalogue, name);
    if (entry == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s: not in the model catalogue (see spyglass-cli model list)", name);
        return NULL;
    }
    g_autofree char *models_dir = library_models_dir();
    g_autofree char *final_dir = g_build_filename(models_dir, name, NULL);
    if (g_file_test(final_dir, G_FILE_TEST_IS_DIR))
        return g_steal_pointer(&final_dir);
    if (g_mkdir_with_parents(models_dir, 0755) != 0) {
        set_errno_error(error, errno, "%s: cannot create %s", name, models_dir);
        return NULL;
    }
    int lock = lock_model(models_dir, name, cancellable, error);
    if (lock < 0)
        return NULL;
    /* Another process may have installed it while this one waited. */
    gboolean ok = g_file_test(final_dir, G_FILE_TEST_IS_DIR);
    if (!ok) {
        Install install = {
            .catalogue = catalogue,
            .entry = entry,
            .session = new_session(),
            .partial_dir = g_strconcat(final_dir, PARTIAL_SUFFIX, NULL),
            .progress = progress,
            .user_data = user_data,
            .cancellable = cancellable,
            .started_us = g_get_monotonic_time(),
        };
        ok = install_locked(&install, final_dir, error);
        g_object_unref(install.session);
        g_free(install.partial_dir);
    }
    close(lock);
    return ok ? g_steal_pointer(&final_dir) : NULL;
}

gboolean library_model_remove(const char *name, GError **error)
{
    g_autofree char *models_dir = library_models_dir();
    g_autofree char *dir = g_build_filename(models_dir, name, NULL);
    g_autofree char *partial = g_strconcat(dir, PARTIAL_SUFFIX, NULL);
    if (!is_safe_name(name) ||
        (!g_file_test(dir, G_FILE_TEST_IS_DIR) && !g_file_test(partial, G_FILE_TEST_IS_DIR))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: not installed", name);
        return FALSE;
    }
    int lock = lock_model(models_dir, name, NULL, error);
    if (lock < 0)
        return FALSE;
    /* Renamed first so that no reader ever sees a half-deleted model. */
    g_autofree char *doomed_name = g_strdup_printf(".%s.removing", name);
    g_autofree char *doomed = g_build_filename(models_dir, doomed_name, NULL);
    gboolean ok = remove_tree(name, doomed, error);
    if (ok && g_file_test(dir, G_FILE_TEST_IS_DIR) && rename(dir, doomed) != 0) {
        set_errno_error(error, errno, "%s: cannot remove %s", name, dir);
        ok = FALSE;
    }
    ok = ok && remove_tree(name, doomed, error) && remove_tree(name, partial, error);
    close(lock);
    return ok;
}

/* Async */

typedef struct {
    LibraryModelCatalogue *catalogue;
    char *name;
    LibraryModelProgressFunc progress;
    gpointer user_data;
    GMainContext *context;
} InstallTaskData;

static void install_task_data_free(gpointer data)
{
    InstallTaskData *task_data = data;
    g_free(task_data->name);
    g_main_context_unref(task_data->context);
    g_free(task_data);
}

typedef struct {
    LibraryModelProgress progress;
    char *model, *file;
    LibraryModelProgressFunc func;
    gpointer user_data;
} ProgressEvent;

static void progress_event_free(gpointer data)
{
    ProgressEvent *event = data;
    g_free(event->model);
    g_free(event->file);
    g_free(event);
}

static gboolean deliver_progress(gpointer data)
{
    ProgressEvent *event = data;
    event->func(&event->progress, event->user_data);
    return G_SOURCE_REMOVE;
}

static void forward_progress(const LibraryModelProgress *progress, gpointer data)
{
    InstallTaskData *task_data = data;
    ProgressEvent *event = g_new0(ProgressEvent, 1);
    event->progress = *progress;
    event->progress.model = event->model = g_strdup(progress->model);
    event->progress.file = event->file = g_strdup(progress->file);
    event->func = task_data->progress;
    event->user_data = task_data->user_data;
    g_main_context_invoke_full(task_data->context, G_PRIORITY_DEFAULT, deliver_progress, event,
                               progress_event_free);
}

static void install_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    InstallTaskData *task_data = data;
    GError *error = NULL;
    char *dir = library_model_install(task_data->catalogue, task_data->name,
                                      task_data->progress != NULL ? forward_progress : NULL,
                                      task_data, cancellable, &error);
    if (dir != NULL)
        g_task_return_pointer(task, dir, g_free);
    else
        g_task_return_error(task, error);
}

void library_model_install_async(LibraryModelCatalogue *catalogue, const char *name,
                                 LibraryModelProgressFunc progress, gpointer user_data,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer callback_data)
{
    InstallTaskData *task_data = g_new0(InstallTaskData, 1);
    task_data->catalogue = catalogue;
    task_data->name = g_strdup(name);
    task_data->progress = progress;
    task_data->user_data = user_data;
    task_data->context = g_main_context_ref_thread_default();
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, callback_data);
    g_task_set_source_tag(task, library_model_install_async);
    g_task_set_task_data(task, task_data, install_task_data_free);
    g_task_run_in_thread(task, install_thread);
}

char *library_model_install_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- which model to use ---- */

char *library_data_dir(void)
{
    const char *env = g_getenv("SPYGLASS_DATADIR");
    return g_strdup(env != NULL && *env != '\0' ? env : SPYGLASS_PKGDATADIR);
}

char *library_demo_model_dir(void)
{
    g_autofree char *data = library_data_dir();
    return g_build_filename(data, "models", "demo", NULL);
}

/* The folder of the model the library last indexed with, when it is still
 * there; when it is gone, its name goes to *missing (may be NULL). */
static char *library_current_model_dir(const char *db_path, char **missing)
{
    if (db_path == NULL || !g_file_test(db_path, G_FILE_TEST_IS_REGULAR))
        return NULL;
    g_autoptr(LibraryStore) store = library_store_open(db_path, NULL);
    g_autoptr(LibraryModelRecord) record =
        store != NULL ? library_store_get_current_model(store, NULL) : NULL;
    if (record == NULL || record->dir == NULL)
        return NULL;
    if (!g_file_test(record->dir, G_FILE_TEST_IS_DIR)) {
        if (missing != NULL)
            *missing = g_strdup(record->name);
        return NULL;
    }
    return g_strdup(record->dir);
}

void library_model_resolution_clear(LibraryModelResolution *resolution)
{
    g_clear_pointer(&resolution->missing_model, g_free);
    g_clear_pointer(&resolution->notice, g_free);
    resolution->fallback = FALSE;
}

/* The best installed catalogue model, else the bundled demo, else NULL. */
static char *library_fallback_model_dir(void)
{
    /* The catalogue is best first; without one, nothing counts as installed. */
    g_autoptr(LibraryModelCatalogue) catalogue = library_model_catalogue_load_default(NULL);
    char *best = catalogue != NULL ? library_model_best_installed_dir(catalogue) : NULL;
    if (best != NULL)
        return best;
    g_autofree char *demo = library_demo_model_dir();
    if (g_file_test(demo, G_FILE_TEST_IS_DIR))
        return g_steal_pointer(&demo);
    return NULL;
}

static void note_fallback(LibraryModelResolution *resolution, char *missing, const char *dir)
{
    g_autofree char *name = g_path_get_basename(dir);
    resolution->fallback = TRUE;
    resolution->missing_model = missing;
    resolution->notice = g_strdup_printf(
        "the library's model %s is no longer installed: using %s instead; photos are "
        "re-embedded with it when the library is indexed",
        missing, name);
}

char *library_resolve_model_dir_full(const char *requested, const char *db_path,
                                     LibraryModelResolution *resolution, GError **error)
{
    if (resolution != NULL)
        *resolution = (LibraryModelResolution){0};
    const char *env = g_getenv("SPYGLASS_MODEL");
    if ((requested == NULL || *requested == '\0') && env != NULL && *env != '\0')
        requested = env;
    /* A folder (or a path, which clip_model_load then explains), else the
     * name of an installed model. */
    if (requested != NULL && *requested != '\0') {
        if (g_file_test(requested, G_FILE_TEST_IS_DIR) || strchr(requested, '/') != NULL)
            return g_strdup(requested);
        char *installed = library_model_installed_dir(requested);
        if (installed == NULL)
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                        "%s: no such model folder or installed model (see spyglass-cli model list)",
                        requested);
        return installed;
    }

    g_autofree char *missing = NULL;
    char *current = library_current_model_dir(db_path, &missing);
    if (current != NULL)
        return current;
    char *fallback = library_fallback_model_dir();
    if (fallback == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "no model: pass --model DIR or run spyglass-cli model install NAME");
        return NULL;
    }
    if (missing != NULL && resolution != NULL)
        note_fallback(resolution, g_steal_pointer(&missing), fallback);
    return fallback;
}

char *library_resolve_model_dir(const char *requested, const char *db_path, GError **error)
{
    return library_resolve_model_dir_full(requested, db_path, NULL, error);
}
