/* test-model-manager.c: installing models from a loopback hub (SoupServer) serving the fixtures. */
#include "test-common.h"

#include "clip/clip-model.h"
#include "library/library-models.h"
#include "library/library-store.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

/* Repositories the loopback hub serves, each from a fixture folder:
 *   test/tiny-f32   files as they are, model.safetensors pinned in the catalogue;
 *   test/tiny-f16   model.safetensors through a redirect carrying X-Linked-ETag
 *                   (the hub's LFS behaviour), nothing pinned;
 *   test/resume     like tiny-f32, but the first model.safetensors response
 *                   stops half-way and the connection drops;
 *   test/corrupt    model.safetensors with a flipped byte, the true hash in
 *                   X-Linked-ETag;
 *   test/missing    a catalogue file the hub does not have (404);
 *   test/slow       like tiny-f32, but model.safetensors stops after half
 *                   and then trickles a byte every 20 ms until the client
 *                   hangs up (for Ctrl-C mid-download). */
typedef struct {
    GThread *thread;
    GMainContext *context;
    GMainLoop *loop;
    SoupServer *server;
    guint port;
    char *f32_dir, *f16_dir;
    char *f32_sha256, *f16_sha256;
    GMutex mutex;
    gboolean dropped;
    gboolean slow_half_sent;
    GPtrArray *resume_ranges; /* the Range header of each test/resume weights request */
} Hub;

static Hub hub;
static char *catalogue_path;
static const char *cli_path;

static char *sha256_of(const char *path)
{
    g_autofree char *data = NULL;
    gsize size = 0;
    g_assert_true(g_file_get_contents(path, &data, &size, NULL));
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, size);
}

static void set_body(SoupServerMessage *message, const char *data, gsize size, guint status)
{
    soup_server_message_set_status(message, status, NULL);
    soup_server_message_set_response(message, "application/octet-stream", SOUP_MEMORY_COPY, data,
                                     size);
}

/* Answers Range like the hub's CDN: 206 with Content-Range, else 200. */
static void serve_bytes(SoupServerMessage *message, const char *data, gsize size)
{
    SoupMessageHeaders *request = soup_server_message_get_request_headers(message);
    SoupRange *ranges = NULL;
    int n = 0;
    if (soup_message_headers_get_ranges(request, (goffset)size, &ranges, &n) && n == 1) {
        goffset start = ranges[0].start, end = ranges[0].end;
        soup_message_headers_free_ranges(request, ranges);
        soup_message_headers_set_content_range(soup_server_message_get_response_headers(message),
                                               start, end, (goffset)size);
        set_body(message, data + start, (gsize)(end - start + 1), SOUP_STATUS_PARTIAL_CONTENT);
        return;
    }
    set_body(message, data, size, SOUP_STATUS_OK);
}

/* Sends the headers of the whole file and half of it, then hangs up. */
static void serve_half_and_drop(SoupServerMessage *message, const char *data, gsize size)
{
    g_autoptr(GIOStream) stream = soup_server_message_steal_connection(message);
    GOutputStream *out = g_io_stream_get_output_stream(stream);
    g_autofree char *head = g_strdup_printf("HTTP/1.1 200 OK\r\nContent-Length: %" G_GSIZE_FORMAT
                                            "\r\nContent-Type: application/octet-stream\r\n\r\n",
                                            size);
    g_output_stream_write_all(out, head, strlen(head), NULL, NULL, NULL);
    g_output_stream_write_all(out, data, size / 2, NULL, NULL, NULL);
    g_io_stream_close(stream, NULL, NULL);
}

typedef struct {
    GIOStream *stream;
    char *data;
    gsize size;
} Trickle;

/* Half the file at once, then a byte at a time, slowly, until the client
 * goes away (or 30 s pass). */
static gpointer trickle_thread(gpointer user_data)
{
    Trickle *trickle = user_data;
    GOutputStream *out = g_io_stream_get_output_stream(trickle->stream);
    g_autofree char *head = g_strdup_printf("HTTP/1.1 200 OK\r\nContent-Length: %" G_GSIZE_FORMAT
                                            "\r\nContent-Type: application/octet-stream\r\n\r\n",
                                            trickle->size);
    gsize at = trickle->size / 2;
    gboolean ok = g_output_stream_write_all(out, head, strlen(head), NULL, NULL, NULL) &&
                  g_output_stream_write_all(out, trickle->data, at, NULL, NULL, NULL) &&
                  g_output_stream_flush(out, NULL, NULL);
    g_mutex_lock(&hub.mutex);
    hub.slow_half_sent = TRUE;
    g_mutex_unlock(&hub.mutex);
    for (guint i = 0; ok && i < 1500 && at < trickle->size; i++, at++) {
        g_usleep(20000);
        ok = g_output_stream_write_all(out, trickle->data + at, 1, NULL, NULL, NULL) &&
             g_output_stream_flush(out, NULL, NULL);
    }
    g_io_stream_close(trickle->stream, NULL, NULL);
    g_object_unref(trickle->stream);
    g_free(trickle->data);
    g_free(trickle);
    return NULL;
}

static void serve_slowly(SoupServerMessage *message, char *data, gsize size)
{
    Trickle *trickle = g_new0(Trickle, 1);
    trickle->stream = soup_server_message_steal_connection(message);
    trickle->data = data;
    trickle->size = size;
    g_thread_unref(g_thread_new("trickle", trickle_thread, trickle));
}

static void serve_weights(SoupServerMessage *message, const char *repo, const char *dir,
                          const char *sha256)
{
    g_autofree char *path = g_build_filename(dir, "model.safetensors", NULL);
    g_autofree char *data = NULL;
    gsize size = 0;
    g_assert_true(g_file_get_contents(path, &data, &size, NULL));
    SoupMessageHeaders *response = soup_server_message_get_response_headers(message);
    g_autofree char *etag = g_strdup_printf("\"%s\"", sha256);
    if (g_str_equal(repo, "resume")) {
        const char *range =
            soup_message_headers_get_one(soup_server_message_get_request_headers(message), "Range");
        g_mutex_lock(&hub.mutex);
        g_ptr_array_add(hub.resume_ranges, g_strdup(range != NULL ? range : ""));
        gboolean drop = !hub.dropped;
        hub.dropped = TRUE;
        g_mutex_unlock(&hub.mutex);
        if (drop) {
            serve_half_and_drop(message, data, size);
            return;
        }
    } else if (g_str_equal(repo, "slow")) {
        serve_slowly(message, g_steal_pointer(&data), size);
        return;
    } else if (g_str_equal(repo, "corrupt")) {
        data[size / 2] ^= 0x5a;
        soup_message_headers_replace(response, "X-Linked-ETag", etag);
    }
    serve_bytes(message, data, size);
}

static void on_request(SoupServer *server, SoupServerMessage *message, const char *path,
                       GHashTable *query, gpointer user_data)
{
    /* /test/REPO/resolve/main/FILE or /cdn/REPO/FILE */
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    guint n = g_strv_length(parts);
    gboolean resolve = n == 6 && g_str_equal(parts[1], "test") && g_str_equal(parts[3], "resolve");
    gboolean cdn = n == 4 && g_str_equal(parts[1], "cdn");
    const char *repo = resolve ? parts[2] : cdn ? parts[2] : "";
    const char *file = resolve ? parts[5] : cdn ? parts[3] : "";
    gboolean f16 = g_str_equal(repo, "tiny-f16");
    const char *dir = f16 ? hub.f16_dir : hub.f32_dir;
    const char *sha256 = f16 ? hub.f16_sha256 : hub.f32_sha256;
    g_autofree char *local = g_build_filename(dir, file, NULL);
    if ((!resolve && !cdn) || !g_file_test(local, G_FILE_TEST_IS_REGULAR)) {
        set_body(message, "Entry not found", 15, SOUP_STATUS_NOT_FOUND);
        return;
    }
    if (g_str_equal(file, "model.safetensors") && f16 && resolve) {
        /* The hub's LFS files: a redirect that names the object's hash. */
        g_autofree char *target = g_strdup_printf("/cdn/%s/%s", repo, file);
        g_autofree char *etag = g_strdup_printf("\"%s\"", sha256);
        soup_message_headers_replace(soup_server_message_get_response_headers(message),
                                     "X-Linked-ETag", etag);
        soup_server_message_set_redirect(message, SOUP_STATUS_FOUND, target);
        return;
    }
    if (g_str_equal(file, "model.safetensors")) {
        serve_weights(message, repo, dir, sha256);
        return;
    }
    g_autofree char *data = NULL;
    gsize size = 0;
    g_assert_true(g_file_get_contents(local, &data, &size, NULL));
    serve_bytes(message, data, size);
}

static gpointer hub_thread(gpointer data)
{
    g_main_context_push_thread_default(hub.context);
    g_main_loop_run(hub.loop);
    g_main_context_pop_thread_default(hub.context);
    return NULL;
}

static void start_hub(void)
{
    g_mutex_init(&hub.mutex);
    hub.resume_ranges = g_ptr_array_new_with_free_func(g_free);
    hub.context = g_main_context_new();
    hub.loop = g_main_loop_new(hub.context, FALSE);
    g_main_context_push_thread_default(hub.context);
    hub.server = soup_server_new(NULL, NULL);
    soup_server_add_handler(hub.server, NULL, on_request, NULL, NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(soup_server_listen_local(hub.server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
    g_main_context_pop_thread_default(hub.context);
    GSList *uris = soup_server_get_uris(hub.server);
    hub.port = (guint)g_uri_get_port(uris->data);
    g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
    hub.thread = g_thread_new("hub", hub_thread, NULL);
}

static void add_entry(GString *json, const char *name, const char *repo, const char *weights_sha,
                      gboolean missing_file)
{
    static const char *const files[] = {"config.json", "model.safetensors", "vocab.json",
                                        "merges.txt", "preprocessor_config.json"};
    g_string_append_printf(json,
                           "%s{\"name\":\"%s\",\"repo\":\"test/%s\",\"revision\":\"main\","
                           "\"embedding_dim\":32,\"image_size\":64,\"files\":[",
                           json->str[json->len - 1] == '[' ? "" : ",", name, repo);
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        gboolean weights = g_str_equal(files[i], "model.safetensors");
        g_string_append_printf(json, "%s{\"name\":\"%s\",\"size\":null,\"sha256\":", i ? "," : "",
                               files[i]);
        if (weights && weights_sha != NULL)
            g_string_append_printf(json, "\"%s\"}", weights_sha);
        else
            g_string_append(json, "null}");
    }
    if (missing_file)
        g_string_append(json, ",{\"name\":\"nothere.bin\",\"size\":null,\"sha256\":null}");
    g_string_append(json, "]}");
}

/* The catalogue of the loopback hub, hashes computed from the fixtures. */
static void write_catalogue(const char *tmp)
{
    g_autoptr(GString) json = g_string_new("{\"models\":[");
    add_entry(json, "tiny-f32", "tiny-f32", hub.f32_sha256, FALSE);
    add_entry(json, "tiny-f16", "tiny-f16", NULL, FALSE);
    add_entry(json, "tiny-resume", "resume", hub.f32_sha256, FALSE);
    add_entry(json, "tiny-corrupt", "corrupt", NULL, FALSE);
    add_entry(json, "tiny-missing", "missing", NULL, TRUE);
    add_entry(json, "tiny-threads", "tiny-f16", NULL, FALSE);
    add_entry(json, "tiny-processes", "tiny-f32", NULL, FALSE);
    add_entry(json, "tiny-in-use", "tiny-f32", NULL, FALSE);
    add_entry(json, "tiny-slow", "slow", NULL, FALSE);
    g_string_append(json, "]}");
    catalogue_path = g_build_filename(tmp, "models.json", NULL);
    g_assert_true(g_file_set_contents(catalogue_path, json->str, -1, NULL));
}

/* Starts the hub once; FALSE (the test skips) without fixtures. */
static gboolean setup(void)
{
    if (hub.server != NULL)
        return TRUE;
    g_autofree char *f32 = test_fixture_path("tiny-f32/hf");
    g_autofree char *f16 = test_fixture_path("tiny-f16/hf");
    if (f32 == NULL || f16 == NULL)
        return FALSE;
    hub.f32_dir = g_steal_pointer(&f32);
    hub.f16_dir = g_steal_pointer(&f16);
    g_autofree char *f32_weights = g_build_filename(hub.f32_dir, "model.safetensors", NULL);
    g_autofree char *f16_weights = g_build_filename(hub.f16_dir, "model.safetensors", NULL);
    hub.f32_sha256 = sha256_of(f32_weights);
    hub.f16_sha256 = sha256_of(f16_weights);
    start_hub();
    write_catalogue(g_get_user_data_dir());
    return TRUE;
}

static LibraryModelCatalogue *load_catalogue(void)
{
    g_autoptr(GError) error = NULL;
    LibraryModelCatalogue *catalogue = library_model_catalogue_load(catalogue_path, &error);
    g_assert_no_error(error);
    g_autofree char *base = g_strdup_printf("http://127.0.0.1:%u", hub.port);
    library_model_catalogue_set_base_url(catalogue, base);
    return catalogue;
}

static void assert_model_loads(const char *dir)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipModel) model = clip_model_load(dir, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(model->config.embed_dim, ==, 32);
    g_autofree char *manifest = g_build_filename(dir, "manifest.json", NULL);
    g_assert_true(g_file_test(manifest, G_FILE_TEST_IS_REGULAR));
}

static char *install(LibraryModelCatalogue *catalogue, const char *name, GError **error)
{
    return library_model_install(catalogue, name, NULL, NULL, NULL, error);
}

/* Installs a model that must install, and checks that it loads. */
static char *install_ok(LibraryModelCatalogue *catalogue, const char *name)
{
    g_autoptr(GError) error = NULL;
    char *dir = install(catalogue, name, &error);
    g_assert_no_error(error);
    assert_model_loads(dir);
    return dir;
}

typedef void (*HubTest)(LibraryModelCatalogue *catalogue);

/* Runs a test against the loopback hub, with a fresh catalogue pointing at
 * it; skipped without the fixtures. */
static void with_hub(gconstpointer data)
{
    if (!setup()) {
        g_test_skip("no fixture models (../shared/fixtures/tiny-f32, tiny-f16)");
        return;
    }
    g_autoptr(LibraryModelCatalogue) catalogue = load_catalogue();
    ((HubTest)data)(catalogue);
}

/* The same for tests that run spyglass-cli. */
static void with_hub_and_cli(gconstpointer data)
{
    if (cli_path == NULL) {
        g_test_skip("pass spyglass-cli's path as the first argument");
        return;
    }
    with_hub(data);
}

static void test_install(LibraryModelCatalogue *catalogue)
{
    g_autofree char *dir = install_ok(catalogue, "tiny-f32");
    g_autofree char *installed = library_model_installed_dir("tiny-f32");
    g_assert_cmpstr(installed, ==, dir);
    g_autofree char *partial = g_strconcat(dir, ".partial", NULL);
    g_assert_false(g_file_test(partial, G_FILE_TEST_EXISTS));
}

/* The hash comes from X-Linked-ETag on the redirect, and is recorded. */
static void test_install_hub_hash(LibraryModelCatalogue *catalogue)
{
    g_autofree char *dir = install_ok(catalogue, "tiny-f16");
    g_autofree char *manifest_path = g_build_filename(dir, "manifest.json", NULL);
    g_autofree char *manifest = NULL;
    g_assert_true(g_file_get_contents(manifest_path, &manifest, NULL, NULL));
    g_assert_nonnull(strstr(manifest, hub.f16_sha256));
    g_assert_nonnull(strstr(manifest, "\"hub\""));
}

static void test_resume(LibraryModelCatalogue *catalogue)
{
    g_autofree char *dir = install_ok(catalogue, "tiny-resume");
    g_mutex_lock(&hub.mutex);
    g_assert_cmpuint(hub.resume_ranges->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(hub.resume_ranges, 0), ==, "");
    g_assert_true(g_str_has_prefix(g_ptr_array_index(hub.resume_ranges, 1), "bytes="));
    g_assert_cmpstr(g_ptr_array_index(hub.resume_ranges, 1), !=, "bytes=0-");
    g_mutex_unlock(&hub.mutex);
}

static void test_corrupt(LibraryModelCatalogue *catalogue)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = install(catalogue, "tiny-corrupt", &error);
    g_assert_null(dir);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_nonnull(strstr(error->message, "model.safetensors: checksum mismatch"));
    g_assert_null(library_model_installed_dir("tiny-corrupt"));
    g_autofree char *models = library_models_dir();
    g_autofree char *part =
        g_build_filename(models, "tiny-corrupt.partial", "model.safetensors.part", NULL);
    g_autofree char *whole =
        g_build_filename(models, "tiny-corrupt.partial", "model.safetensors", NULL);
    g_assert_false(g_file_test(part, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(whole, G_FILE_TEST_EXISTS));
}

static void test_unknown_name(LibraryModelCatalogue *catalogue)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = install(catalogue, "no-such-model", &error);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_true(g_str_has_prefix(error->message, "no-such-model: not in the model catalogue"));
}

static void test_not_found(LibraryModelCatalogue *catalogue)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = install(catalogue, "tiny-missing", &error);
    g_assert_null(dir);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_autofree char *expected = g_strdup_printf(
        "tiny-missing: nothere.bin not found at http://127.0.0.1:%u/test/missing/resolve/main/"
        "nothere.bin (HTTP 404)",
        hub.port);
    g_assert_cmpstr(error->message, ==, expected);
    g_assert_null(library_model_installed_dir("tiny-missing"));
}

/* A port nobody listens on: bound, noted, closed. */
static guint closed_port(void)
{
    g_autoptr(GSocket) socket =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
    g_assert_true(g_socket_bind(socket, any, TRUE, NULL));
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(socket, NULL);
    guint port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    g_socket_close(socket, NULL);
    return port;
}

static void test_connection_refused(LibraryModelCatalogue *catalogue)
{
    g_autofree char *base = g_strdup_printf("http://127.0.0.1:%u", closed_port());
    library_model_catalogue_set_base_url(catalogue, base);
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = install(catalogue, "tiny-processes", &error);
    g_assert_null(dir);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
    g_assert_true(g_str_has_prefix(error->message, "tiny-processes: cannot reach 127.0.0.1"));
    g_assert_nonnull(strstr(error->message, "refused"));
}

static void test_remove(LibraryModelCatalogue *catalogue)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = install(catalogue, "tiny-f32", &error);
    g_assert_no_error(error);
    g_assert_true(library_model_remove("tiny-f32", &error));
    g_assert_no_error(error);
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
    g_assert_null(library_model_installed_dir("tiny-f32"));
    g_assert_false(library_model_remove("tiny-f32", &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static gpointer install_thread(gpointer data)
{
    GError *error = NULL;
    char *dir = install(data, "tiny-threads", &error);
    g_assert_no_error(error);
    return dir;
}

/* Two installers of one model: one downloads, the other waits for its lock
 * and finds the model installed. */
static void test_concurrent_threads(LibraryModelCatalogue *catalogue)
{
    GThread *a = g_thread_new("install-a", install_thread, catalogue);
    GThread *b = g_thread_new("install-b", install_thread, catalogue);
    g_autofree char *dir_a = g_thread_join(a);
    g_autofree char *dir_b = g_thread_join(b);
    g_assert_cmpstr(dir_a, ==, dir_b);
    assert_model_loads(dir_a);
}

static GSubprocess *spawn_cli(const char *const *args, GError **error)
{
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autofree char *base = g_strdup_printf("http://127.0.0.1:%u", hub.port);
    g_subprocess_launcher_setenv(launcher, "SPYGLASS_MODEL_BASE_URL", base, TRUE);
    g_subprocess_launcher_setenv(launcher, "SPYGLASS_MODEL_CATALOGUE", catalogue_path, TRUE);
    return g_subprocess_launcher_spawnv(launcher, args, error);
}

static char *run_cli(const char *const *args, int *status)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) process = spawn_cli(args, &error);
    g_assert_no_error(error);
    char *out = NULL;
    g_autofree char *err = NULL;
    g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, &out, &err, NULL));
    *status = g_subprocess_get_exit_status(process);
    if (*status != 0)
        g_test_message("spyglass-cli: %s", err);
    return out;
}

/* `spyglass-cli model install` in two processes at once, then list, resolve
 * by name and remove. */
static void test_cli(LibraryModelCatalogue *catalogue)
{
    const char *const install_args[] = {cli_path,  "--json",         "model",
                                        "install", "tiny-processes", NULL};
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) a = spawn_cli(install_args, &error);
    g_autoptr(GSubprocess) b = spawn_cli(install_args, &error);
    g_assert_no_error(error);
    g_autofree char *out_a = NULL, *out_b = NULL;
    g_assert_true(g_subprocess_communicate_utf8(a, NULL, NULL, &out_a, NULL, NULL));
    g_assert_true(g_subprocess_communicate_utf8(b, NULL, NULL, &out_b, NULL, NULL));
    g_assert_cmpint(g_subprocess_get_exit_status(a), ==, 0);
    g_assert_cmpint(g_subprocess_get_exit_status(b), ==, 0);
    g_autofree char *dir = library_model_installed_dir("tiny-processes");
    g_assert_nonnull(dir);
    assert_model_loads(dir);
    g_autofree char *expected = g_strdup_printf(
        "{\"models\":[{\"name\":\"tiny-processes\",\"installed\":true,\"path\":\"%s\"}]}\n", dir);
    g_assert_cmpstr(out_a, ==, expected);
    g_assert_cmpstr(out_b, ==, expected);

    int status = 0;
    const char *const list_args[] = {cli_path, "--json", "model", "list", NULL};
    g_autofree char *list = run_cli(list_args, &status);
    g_assert_cmpint(status, ==, 0);
    g_assert_nonnull(strstr(list, "\"name\":\"tiny-processes\",\"installed\":true"));
    g_assert_nonnull(strstr(list, "\"name\":\"tiny-missing\",\"installed\":false,\"path\":null"));

    const char *const tokenize_args[] = {
        cli_path, "--model", "tiny-processes", "--json", "tokenize", "a dog", NULL};
    g_autofree char *tokens = run_cli(tokenize_args, &status);
    g_assert_cmpint(status, ==, 0);
    g_assert_nonnull(strstr(tokens, "49406"));

    const char *const missing_args[] = {cli_path, "model", "install", "tiny-missing", NULL};
    g_autofree char *missing = run_cli(missing_args, &status);
    g_assert_cmpint(status, ==, 1);

    const char *const remove_args[] = {cli_path, "--json",         "model",
                                       "remove", "tiny-processes", NULL};
    g_autofree char *removed = run_cli(remove_args, &status);
    g_assert_cmpint(status, ==, 0);
    g_assert_cmpstr(
        removed, ==,
        "{\"models\":[{\"name\":\"tiny-processes\",\"installed\":false,\"path\":null}]}\n");
    g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

/* spyglass-cli's exit status and stderr. */
static char *run_cli_stderr(const char *const *args, int *status)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) process = spawn_cli(args, &error);
    g_assert_no_error(error);
    char *err = NULL;
    g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, NULL, &err, NULL));
    *status = g_subprocess_get_exit_status(process);
    return err;
}

/* A library whose model is removed while in use falls back to the best
 * installed model, with a notice (API flag and one CLI line). */
static void test_removed_model_fallback(LibraryModelCatalogue *catalogue)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *other = install(catalogue, "tiny-f16", &error);
    g_autofree char *in_use = install(catalogue, "tiny-in-use", &error);
    g_assert_no_error(error);
    g_autoptr(ClipModel) model = clip_model_load(in_use, &error);
    g_assert_no_error(error);
    g_autofree char *db = g_build_filename(g_get_user_data_dir(), "fallback.db", NULL);
    g_autoptr(LibraryStore) store = library_store_open(db, &error);
    g_assert_no_error(error);
    LibraryModelRecord record = {model->id, "tiny-in-use", in_use, model->config.embed_dim};
    g_assert_true(library_store_set_current_model(store, &record, &error));
    g_assert_no_error(error);

    LibraryModelResolution resolution;
    g_autofree char *kept = library_resolve_model_dir_full(NULL, db, &resolution, &error);
    g_assert_cmpstr(kept, ==, in_use);
    g_assert_false(resolution.fallback);
    g_assert_null(resolution.notice);

    g_assert_true(library_model_remove("tiny-in-use", &error));
    g_autofree char *chosen = library_resolve_model_dir_full(NULL, db, &resolution, &error);
    g_assert_no_error(error);
    g_autofree char *best = library_model_best_installed_dir(catalogue);
    g_assert_nonnull(best);
    g_assert_cmpstr(chosen, ==, best);
    g_assert_true(resolution.fallback);
    g_assert_cmpstr(resolution.missing_model, ==, "tiny-in-use");
    g_assert_nonnull(strstr(resolution.notice, "tiny-in-use is no longer installed"));
    library_model_resolution_clear(&resolution);

    if (cli_path == NULL)
        return;
    int status = -1;
    const char *const status_args[] = {cli_path,    "--db",   db,  "--device",
                                       "reference", "status", NULL};
    g_autofree char *err = run_cli_stderr(status_args, &status);
    g_assert_cmpint(status, ==, 0);
    g_autofree char *basename = g_path_get_basename(best);
    g_autofree char *expected = g_strdup_printf(
        "spyglass-cli: the library's model tiny-in-use is no longer installed: using %s instead; "
        "photos are re-embedded with it when the library is indexed\n",
        basename);
    g_assert_cmpstr(err, ==, expected);
}

static gboolean slow_half_sent(void)
{
    g_mutex_lock(&hub.mutex);
    gboolean sent = hub.slow_half_sent;
    g_mutex_unlock(&hub.mutex);
    return sent;
}

/* Ctrl-C (SIGINT) in the middle of `spyglass-cli model install`: exit
 * status 130, one line, the .part file kept for resuming, nothing installed. */
static void test_cli_interrupt(LibraryModelCatalogue *catalogue)
{
    const char *const args[] = {cli_path, "-q", "model", "install", "tiny-slow", NULL};
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocess) process = spawn_cli(args, &error);
    g_assert_no_error(error);
    g_autofree char *models = library_models_dir();
    g_autofree char *part =
        g_build_filename(models, "tiny-slow.partial", "model.safetensors.part", NULL);
    /* until the first half is on disk (the client wrote what it received) */
    gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    GStatBuf st = {0};
    while (g_get_monotonic_time() < deadline &&
           !(slow_half_sent() && g_stat(part, &st) == 0 && st.st_size > 0))
        g_usleep(10000);
    g_assert_cmpint(g_stat(part, &st), ==, 0);
    g_subprocess_send_signal(process, SIGINT);
    g_autofree char *err = NULL;
    g_assert_true(g_subprocess_communicate_utf8(process, NULL, NULL, NULL, &err, NULL));
    g_assert_true(g_subprocess_get_if_exited(process));
    g_assert_cmpint(g_subprocess_get_exit_status(process), ==, 130);
    g_assert_cmpstr(err, ==,
                    "spyglass-cli: tiny-slow: cancelled; what was downloaded is kept (install it "
                    "again to resume)\n");
    g_assert_cmpint(g_stat(part, &st), ==, 0);
    g_assert_cmpint(st.st_size, >, 0);
    g_assert_null(library_model_installed_dir("tiny-slow"));
}

/* The shipped catalogue: SigLIP 2 ViT-B/32-256 is the one recommended model,
 * and every SigLIP entry brings what loading it needs (its SentencePiece
 * tokenizer and preprocessing config) and what the model page shows. */
static void test_shipped_catalogue(void)
{
    g_autofree char *path = g_build_filename(g_getenv("SPYGLASS_DATADIR"), "models.json", NULL);
    g_autoptr(GError) error = NULL;
    LibraryModelCatalogue *catalogue = library_model_catalogue_load(path, &error);
    g_assert_no_error(error);
    GPtrArray *entries = library_model_catalogue_entries(catalogue);
    guint n_recommended = 0, n_siglip = 0;
    for (guint i = 0; i < entries->len; i++) {
        const LibraryModelEntry *entry = g_ptr_array_index(entries, i);
        if (entry->recommended) {
            n_recommended++;
            g_assert_cmpstr(entry->repo, ==, "google/siglip2-base-patch32-256");
        }
        if (!g_str_has_prefix(entry->repo, "google/siglip"))
            continue;
        n_siglip++;
        g_assert_cmpstr(entry->licence, ==, "Apache-2.0");
        g_assert_cmpuint(entry->download_mb, >, 0);
        g_assert_nonnull(entry->languages);
        g_assert_nonnull(entry->good_for);
        g_assert_cmpuint(entry->embedding_dim, >=, 768);
        g_assert_cmpuint(entry->image_size, >=, 224);
        gboolean siglip2 = g_str_has_prefix(entry->repo, "google/siglip2-");
        const char *needed[] = {"config.json", "model.safetensors", "preprocessor_config.json",
                                siglip2 ? "tokenizer.model" : "spiece.model"};
        for (guint n = 0; n < G_N_ELEMENTS(needed); n++) {
            gboolean found = FALSE;
            for (guint f = 0; f < entry->files->len; f++)
                found |= g_str_equal(
                    ((const LibraryModelFile *)g_ptr_array_index(entry->files, f))->name,
                    needed[n]);
            if (!found)
                g_error("%s lacks %s", entry->name, needed[n]);
        }
    }
    g_assert_cmpuint(n_recommended, ==, 1);
    g_assert_cmpuint(n_siglip, ==, 5);
    library_model_catalogue_free(catalogue);
}

int main(int argc, char **argv)
{
    /* Before anything asks GLib for the user data folder (it caches it). */
    g_autofree char *tmp = g_dir_make_tmp("spyglass-models-XXXXXX", NULL);
    g_setenv("XDG_DATA_HOME", tmp, TRUE);
    /* What library_resolve_model_dir_full reads: the catalogue setup() writes. */
    g_autofree char *catalogue = g_build_filename(tmp, "models.json", NULL);
    g_setenv("SPYGLASS_MODEL_CATALOGUE", catalogue, TRUE);
    g_test_init(&argc, &argv, NULL);
    cli_path = argc > 1 ? argv[1] : NULL;

    g_test_add_func("/library/models/shipped-catalogue", test_shipped_catalogue);
    g_test_add_data_func("/library/models/install", (gconstpointer)test_install, with_hub);
    g_test_add_data_func("/library/models/install-hub-hash", (gconstpointer)test_install_hub_hash,
                         with_hub);
    g_test_add_data_func("/library/models/resume", (gconstpointer)test_resume, with_hub);
    g_test_add_data_func("/library/models/corrupt", (gconstpointer)test_corrupt, with_hub);
    g_test_add_data_func("/library/models/unknown-name", (gconstpointer)test_unknown_name,
                         with_hub);
    g_test_add_data_func("/library/models/not-found", (gconstpointer)test_not_found, with_hub);
    g_test_add_data_func("/library/models/connection-refused",
                         (gconstpointer)test_connection_refused, with_hub);
    g_test_add_data_func("/library/models/remove", (gconstpointer)test_remove, with_hub);
    g_test_add_data_func("/library/models/concurrent-threads",
                         (gconstpointer)test_concurrent_threads, with_hub);
    g_test_add_data_func("/library/models/cli", (gconstpointer)test_cli, with_hub_and_cli);
    g_test_add_data_func("/library/models/removed-model-fallback",
                         (gconstpointer)test_removed_model_fallback, with_hub);
    g_test_add_data_func("/library/models/cli-interrupt", (gconstpointer)test_cli_interrupt,
                         with_hub_and_cli);
    int status = g_test_run();

    const char *rm[] = {"rm", "-rf", tmp, NULL};
    g_spawn_sync(NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    return status;
}
