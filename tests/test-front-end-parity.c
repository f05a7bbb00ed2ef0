/* test-front-end-parity.c: the same searches, "find similar", "more like these" and auto-albums
 * through `spyglass-cli --json` and through the app's SpyglassEngine on one library give the
 * same photos in the same order with the same scores.
 *
 * Both front ends run the core's calls (src/core/); this test fails when one of them grows a
 * rule of its own again. Built without the app, it drives SpyglassSession directly.
 *
 * And the rule both now share when the library's searchable model was removed mid-switch.
 * Then the indexing lifecycle the window drives through the engine: the folder watcher,
 * pause and resume, "indexing-state-changed" and "index-finished".
 *
 * argv[1]: spyglass-cli. The model: data/models/demo when present, else the tiny fixture;
 * $SPYGLASS_PARITY_MODEL (a fixture folder, e.g. siglip2-tiny/hf) replaces it, so that SigLIP's
 * rules and multilingual queries run through both front ends too.
 */
#include "test-common.h"
#include "test-images.h"

#include "clip/clip-encoder.h"
#include "clip/clip-model.h"
#include "library/library-store.h"

#ifdef SPYGLASS_TEST_ENGINE
#include "spyglass-engine.h"
#include "spyglass-photo-list.h"
#else
#include "core/spyglass-session.h"
#endif

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

static const char *cli_path;
static char *tmp_dir, *photos_dir, *db_path, *model_dir;

/* A result as both front ends give it. */
typedef struct {
    char *path;
    double score; /* NaN for album members */
} Hit;

static void hit_clear(gpointer data)
{
    g_free(((Hit *)data)->path);
}

static GArray *hits_new(void)
{
    GArray *hits = g_array_new(FALSE, TRUE, sizeof(Hit));
    g_array_set_clear_func(hits, hit_clear);
    return hits;
}

static void hits_add(GArray *hits, const char *path, double score)
{
    Hit hit = {g_strdup(path), score};
    g_array_append_val(hits, hit);
}

/* ---- the library ---- */

typedef struct {
    const char *name;
    guint8 fg[3], bg[3];
    gboolean circle;
} Scene;

static const Scene scenes[] = {
    {"red-circle", {220, 30, 30}, {240, 240, 240}, TRUE},
    {"red-square", {220, 30, 30}, {30, 30, 60}, FALSE},
    {"blue-circle", {30, 60, 220}, {240, 240, 240}, TRUE},
    {"blue-square", {30, 60, 220}, {250, 230, 120}, FALSE},
    {"green-circle", {30, 180, 60}, {40, 40, 40}, TRUE},
    {"green-square", {30, 180, 60}, {240, 240, 240}, FALSE},
    {"yellow-circle", {240, 220, 40}, {30, 60, 160}, TRUE},
    {"yellow-square", {240, 220, 40}, {20, 20, 20}, FALSE},
};

#define SCENE_SIZE 160

static void write_scene(const Scene *scene, const char *path)
{
    g_autofree guint8 *rgb = test_make_scene(SCENE_SIZE, scene->fg, scene->bg, scene->circle);
    TestJpegSpec spec = {.width = SCENE_SIZE,
                         .height = SCENE_SIZE,
                         .color_space = JCS_RGB,
                         .samples = rgb,
                         .quality = 95,
                         .full_chroma = TRUE};
    g_autoptr(GBytes) jpeg = test_jpeg_encode(&spec);
    gsize size;
    const void *data = g_bytes_get_data(jpeg, &size);
    g_assert_true(g_file_set_contents(path, data, (gssize)size, NULL));
}

static char *scene_path(guint i)
{
    g_autofree char *name = g_strdup_printf("%s.jpg", scenes[i].name);
    return g_build_filename(photos_dir, name, NULL);
}

/* Runs spyglass-cli --db … --model … --json ARGS; its stdout parsed. */
static JsonNode *run_cli(const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    const char *fixed[] = {cli_path, "--db", db_path, "--json", "--model", model_dir};
    /* model_dir NULL: the model the library's own rules choose. */
    for (size_t i = 0; i < G_N_ELEMENTS(fixed) - (model_dir == NULL ? 2 : 0); i++)
        g_ptr_array_add(argv, (gpointer)fixed[i]);
    for (size_t i = 0; args[i] != NULL; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    g_autofree char *out = NULL, *err = NULL;
    int status = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error));
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("spyglass-cli %s: %s", args[0], err);
    g_autoptr(JsonParser) parser = json_parser_new();
    g_assert_true(json_parser_load_from_data(parser, out, -1, &error));
    g_assert_no_error(error);
    return json_node_copy(json_parser_get_root(parser));
}

/* {"results":[{"path","score"}]} */
static GArray *cli_results(const char *const *args)
{
    g_autoptr(JsonNode) root = run_cli(args);
    JsonArray *results = json_object_get_array_member(json_node_get_object(root), "results");
    GArray *hits = hits_new();
    for (guint i = 0; i < json_array_get_length(results); i++) {
        JsonObject *result = json_array_get_object_element(results, i);
        hits_add(hits, json_object_get_string_member(result, "path"),
                 json_object_get_double_member(result, "score"));
    }
    return hits;
}

static void assert_same_hits(GArray *cli, GArray *app, const char *what)
{
    g_test_message("%s: %u results", what, cli->len);
    g_assert_cmpuint(cli->len, ==, app->len);
    for (guint i = 0; i < cli->len; i++) {
        const Hit *a = &g_array_index(cli, Hit, i), *b = &g_array_index(app, Hit, i);
        g_assert_cmpstr(a->path, ==, b->path);
        if (isnan(a->score))
            g_assert_true(isnan(b->score));
        else
            g_assert_cmpfloat_with_epsilon(a->score, b->score, 1e-6);
    }
}

/* ---- the app's side ---- */

#ifdef SPYGLASS_TEST_ENGINE

static SpyglassEngine *engine;

static GAsyncResult *wait_for(GAsyncResult **slot)
{
    while (*slot == NULL)
        g_main_context_iteration(NULL, TRUE);
    return *slot;
}

static void store_result(GObject *source, GAsyncResult *result, gpointer user_data)
{
    *(GAsyncResult **)user_data = g_object_ref(result);
}

static GArray *hits_from_entries(GArray *entries)
{
    GArray *hits = hits_new();
    for (guint i = 0; i < entries->len; i++) {
        const SpyglassHit *entry = &g_array_index(entries, SpyglassHit, i);
        hits_add(hits, entry->path, entry->score);
    }
    return hits;
}

static void app_open(void)
{
    engine = spyglass_engine_new(db_path, model_dir, NULL);
    g_autoptr(GAsyncResult) result = NULL;
    spyglass_engine_open_async(engine, NULL, store_result, &result);
    g_autoptr(GError) error = NULL;
    g_assert_true(spyglass_engine_open_finish(engine, wait_for(&result), &error));
    g_assert_no_error(error);
}

static void app_close(void)
{
    g_clear_object(&engine);
}

static GArray *app_search(const char *query)
{
    g_autoptr(GAsyncResult) result = NULL;
    spyglass_engine_search_async(engine, query, FALSE, NULL, store_result, &result);
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) entries = spyglass_engine_search_finish(engine, wait_for(&result), &error);
    g_assert_no_error(error);
    return hits_from_entries(entries);
}

static GArray *app_similar(const gint64 *ids, guint n)
{
    g_autoptr(GAsyncResult) result = NULL;
    spyglass_engine_similar_async(engine, ids, n, NULL, store_result, &result);
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) entries = spyglass_engine_similar_finish(engine, wait_for(&result), &error);
    g_assert_no_error(error);
    return hits_from_entries(entries);
}

/* The photos' ids, by path. */
static GHashTable *app_photo_ids(void)
{
    g_autoptr(GAsyncResult) result = NULL;
    spyglass_engine_list_photos_async(engine, -1, NULL, store_result, &result);
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) entries =
        spyglass_engine_list_photos_finish(engine, wait_for(&result), &error);
    g_assert_no_error(error);
    GHashTable *ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint i = 0; i < entries->len; i++) {
        const SpyglassHit *entry = &g_array_index(entries, SpyglassHit, i);
        g_hash_table_insert(ids, g_strdup(entry->path), g_memdup2(&entry->id, sizeof entry->id));
    }
    return ids;
}

/* GPtrArray of SpyglassAlbum: those with photos. */
static GPtrArray *app_albums(void)
{
    g_autoptr(GAsyncResult) result = NULL;
    spyglass_engine_list_albums_async(engine, NULL, store_result, &result);
    g_autoptr(GError) error = NULL;
    GPtrArray *albums = spyglass_engine_list_albums_finish(engine, wait_for(&result), &error);
    g_assert_no_error(error);
    return albums;
}

/* An album's members by path, sorted. */
static GPtrArray *app_album_paths(const char *id)
{
    g_autoptr(GAsyncResult) result = NULL;
    spyglass_engine_album_photos_async(engine, id, NULL, store_result, &result);
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) entries =
        spyglass_engine_album_photos_finish(engine, wait_for(&result), &error);
    g_assert_no_error(error);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < entries->len; i++)
        g_ptr_array_add(paths, g_strdup(g_array_index(entries, SpyglassHit, i).path));
    return paths;
}

/* ---- the indexing lifecycle the window drives ---- */

typedef struct {
    GArray *states; /* guint: every "indexing-state-changed" */
    guint n_finished, n_failed;
    char *message;
} Lifecycle;

static void state_changed(SpyglassEngine *source, guint state, Lifecycle *life)
{
    g_array_append_val(life->states, state);
}

static void finished(SpyglassEngine *source, guint n_failed, const char *message, Lifecycle *life)
{
    life->n_finished++;
    life->n_failed = n_failed;
    g_free(life->message);
    life->message = g_strdup(message);
}

static gboolean time_out(gpointer data)
{
    g_error("no index-finished in time");
    return G_SOURCE_REMOVE;
}

static void wait_finished(Lifecycle *life, guint n)
{
    guint timeout = g_timeout_add_seconds(120, time_out, NULL);
    while (life->n_finished < n)
        g_main_context_iteration(NULL, TRUE);
    g_source_remove(timeout);
}

static guint last_state(Lifecycle *life)
{
    return g_array_index(life->states, guint, life->states->len - 1);
}

/* A photo added on disk is indexed by a run the watcher asks for; a paused run waits for
 * resume; "indexing" follows the runs. */
static void test_lifecycle(void)
{
    Lifecycle life = {.states = g_array_new(FALSE, FALSE, sizeof(guint))};
    gulong ids[] = {
        g_signal_connect(engine, "indexing-state-changed", G_CALLBACK(state_changed), &life),
        g_signal_connect(engine, "index-finished", G_CALLBACK(finished), &life),
    };
    g_autoptr(GAsyncResult) result = NULL;
    spyglass_engine_list_folders_async(engine, NULL, store_result, &result);
    g_autoptr(GPtrArray) folders =
        spyglass_engine_list_folders_finish(engine, wait_for(&result), NULL);
    g_assert_cmpuint(folders->len, ==, 1);
    spyglass_engine_watch_folders(engine, folders);

    g_autofree char *added = g_build_filename(photos_dir, "added.jpg", NULL);
    write_scene(&(Scene){"added", {200, 40, 200}, {10, 10, 10}, TRUE}, added);
    wait_finished(&life, 1);
    g_assert_null(life.message);
    g_assert_cmpuint(life.n_failed, ==, 0);
    g_assert_cmpuint(g_array_index(life.states, guint, 0), ==, 1 /* running */);
    g_assert_cmpuint(last_state(&life), ==, 0 /* idle */);
    g_assert_false(spyglass_engine_get_indexing(engine));
    g_autoptr(GHashTable) photos = app_photo_ids();
    g_assert_true(g_hash_table_contains(photos, added));

    /* Paused before the run ends: nothing finishes until resumed; a pause that came too
     * late (the run was done) leaves it idle. */
    spyglass_engine_request_index(engine, NULL);
    spyglass_engine_pause_indexing(engine);
    while (spyglass_engine_get_indexing_state(engine) == 1)
        g_main_context_iteration(NULL, TRUE);
    if (spyglass_engine_get_indexing_state(engine) == 2 /* paused */) {
        g_assert_cmpuint(life.n_finished, ==, 1);
        spyglass_engine_resume_indexing(engine);
    }
    wait_finished(&life, 2);
    g_assert_null(life.message);
    while (spyglass_engine_get_indexing(engine))
        g_main_context_iteration(NULL, TRUE);
    g_assert_cmpuint(spyglass_engine_get_indexing_state(engine), ==, 0);

    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++)
        g_signal_handler_disconnect(engine, ids[i]);
    g_array_unref(life.states);
    g_free(life.message);
}

#else

static SpyglassSession *session;

static void app_open(void)
{
    SpyglassSessionParams params;
    spyglass_session_params_init(&params);
    params.db_path = db_path;
    params.model_dir = model_dir;
    session = spyglass_session_new(&params);
    g_autoptr(GError) error = NULL;
    g_assert_true(spyglass_session_open(session, &error));
    g_assert_no_error(error);
}

static void app_close(void)
{
    g_clear_pointer(&session, spyglass_session_free);
}

static GArray *hits_from_session(SpyglassHits *found)
{
    GArray *hits = hits_new();
    for (guint i = 0; i < found->len; i++) {
        const SpyglassHit *hit = &g_array_index(found, SpyglassHit, i);
        hits_add(hits, hit->path, hit->score);
    }
    return hits;
}

static GArray *app_search(const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SearchQuery) query = search_query_parse(text, &error);
    g_assert_no_error(error);
    g_autoptr(SpyglassHits) hits = spyglass_session_search(session, query, 500, FALSE, &error);
    g_assert_no_error(error);
    return hits_from_session(hits);
}

static GArray *app_similar(const gint64 *ids, guint n)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassHits) hits = spyglass_session_similar(session, ids, n, 500, &error);
    g_assert_no_error(error);
    return hits_from_session(hits);
}

static GHashTable *app_photo_ids(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassHits) photos = spyglass_session_list_photos(session, -1, &error);
    g_assert_no_error(error);
    GHashTable *ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint i = 0; i < photos->len; i++) {
        const SpyglassHit *hit = &g_array_index(photos, SpyglassHit, i);
        g_hash_table_insert(ids, g_strdup(hit->path), g_memdup2(&hit->id, sizeof hit->id));
    }
    return ids;
}

static GPtrArray *app_albums(void)
{
    g_autoptr(GError) error = NULL;
    GPtrArray *albums = spyglass_session_list_albums(session, FALSE, &error);
    g_assert_no_error(error);
    return albums;
}

static GPtrArray *app_album_paths(const char *id)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(SpyglassHits) hits = spyglass_session_album_photos(session, id, &error);
    g_assert_no_error(error);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < hits->len; i++)
        g_ptr_array_add(paths, g_strdup(g_array_index(hits, SpyglassHit, i).path));
    return paths;
}

#endif

/* ---- the tests ---- */

static void test_search(void)
{
    const char *queries[] = {"a red circle",
                             "a blue square",
                             "yellow -circle",
                             "a photo of a green shape",
                             "chat noir sur un canapé",
                             "東京の夜景"};
    for (size_t q = 0; q < G_N_ELEMENTS(queries); q++) {
        const char *args[] = {"search", "--limit", "500", queries[q], NULL};
        g_autoptr(GArray) cli = cli_results(args);
        g_autoptr(GArray) app = app_search(queries[q]);
        g_assert_cmpuint(cli->len, >, 0);
        assert_same_hits(cli, app, queries[q]);
    }
}

static void test_similar(void)
{
    g_autoptr(GHashTable) ids = app_photo_ids();
    g_assert_cmpuint(g_hash_table_size(ids), ==, G_N_ELEMENTS(scenes));
    /* Find Similar on each photo, then More Like These on pairs. */
    for (guint i = 0; i < G_N_ELEMENTS(scenes); i++) {
        g_autofree char *path = scene_path(i);
        g_autofree char *other = scene_path((i + 3) % G_N_ELEMENTS(scenes));
        gint64 pair[] = {*(gint64 *)g_hash_table_lookup(ids, path),
                         *(gint64 *)g_hash_table_lookup(ids, other)};
        for (guint n = 1; n <= 2; n++) {
            const char *args[] = {"similar", "--limit", "500", path, n == 2 ? other : NULL, NULL};
            g_autoptr(GArray) cli = cli_results(args);
            g_autoptr(GArray) app = app_similar(pair, n);
            g_assert_cmpuint(cli->len, ==, G_N_ELEMENTS(scenes) - n);
            assert_same_hits(cli, app, path);
        }
    }
}

static int compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_albums(void)
{
    const char *args[] = {"albums", NULL};
    g_autoptr(JsonNode) root = run_cli(args);
    JsonArray *cli = json_object_get_array_member(json_node_get_object(root), "albums");
    g_autoptr(GPtrArray) app = app_albums();
    /* The app lists the albums with photos, in the taxonomy's order as the CLI does. */
    guint a = 0, n_photos = 0;
    for (guint c = 0; c < json_array_get_length(cli); c++) {
        JsonObject *album = json_array_get_object_element(cli, c);
        JsonArray *photos = json_object_get_array_member(album, "photos");
        if (json_array_get_length(photos) == 0)
            continue;
        g_assert_cmpuint(a, <, app->len);
        const SpyglassAlbum *mine = g_ptr_array_index(app, a++);
        g_assert_cmpstr(json_object_get_string_member(album, "name"), ==, mine->id);
        g_assert_cmpuint(json_array_get_length(photos), ==, mine->n_photos);
        g_autoptr(GPtrArray) members = app_album_paths(mine->id);
        g_ptr_array_sort(members, compare_strings);
        g_assert_cmpuint(members->len, ==, json_array_get_length(photos));
        for (guint i = 0; i < members->len; i++) {
            const char *path = json_array_get_string_element(photos, i);
            g_assert_cmpstr(path, ==, g_ptr_array_index(members, i));
            g_assert_cmpstr(path, ==, g_ptr_array_index(mine->paths, i));
        }
        n_photos += members->len;
    }
    g_assert_cmpuint(a, ==, app->len);
    g_test_message("%u albums with %u memberships", app->len, n_photos);
    g_assert_cmpuint(n_photos, >, 0);
}

static void copy_folder(const char *from, const char *to)
{
    g_assert_cmpint(g_mkdir_with_parents(to, 0700), ==, 0);
    g_autoptr(GDir) dir = g_dir_open(from, 0, NULL);
    g_assert_nonnull(dir);
    for (const char *name; (name = g_dir_read_name(dir)) != NULL;) {
        g_autofree char *source = g_build_filename(from, name, NULL);
        g_autofree char *target = g_build_filename(to, name, NULL);
        g_autofree char *contents = NULL;
        gsize length;
        g_assert_true(g_file_get_contents(source, &contents, &length, NULL));
        g_assert_true(g_file_set_contents(target, contents, (gssize)length, NULL));
    }
}

/* The library's searchable model was removed while a switch to another was under way: both
 * front ends search the photos already re-embedded with the new one (the CLI's rule, now the
 * app's too). Runs last: it moves the tests to a library of its own. */
static void test_removed_model(void)
{
    g_autofree char *old_model = g_build_filename(tmp_dir, "old-model", NULL);
    g_autofree char *fixture = test_fixture_path("tiny-f32/hf");
    copy_folder(fixture, old_model);
    g_autofree char *new_model = g_strdup(model_dir);
    app_close();
    g_free(db_path);
    db_path = g_build_filename(tmp_dir, "switching.db", NULL);
    g_free(model_dir);
    model_dir = g_strdup(old_model);
    const char *index_args[] = {"index", photos_dir, NULL};
    g_autoptr(JsonNode) indexed = run_cli(index_args);

    /* A switch under way: the new model is current and has embedded one photo. */
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipModel) model = clip_model_load(new_model, &error);
    g_assert_no_error(error);
    g_autoptr(LibraryStore) store = library_store_open(db_path, &error);
    g_assert_no_error(error);
    LibraryModelRecord record = {model->id, model->name, new_model, model->config.embed_dim};
    g_assert_true(library_store_set_current_model(store, &record, &error));
    g_autofree char *first = scene_path(0);
    g_autoptr(LibraryPhoto) photo = library_store_find_photo(store, first, &error);
    g_assert_nonnull(photo);
    g_autofree float *vector = g_new(float, model->config.embed_dim);
    for (guint d = 0; d < model->config.embed_dim; d++)
        vector[d] = (float)((d * 7919) % 13) - 6.0f;
    clip_normalize_rows(vector, 1, model->config.embed_dim);
    LibraryPhotoInfo info = {0};
    g_assert_true(library_store_set_photo_embedded(store, photo->id, &info, photo->fingerprint,
                                                   model->id, model->config.embed_dim, vector,
                                                   &error));
    g_assert_no_error(error);
    g_autoptr(LibraryModelRecord) searchable = library_store_get_searchable_model(store, &error);
    g_assert_cmpstr(searchable->dir, ==, old_model);
    g_clear_pointer(&store, library_store_free);

    g_autofree char *command = g_strdup_printf("rm -rf '%s'", old_model);
    g_assert_true(g_spawn_command_line_sync(command, NULL, NULL, NULL, NULL));
    g_clear_pointer(&model_dir, g_free);
    const char *args[] = {"search", "--limit", "500", "a red circle", NULL};
    g_autoptr(GArray) cli = cli_results(args);
    app_open();
    g_autoptr(GArray) app = app_search("a red circle");
    g_assert_cmpuint(cli->len, ==, 1);
    g_assert_cmpstr(g_array_index(cli, Hit, 0).path, ==, first);
    assert_same_hits(cli, app, "after the model was removed");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (argc < 2) {
        g_printerr("usage: %s SPYGLASS_CLI\n", argv[0]);
        return 2;
    }
    cli_path = argv[1];
    g_autofree char *demo =
        g_build_filename(g_getenv("SPYGLASS_SOURCE_DIR"), "data", "models", "demo", NULL);
    const char *chosen = g_getenv("SPYGLASS_PARITY_MODEL");
    model_dir = chosen != NULL                          ? test_fixture_path(chosen)
                : g_file_test(demo, G_FILE_TEST_IS_DIR) ? g_strdup(demo)
                                                        : test_fixture_path("tiny-f32/hf");
    tmp_dir = g_dir_make_tmp("spyglass-parity-XXXXXX", NULL);
    photos_dir = g_build_filename(tmp_dir, "photos", NULL);
    db_path = g_build_filename(tmp_dir, "library.db", NULL);
    g_assert_cmpint(g_mkdir(photos_dir, 0700), ==, 0);
    for (guint i = 0; i < G_N_ELEMENTS(scenes); i++) {
        g_autofree char *path = scene_path(i);
        write_scene(&scenes[i], path);
    }
    /* The albums' cache of encoded prompts stays in the test's folder. */
    g_autofree char *cache = g_build_filename(tmp_dir, "cache", NULL);
    g_setenv("XDG_CACHE_HOME", cache, TRUE);
    const char *index_args[] = {"index", photos_dir, NULL};
    g_autoptr(JsonNode) indexed = run_cli(index_args);
    g_assert_cmpint(json_object_get_int_member(json_node_get_object(indexed), "added"), ==,
                    G_N_ELEMENTS(scenes));
    app_open();

    g_test_add_func("/front-end-parity/search", test_search);
    g_test_add_func("/front-end-parity/similar", test_similar);
    g_test_add_func("/front-end-parity/albums", test_albums);
#ifdef SPYGLASS_TEST_ENGINE
    /* These two last: the first adds a photo, the second moves to a library of its own. */
    g_test_add_func("/engine/indexing-lifecycle", test_lifecycle);
#endif
    g_test_add_func("/front-end-parity/removed-model", test_removed_model);
    int status = g_test_run();

    app_close();
    g_autofree char *command = g_strdup_printf("rm -rf '%s'", tmp_dir);
    g_assert_true(g_spawn_command_line_sync(command, NULL, NULL, NULL, NULL));
    return status;
}
