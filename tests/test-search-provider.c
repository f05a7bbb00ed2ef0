/* test-search-provider.c: the GNOME Shell search provider as the Shell meets it: a private
 * session bus (GTestDBus) that starts the app through its D-Bus service file, every
 * org.gnome.Shell.SearchProvider2 method called with g_dbus_connection_call_sync on a library
 * of demo scenes (tools/demo-scenes.py, whose captions.jsonl says what each picture shows)
 * indexed with spyglass-cli, then the window ActivateResult and LaunchSearch open and the
 * Preferences switch that turns the provider off, under Xvfb.
 *
 * argv: spyglass-cli, spyglass, the built D-Bus service file, the search provider's .ini,
 * Debian's python3 (renders the scenes). $SPYGLASS_MODEL: the model to index and search with;
 * the scenes' checks need the demo model ($SPYGLASS_TEST_DEMO_MODEL).
 */
#include "spyglass-application.h"
#include "spyglass-photo-page.h"
#include "spyglass-preferences-window.h"
#include "spyglass-window.h"
#include "test-app.h"
#include "test-common.h"
#include "test-images.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define APP_ID    "io.github.spyglass.Spyglass"
#define INTERFACE "org.gnome.Shell.SearchProvider2"
/* The provider's process leaves this long after its last request (the app's
 * $SPYGLASS_INACTIVITY_TIMEOUT_MS), short for the test. */
#define INACTIVITY_TIMEOUT_MS 3000
#define SCENES                96
#define SEED                  4242

static const char *cli_path, *app_path, *service_path, *ini_path, *python_path;
static char *tmp_dir, *photos_dir, *extra_dir, *db_path;
static char *object_path;       /* from the .ini */
static GHashTable *red_circles; /* file names of the scenes that show a red circle */
static GTestDBus *bus;
static char *best_red_circle_id; /* the first result for "a red circle" */

static void run_cli(const char *first, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)cli_path);
    g_ptr_array_add(argv, "--db");
    g_ptr_array_add(argv, db_path);
    va_list args;
    va_start(args, first);
    for (const char *arg = first; arg != NULL; arg = va_arg(args, const char *))
        g_ptr_array_add(argv, (char *)arg);
    va_end(args);
    g_ptr_array_add(argv, NULL);
    g_autofree char *out = NULL, *err = NULL;
    int status = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error));
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("spyglass-cli %s failed: %s%s", first, out, err);
}

/* Demo scenes rendered by tools/demo-scenes.py, indexed; a copy of a red-circle scene in a
 * second folder, which leaves the library while the provider runs. */
static void make_library(void)
{
    photos_dir = g_build_filename(tmp_dir, "Pictures", NULL);
    g_autofree char *seed = g_strdup_printf("%d", SEED);
    g_autofree char *count = g_strdup_printf("%d", SCENES);
    g_autofree char *tool =
        g_build_filename(g_getenv("SPYGLASS_SOURCE_DIR"), "tools", "demo-scenes.py", NULL);
    const char *argv[] = {python_path,  tool,  "--count", count,      "--seed", seed,
                          "--held-out", "any", "--out",   photos_dir, NULL};
    int status = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, NULL, &status, &error));
    g_assert_no_error(error);
    g_assert_true(g_spawn_check_wait_status(status, NULL));

    g_autofree char *captions = g_build_filename(photos_dir, "captions.jsonl", NULL);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(captions, &text, NULL, NULL));
    red_circles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **line = lines; *line != NULL; line++) {
        if (**line == '\0')
            continue;
        g_autoptr(JsonParser) parser = json_parser_new();
        g_assert_true(json_parser_load_from_data(parser, *line, -1, NULL));
        JsonObject *scene = json_node_get_object(json_parser_get_root(parser));
        JsonArray *objects =
            json_object_get_array_member(json_object_get_object_member(scene, "labels"), "objects");
        for (guint i = 0; i < json_array_get_length(objects); i++) {
            JsonObject *object = json_array_get_object_element(objects, i);
            if (g_str_equal(json_object_get_string_member(object, "colour"), "red") &&
                g_str_equal(json_object_get_string_member(object, "shape"), "circle"))
                g_hash_table_add(red_circles,
                                 g_strdup(json_object_get_string_member(scene, "file")));
        }
    }
    g_test_message("%u of %d scenes show a red circle", g_hash_table_size(red_circles), SCENES);
    g_assert_cmpuint(g_hash_table_size(red_circles), >=, 2);

    /* The second folder: a red circle as good as the best, by content. */
    extra_dir = g_build_filename(tmp_dir, "Extra", NULL);
    g_assert_cmpint(g_mkdir_with_parents(extra_dir, 0700), ==, 0);
    run_cli("index", photos_dir, NULL);
}

/* The scene re-encoded as a JPEG whose EXIF says when it was taken. */
static void write_dated_copy(const char *from, const char *to, const char *taken)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GdkTexture) texture = gdk_texture_new_from_filename(from, &error);
    g_assert_no_error(error);
    int width = gdk_texture_get_width(texture), height = gdk_texture_get_height(texture);
    /* gdk_texture_download: cairo's ARGB32, B G R A in memory; the scenes are opaque. */
    g_autofree guint8 *bgra = g_malloc((size_t)width * height * 4);
    gdk_texture_download(texture, bgra, (size_t)width * 4);
    g_autofree guint8 *rgb = g_malloc((size_t)width * height * 3);
    for (size_t i = 0; i < (size_t)width * height; i++)
        for (int c = 0; c < 3; c++)
            rgb[i * 3 + c] = bgra[i * 4 + 2 - c];
    TestExifSpec exif_spec = {.order = EXIF_BYTE_ORDER_INTEL, .original = taken};
    g_autoptr(GBytes) exif = test_exif_make(&exif_spec);
    TestJpegSpec spec = {.width = width,
                         .height = height,
                         .color_space = JCS_RGB,
                         .samples = rgb,
                         .quality = 95,
                         .exif = exif};
    g_autoptr(GBytes) jpeg = test_jpeg_encode(&spec);
    g_assert_true(g_file_set_contents(to, g_bytes_get_data(jpeg, NULL),
                                      (gssize)g_bytes_get_size(jpeg), NULL));
}

static gboolean is_red_circle(const char *path)
{
    g_autofree char *name = g_path_get_basename(path);
    return g_hash_table_contains(red_circles, name);
}

static GVariant *call(const char *method, GVariant *parameters, const char *reply_type)
{
    g_autoptr(GError) error = NULL;
    GDBusConnection *connection = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, NULL);
    GVariant *reply =
        g_dbus_connection_call_sync(connection, APP_ID, object_path, INTERFACE, method, parameters,
                                    reply_type != NULL ? G_VARIANT_TYPE(reply_type) : NULL,
                                    G_DBUS_CALL_FLAGS_NONE, 120000, NULL, &error);
    g_assert_no_error(error);
    g_object_unref(connection);
    return reply;
}

/* GetInitialResultSet for what the user typed (split on spaces, as the Shell does). */
static GStrv initial_results(const char *typed, double *seconds)
{
    g_auto(GStrv) terms = g_strsplit(typed, " ", -1);
    gint64 start = g_get_monotonic_time();
    g_autoptr(GVariant) reply = call("GetInitialResultSet", g_variant_new("(^as)", terms), "(as)");
    if (seconds != NULL)
        *seconds = (g_get_monotonic_time() - start) / (double)G_USEC_PER_SEC;
    GStrv ids = NULL;
    g_variant_get(reply, "(^as)", &ids);
    return ids;
}

typedef struct {
    GStrv ids;
    GError *error;
    gboolean done;
} BurstReply;

static void burst_replied(GObject *source, GAsyncResult *result, gpointer user_data)
{
    BurstReply *reply = user_data;
    g_autoptr(GVariant) value =
        g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &reply->error);
    if (value != NULL)
        g_variant_get(value, "(^as)", &reply->ids);
    reply->done = TRUE;
}

/* What the Shell sends as the user types "a red circle" key by key: one request per prefix
 * without waiting for answers. Returns the answer to the last. */
static GStrv type_quickly(guint *n_superseded)
{
    static const char *const typed[] = {"a",       "a r",      "a re",      "a red",
                                        "a red c", "a red ci", "a red cir", "a red circle"};
    BurstReply replies[G_N_ELEMENTS(typed)] = {0};
    GDBusConnection *connection = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(typed); i++) {
        g_auto(GStrv) terms = g_strsplit(typed[i], " ", -1);
        g_dbus_connection_call(connection, APP_ID, object_path, INTERFACE, "GetInitialResultSet",
                               g_variant_new("(^as)", terms), G_VARIANT_TYPE("(as)"),
                               G_DBUS_CALL_FLAGS_NONE, 120000, NULL, burst_replied, &replies[i]);
    }
    *n_superseded = 0;
    for (guint i = 0; i < G_N_ELEMENTS(typed); i++) {
        while (!replies[i].done)
            g_main_context_iteration(NULL, TRUE);
        g_assert_no_error(replies[i].error);
        if (i + 1 < G_N_ELEMENTS(typed)) {
            *n_superseded += replies[i].ids[0] == NULL;
            g_strfreev(replies[i].ids);
        }
    }
    g_object_unref(connection);
    return replies[G_N_ELEMENTS(typed) - 1].ids;
}

static GStrv subsearch_results(const char *const *previous, const char *typed)
{
    g_auto(GStrv) terms = g_strsplit(typed, " ", -1);
    g_autoptr(GVariant) reply =
        call("GetSubsearchResultSet", g_variant_new("(^as^as)", previous, terms), "(as)");
    GStrv ids = NULL;
    g_variant_get(reply, "(^as)", &ids);
    return ids;
}

typedef struct {
    char *id, *name, *description, *icon_path;
} Meta;

static void meta_clear(Meta *meta)
{
    g_free(meta->id);
    g_free(meta->name);
    g_free(meta->description);
    g_free(meta->icon_path);
}

static GArray *result_metas(const char *const *ids)
{
    g_autoptr(GVariant) reply = call("GetResultMetas", g_variant_new("(^as)", ids), "(aa{sv})");
    g_autoptr(GVariant) list = g_variant_get_child_value(reply, 0);
    GArray *metas = g_array_new(FALSE, TRUE, sizeof(Meta));
    g_array_set_clear_func(metas, (GDestroyNotify)meta_clear);
    for (gsize i = 0; i < g_variant_n_children(list); i++) {
        g_autoptr(GVariant) dict = g_variant_get_child_value(list, i);
        GVariantDict d;
        g_variant_dict_init(&d, dict);
        Meta meta = {0};
        g_variant_dict_lookup(&d, "id", "s", &meta.id);
        g_variant_dict_lookup(&d, "name", "s", &meta.name);
        g_variant_dict_lookup(&d, "description", "s", &meta.description);
        g_autoptr(GVariant) serialized = g_variant_dict_lookup_value(&d, "icon", NULL);
        if (serialized != NULL) {
            g_autoptr(GIcon) icon = g_icon_deserialize(serialized);
            g_assert_true(G_IS_FILE_ICON(icon));
            meta.icon_path = g_file_get_path(g_file_icon_get_file(G_FILE_ICON(icon)));
        }
        g_variant_dict_clear(&d);
        g_array_append_val(metas, meta);
    }
    return metas;
}

static gboolean app_on_bus(void)
{
    GDBusConnection *connection = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, NULL);
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync(
        connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "NameHasOwner", g_variant_new("(s)", APP_ID), G_VARIANT_TYPE("(b)"), G_DBUS_CALL_FLAGS_NONE,
        -1, NULL, NULL);
    g_object_unref(connection);
    gboolean owned = FALSE;
    g_variant_get(reply, "(b)", &owned);
    return owned;
}

static void set_provider_enabled(gboolean enabled)
{
    g_autoptr(GSettings) settings = g_settings_new(APP_ID);
    g_settings_set_boolean(settings, "search-provider", enabled);
    g_settings_sync();
}

/* The bus the app is started on: the built service file, with the built program in place of
 * the installed one (test_files checks the rest of it). GTestDBus unsets $DISPLAY before it
 * starts the bus, whose services inherit its environment: the Exec line brings Xvfb's back. */
static void start_bus(void)
{
    g_autoptr(GKeyFile) service = g_key_file_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(g_key_file_load_from_file(service, service_path, G_KEY_FILE_NONE, &error));
    g_assert_no_error(error);
    g_autofree char *exec = g_key_file_get_string(service, "D-BUS Service", "Exec", &error);
    g_assert_no_error(error);
    const char *args = strchr(exec, ' ');
    g_assert_nonnull(args);
    g_autofree char *quoted = g_shell_quote(app_path);
    g_autofree char *display = g_strdup(g_getenv("DISPLAY"));
    g_assert_nonnull(display);
    g_autofree char *display_arg = g_strconcat("DISPLAY=", display, NULL);
    g_autofree char *quoted_display = g_shell_quote(display_arg);
    g_autofree char *local_exec =
        g_strconcat("/usr/bin/env ", quoted_display, " ", quoted, args, NULL);
    g_key_file_set_string(service, "D-BUS Service", "Exec", local_exec);
    g_autofree char *services = g_build_filename(tmp_dir, "services", NULL);
    g_assert_cmpint(g_mkdir_with_parents(services, 0700), ==, 0);
    g_autofree char *copy = g_build_filename(services, APP_ID ".service", NULL);
    g_assert_true(g_key_file_save_to_file(service, copy, &error));
    g_assert_no_error(error);
    bus = g_test_dbus_new(G_TEST_DBUS_NONE);
    g_test_dbus_add_service_dir(bus, services);
    g_test_dbus_up(bus);
    g_setenv("DISPLAY", display, TRUE);
}

/* The installed files agree: the .ini names the desktop file, the bus name the service file
 * starts, and the object path the app exports (every call below goes to it); the service
 * starts the app as a GApplication service. */
static void test_files(void)
{
    g_autoptr(GKeyFile) ini = g_key_file_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(g_key_file_load_from_file(ini, ini_path, G_KEY_FILE_NONE, &error));
    g_assert_no_error(error);
    const char *group = "Shell Search Provider";
    g_autofree char *desktop_id = g_key_file_get_string(ini, group, "DesktopId", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(desktop_id, ==, APP_ID ".desktop");
    g_autofree char *bus_name = g_key_file_get_string(ini, group, "BusName", &error);
    g_assert_cmpstr(bus_name, ==, APP_ID);
    object_path = g_key_file_get_string(ini, group, "ObjectPath", &error);
    g_assert_no_error(error);
    g_assert_true(g_variant_is_object_path(object_path));
    g_assert_cmpint(g_key_file_get_integer(ini, group, "Version", &error), ==, 2);
    g_assert_no_error(error);

    g_autoptr(GKeyFile) service = g_key_file_new();
    g_assert_true(g_key_file_load_from_file(service, service_path, G_KEY_FILE_NONE, &error));
    g_assert_no_error(error);
    g_autofree char *name = g_key_file_get_string(service, "D-BUS Service", "Name", &error);
    g_assert_cmpstr(name, ==, APP_ID);
    g_autofree char *exec = g_key_file_get_string(service, "D-BUS Service", "Exec", &error);
    g_assert_no_error(error);
    g_auto(GStrv) exec_argv = NULL;
    g_assert_true(g_shell_parse_argv(exec, NULL, &exec_argv, &error));
    g_assert_cmpuint(g_strv_length(exec_argv), ==, 2);
    g_assert_true(g_path_is_absolute(exec_argv[0]));
    g_assert_cmpstr(exec_argv[1], ==, "--gapplication-service");
}

/* The provider in its own process, started by the bus, as the Shell uses it. */
static void test_search(void)
{
    g_assert_nonnull(object_path);
    g_assert_false(app_on_bus());

    /* The first request starts the app and loads the library and the model. */
    double first = 0, later = 0;
    g_auto(GStrv) ids = initial_results("a red circle", &first);
    g_assert_true(app_on_bus());
    g_auto(GStrv) again = initial_results("a red circle", &later);
    g_test_message("GetInitialResultSet “a red circle”: %u results, first call %.3f s (process "
                   "start, library and model), then %.3f s",
                   g_strv_length(ids), first, later);
    g_assert_cmpuint(g_strv_length(ids), >, 0);
    g_assert_cmpuint(g_strv_length(ids), <=, 5);
    g_assert_true(g_strv_equal((const char *const *)ids, (const char *const *)again));

    /* Typed key by key: every request answered, the last one in full. */
    guint n_superseded = 0;
    g_auto(GStrv) typed = type_quickly(&n_superseded);
    g_test_message("typed key by key: %u of 7 earlier requests answered empty, superseded",
                   n_superseded);
    g_assert_true(g_strv_equal((const char *const *)ids, (const char *const *)typed));

    /* Metas: a name, the date and folder, and a thumbnail file as the icon. */
    g_autoptr(GArray) metas = result_metas((const char *const *)ids);
    g_assert_cmpuint(metas->len, ==, g_strv_length(ids));
    for (guint i = 0; i < metas->len; i++) {
        const Meta *meta = &g_array_index(metas, Meta, i);
        g_test_message("%s: %s — %s — %s%s", meta->id, meta->name, meta->description,
                       meta->icon_path, is_red_circle(meta->name) ? " (a red circle)" : "");
        g_assert_cmpstr(meta->id, ==, ids[i]);
        g_assert_true(g_str_has_prefix(meta->name, "scene-"));
        g_assert_nonnull(strstr(meta->description, "~/Pictures"));
        g_assert_nonnull(meta->icon_path);
        g_assert_true(g_str_has_prefix(meta->icon_path, g_get_user_cache_dir()));
        g_assert_true(g_file_test(meta->icon_path, G_FILE_TEST_IS_REGULAR));
    }
    /* Red circles first, as the captions say (the demo model's promise): the library's four
     * are the first three results here (2026-12-07); two are asked for. */
    if (g_getenv("SPYGLASS_TEST_DEMO_MODEL") != NULL) {
        g_assert_cmpuint(metas->len, >=, 2);
        g_assert_true(is_red_circle(g_array_index(metas, Meta, 0).name));
        g_assert_true(is_red_circle(g_array_index(metas, Meta, 1).name));
    }
    best_red_circle_id = g_strdup(ids[0]);

    /* Subsearch narrows: only previous results come back, best first. */
    g_auto(GStrv) red = initial_results("red", NULL);
    g_auto(GStrv) narrowed = subsearch_results((const char *const *)red, "red circle");
    g_test_message("“red”: %u results, subsearch “red circle”: %u", g_strv_length(red),
                   g_strv_length(narrowed));
    for (char **id = narrowed; *id != NULL; id++)
        g_assert_true(g_strv_contains((const char *const *)red, *id));
    g_auto(GStrv) without_best = g_strdupv(ids + 1);
    g_auto(GStrv) rest = subsearch_results((const char *const *)without_best, "a red circle");
    g_assert_false(g_strv_contains((const char *const *)rest, ids[0]));
    g_assert_true(g_strv_equal((const char *const *)rest, (const char *const *)without_best));

    /* The query syntax: a filter no photo passes leaves nothing; filters alone are no query. */
    g_auto(GStrv) filtered = initial_results("a red circle before:1990-01-01", NULL);
    g_assert_cmpuint(g_strv_length(filtered), ==, 0);
    g_auto(GStrv) filters_only = initial_results("after:2019", NULL);
    g_assert_cmpuint(g_strv_length(filters_only), ==, 0);

    /* Privacy: a copy of the best red circle in a second folder comes back while that folder
     * is in the library, and never once it has left, though this process loaded it. */
    g_autoptr(GArray) best_meta = result_metas((const char *const *)(char *[]){ids[0], NULL});
    g_autofree char *best_path =
        g_build_filename(photos_dir, g_array_index(best_meta, Meta, 0).name, NULL);
    g_autofree char *copy = g_build_filename(extra_dir, "copy-of-the-best.jpg", NULL);
    write_dated_copy(best_path, copy, "2021:03:12 10:30:00");
    run_cli("index", extra_dir, NULL);
    /* A new process: the one running loaded the library before the copy was indexed. */
    gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (app_on_bus() && g_get_monotonic_time() < deadline)
        g_usleep(100000);
    g_assert_false(app_on_bus());
    g_auto(GStrv) with_copy = initial_results("a red circle", NULL);
    g_autoptr(GArray) with_copy_metas = result_metas((const char *const *)with_copy);
    gboolean copy_found = FALSE;
    for (guint i = 0; i < with_copy_metas->len; i++) {
        const Meta *meta = &g_array_index(with_copy_metas, Meta, i);
        if (!g_str_equal(meta->name, "copy-of-the-best.jpg"))
            continue;
        copy_found = TRUE;
        /* When and where: the date taken from its EXIF, its folder. */
        g_assert_cmpstr(meta->description, ==, "12 March 2021 · ~/Extra");
    }
    g_assert_true(copy_found);
    run_cli("remove-folder", extra_dir, NULL);
    g_auto(GStrv) after_removal = initial_results("a red circle", NULL);
    g_autoptr(GArray) after_metas = result_metas((const char *const *)after_removal);
    for (guint i = 0; i < after_metas->len; i++)
        g_assert_cmpstr(g_array_index(after_metas, Meta, i).name, !=, "copy-of-the-best.jpg");
    g_assert_true(g_file_test(copy, G_FILE_TEST_EXISTS));

    /* Switched off in Preferences: no results, at once. */
    set_provider_enabled(FALSE);
    GStrv off = NULL;
    double off_seconds = 0;
    deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while ((off = initial_results("a red circle", &off_seconds))[0] != NULL &&
           g_get_monotonic_time() < deadline) {
        g_strfreev(off);
        g_usleep(50000);
    }
    g_assert_cmpuint(g_strv_length(off), ==, 0);
    g_strfreev(off);
    g_test_message("switched off: no results in %.4f s", off_seconds);
    g_assert_cmpfloat(off_seconds, <, 0.5);
    g_autoptr(GArray) off_metas = result_metas((const char *const *)ids);
    g_assert_cmpuint(off_metas->len, ==, 0);
    set_provider_enabled(TRUE);

    /* No window was opened: the process leaves by itself after the inactivity timeout. */
    gint64 last = g_get_monotonic_time();
    deadline = last + (INACTIVITY_TIMEOUT_MS + 20000) * (gint64)1000;
    while (app_on_bus() && g_get_monotonic_time() < deadline)
        g_usleep(50000);
    double lingered = (g_get_monotonic_time() - last) / (double)G_USEC_PER_SEC;
    g_test_message("the provider's process left %.2f s after its last request", lingered);
    g_assert_false(app_on_bus());
    g_assert_cmpfloat(lingered, >=, INACTIVITY_TIMEOUT_MS / 1000.0 * 0.9);

    /* A window opened from a result keeps the process past the timeout; the app's quit
     * action (as GApplication exports it) ends it. */
    const char *terms[] = {"a", "red", "circle", NULL};
    g_autoptr(GVariant) activated =
        call("ActivateResult", g_variant_new("(s^asu)", ids[0], terms, (guint32)0), "()");
    g_usleep((INACTIVITY_TIMEOUT_MS + 2000) * (gint64)1000);
    g_assert_true(app_on_bus());
    GDBusConnection *connection = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) quit = g_dbus_connection_call_sync(
        connection, APP_ID, "/io/github/spyglass/Spyglass", "org.gtk.Actions", "Activate",
        g_variant_new("(sava{sv})", "quit", NULL, NULL), NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL,
        &error);
    g_assert_no_error(error);
    g_object_unref(connection);
    deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (app_on_bus() && g_get_monotonic_time() < deadline)
        g_usleep(50000);
    g_assert_false(app_on_bus());
}

/* ---- the window, in this process (its widgets are inspected) ---- */

typedef struct {
    const char *method;
    GVariant *parameters;
    const char *reply_type;
    GVariant *reply;
    gboolean done;
} ThreadCall;

/* The call blocks a thread of its own while the main loop answers it. */
static gpointer call_thread(gpointer data)
{
    ThreadCall *thread_call = data;
    thread_call->reply =
        call(thread_call->method, thread_call->parameters, thread_call->reply_type);
    g_atomic_int_set(&thread_call->done, TRUE);
    return NULL;
}

static GVariant *call_from_thread(const char *method, GVariant *parameters, const char *reply_type)
{
    ThreadCall thread_call = {method, parameters, reply_type, NULL, FALSE};
    GThread *thread = g_thread_new("call", call_thread, &thread_call);
    while (!g_atomic_int_get(&thread_call.done))
        g_main_context_iteration(NULL, FALSE);
    g_thread_join(thread);
    return thread_call.reply;
}

/* How many results GetInitialResultSet gives, asked of the app in this process. */
static guint count_results_in_process(const char *const *terms)
{
    g_autoptr(GVariant) reply =
        call_from_thread("GetInitialResultSet", g_variant_new("(^as)", terms), "(as)");
    g_autoptr(GVariant) ids = g_variant_get_child_value(reply, 0);
    return (guint)g_variant_n_children(ids);
}

/* The switch of the preferences row with this title. */
static GtkSwitch *find_row_switch(GtkWidget *widget, const char *title)
{
    if (ADW_IS_ACTION_ROW(widget) &&
        g_strcmp0(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(widget)), title) == 0) {
        GtkWidget *activatable = adw_action_row_get_activatable_widget(ADW_ACTION_ROW(widget));
        return GTK_IS_SWITCH(activatable) ? GTK_SWITCH(activatable) : NULL;
    }
    for (GtkWidget *child = gtk_widget_get_first_child(widget); child != NULL;
         child = gtk_widget_get_next_sibling(child)) {
        GtkSwitch *found = find_row_switch(child, title);
        if (found != NULL)
            return found;
    }
    return NULL;
}

static GtkWindow *find_preferences(void)
{
    GListModel *toplevels = gtk_window_get_toplevels();
    for (guint i = 0; i < g_list_model_get_n_items(toplevels); i++) {
        g_autoptr(GtkWindow) window = g_list_model_get_item(toplevels, i);
        if (SPYGLASS_IS_PREFERENCES_WINDOW(window))
            return window;
    }
    return NULL;
}

static gboolean shows_best_photo(SpyglassWindow *window)
{
    SpyglassPhotoPage *page = SPYGLASS_PHOTO_PAGE(spyglass_window_get_photo_page(window));
    g_autofree char *id =
        g_strdup_printf("%" G_GINT64_FORMAT, spyglass_photo_page_get_photo_id(page));
    return spyglass_window_get_showing_photo(window) && g_str_equal(id, best_red_circle_id) &&
           spyglass_photo_page_get_loaded(page);
}

static gboolean shows_blue_squares(SpyglassWindow *window)
{
    return !spyglass_window_get_busy(window) && !spyglass_window_get_showing_photo(window) &&
           g_str_equal(gtk_editable_get_text(spyglass_window_get_search_entry(window)),
                       "blue square") &&
           g_list_model_get_n_items(spyglass_window_get_photos(window)) > 0;
}

static void test_window(void)
{
    g_assert_nonnull(best_red_circle_id);
    g_autoptr(SpyglassApplication) app = spyglass_application_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(g_application_register(G_APPLICATION(app), NULL, &error));
    g_assert_no_error(error);
    g_assert_true(app_on_bus());

    /* The Shell's user chose the best red circle: the window opens on its page. */
    const char *terms[] = {"a", "red", "circle", NULL};
    g_autoptr(GVariant) activated = call_from_thread(
        "ActivateResult", g_variant_new("(s^asu)", best_red_circle_id, terms, (guint32)0), "()");
    SpyglassWindow *window =
        SPYGLASS_WINDOW(gtk_application_get_active_window(GTK_APPLICATION(app)));
    g_assert_nonnull(window);
    gtk_window_set_default_size(GTK_WINDOW(window), 900, 600);
    g_assert_true(wait_for(window, shows_best_photo, 120));
    g_assert_cmpstr(gtk_editable_get_text(spyglass_window_get_search_entry(window)), ==,
                    "a red circle");

    /* The application's icon beside the results: the window with the search typed in. */
    const char *blue[] = {"blue", "square", NULL};
    g_autoptr(GVariant) launched =
        call_from_thread("LaunchSearch", g_variant_new("(^asu)", blue, (guint32)0), "()");
    g_assert_true(wait_for(window, shows_blue_squares, 60));

    /* Preferences → Search in GNOME Shell: off, the provider answers nothing; on again. */
    g_assert_cmpuint(count_results_in_process(terms), >, 0);
    g_assert_true(gtk_widget_activate_action(GTK_WIDGET(window), "win.preferences", NULL));
    GtkWindow *preferences = find_preferences();
    g_assert_nonnull(preferences);
    GtkSwitch *shell_search = find_row_switch(GTK_WIDGET(preferences), "Search in GNOME Shell");
    g_assert_nonnull(shell_search);
    g_assert_true(gtk_switch_get_active(shell_search));
    gtk_switch_set_active(shell_search, FALSE);
    g_assert_cmpuint(count_results_in_process(terms), ==, 0);
    gtk_switch_set_active(shell_search, TRUE);
    g_assert_cmpuint(count_results_in_process(terms), >, 0);
    gtk_window_destroy(preferences);

    gtk_window_destroy(GTK_WINDOW(window));
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

int main(int argc, char **argv)
{
    g_assert_cmpint(argc, >=, 6);
    cli_path = argv[1];
    app_path = argv[2];
    service_path = argv[3];
    ini_path = argv[4];
    python_path = argv[5];
    /* XDG folders in a temporary home, before GLib caches them; the bus's services inherit
     * this environment. Settings in a key file, so that the provider's process sees the
     * test's changes. */
    tmp_dir = test_init_temp_home("spyglass-provider");
    g_setenv("GSETTINGS_BACKEND", "keyfile", TRUE);
    db_path = g_build_filename(tmp_dir, "library.db", NULL);
    g_setenv("SPYGLASS_DB", db_path, TRUE);
    g_autofree char *timeout = g_strdup_printf("%d", INACTIVITY_TIMEOUT_MS);
    g_setenv("SPYGLASS_INACTIVITY_TIMEOUT_MS", timeout, TRUE);

    g_test_init(&argc, &argv, NULL);
    if (!g_file_test(python_path, G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("no python3 to render the demo scenes");
        return g_test_run();
    }
    start_bus();
    gtk_init();
    adw_init();
    make_library();
    g_test_add_func("/search-provider/files", test_files);
    g_test_add_func("/search-provider/search", test_search);
    g_test_add_func("/search-provider/window", test_window);
    int status = g_test_run();
    /* GTK keeps the bus connection to the end, and g_test_dbus_down() (which disposing the
     * GTestDBus calls) would wait for it to go: the bus stops without waiting. */
    g_test_dbus_stop(bus);
    return status;
}
