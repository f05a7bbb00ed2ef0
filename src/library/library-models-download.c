/* library-models-download.c: one model file fetched from the hub over HTTP,
 * resumed after interruptions, with what the hub says of its size and hash. */
#include "library-models-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Interrupted transfers resume this many times within one install before
 * the error reaches the user (whose next install resumes again). */
#define MAX_ATTEMPTS         5
#define CHUNK_SIZE           (256 * 1024)
#define PROGRESS_INTERVAL_US (100 * 1000)

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
    return library_model_is_sha256_hex(bare) ? g_ascii_strdown(bare, -1) : NULL;
}

/* The hub puts the LFS object's SHA-256 in X-Linked-ETag on the redirect to
 * its CDN, whose own response may not carry it: read every response. */
static void on_got_headers(SoupMessage *message, gpointer data)
{
    LibraryModelHubInfo *info = data;
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

static void report_progress(LibraryModelInstall *install, const char *file, guint64 done,
                            guint64 total, gboolean force)
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
            library_model_set_errno_error(error, errno, "%s: cannot write %s", name, path);
            return FALSE;
        }
        data += written;
        size -= (gsize)written;
    }
    return TRUE;
}

/* Copies the response body into the .part file (appending after a 206). */
static gboolean receive_body(LibraryModelInstall *install, GInputStream *body,
                             const char *file_name, const char *part_path, gboolean append,
                             guint64 offset, guint64 total, GError **error)
{
    const char *name = install->entry->name;
    int fd = open(part_path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
    if (fd < 0) {
        library_model_set_errno_error(error, errno, "%s: cannot create %s", name, part_path);
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
        library_model_set_errno_error(error, errno, "%s: cannot write %s", name, part_path);
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
static gint64 expected_size(const LibraryModelFile *file, const LibraryModelHubInfo *info)
{
    return file->size >= 0 ? file->size : info->size;
}

/* One GET of the rest of the file. A failure that is an interruption
 * (is_interruption) leaves the .part file to resume from. */
static gboolean fetch_once(LibraryModelInstall *install, const LibraryModelFile *file,
                           const char *url, const char *part_path, LibraryModelHubInfo *info,
                           GError **error)
{
    const char *name = install->entry->name;
    guint64 offset = library_model_file_size(part_path);
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
    if (total > 0 &&
        !library_model_check_free_space(name, install->partial_dir, total - (append ? offset : 0),
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

gboolean library_model_fetch_file(LibraryModelInstall *install, const LibraryModelFile *file,
                                  const char *part_path, LibraryModelHubInfo *info, GError **error)
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

char *library_model_file_sha256(const char *name, const char *path, GCancellable *cancellable,
                                GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        library_model_set_errno_error(error, errno, "%s: cannot read %s", name, path);
        return NULL;
    }
    g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree guchar *buffer = g_malloc(CHUNK_SIZE);
    ssize_t n;
    while ((n = read(fd, buffer, CHUNK_SIZE)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            library_model_set_errno_error(error, errno, "%s: cannot read %s", name, path);
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
