/* test-common.c: helpers shared by the test programs. */
#include "test-common.h"

#include <glib/gstdio.h>

#include <math.h>

const char *test_fixtures_dir(void)
{
    const char *dir = g_getenv("SPYGLASS_FIXTURES");
    if (dir == NULL || !g_file_test(dir, G_FILE_TEST_IS_DIR))
        return NULL;
    return dir;
}

char *test_fixture_path(const char *relative)
{
    const char *dir = test_fixtures_dir();
    if (dir == NULL) {
        if (g_getenv("SPYGLASS_REQUIRE_FIXTURES") != NULL)
            g_error("../shared/fixtures is missing and SPYGLASS_REQUIRE_FIXTURES is set");
        g_test_skip("../shared/fixtures is absent: set SPYGLASS_FIXTURES to run this test");
        return NULL;
    }
    return g_build_filename(dir, relative, NULL);
}

GpuDevice *test_open_vulkan(void)
{
    g_autoptr(GError) error = NULL;
    const char *spec = g_getenv("SPYGLASS_TEST_VULKAN_DEVICE");
    GpuDevice *device = gpu_device_open(spec != NULL ? spec : "vulkan", &error);
    if (device == NULL) {
        if (g_getenv("SPYGLASS_REQUIRE_VULKAN") != NULL)
            g_error("no Vulkan device, and SPYGLASS_REQUIRE_VULKAN is set: %s", error->message);
        g_autofree char *why = g_strdup_printf("no Vulkan device: %s", error->message);
        g_test_skip(why);
    }
    return device;
}

JsonNode *test_load_json(const char *path)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    if (!json_parser_load_from_file(parser, path, &error))
        g_error("%s: %s", path, error->message);
    return json_node_copy(json_parser_get_root(parser));
}

double test_relative_error(const float *a, const float *b, size_t n)
{
    double diff = 0.0, norm = 0.0;
    for (size_t i = 0; i < n; i++) {
        diff += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        norm += (double)b[i] * b[i];
    }
    return norm > 0.0 ? sqrt(diff / norm) : sqrt(diff);
}

double test_cosine(const float *a, const float *b, size_t n)
{
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (size_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return ab / sqrt(aa * bb);
}

void test_assert_no_validation_messages(GpuDevice *device)
{
    g_assert_cmpuint(gpu_device_validation_messages(device), ==, 0);
}

char *test_python_with_numpy(void)
{
    const char *candidates[] = {"python3", "/usr/bin/python3"};
    for (size_t i = 0; i < G_N_ELEMENTS(candidates); i++) {
        g_autofree char *path = g_find_program_in_path(candidates[i]);
        if (path == NULL)
            continue;
        const char *argv[] = {path, "-c", "import numpy", NULL};
        int status = 1;
        if (g_spawn_sync(NULL, (char **)argv, NULL,
                         G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL,
                         NULL, &status, NULL) &&
            g_spawn_check_wait_status(status, NULL))
            return g_steal_pointer(&path);
    }
    return NULL;
}

gboolean test_run_python_tool(const char *script, const char *const *args)
{
    g_autofree char *python = test_python_with_numpy();
    if (python == NULL) {
        g_test_skip_printf("no python3 with numpy to run tools/%s", script);
        return FALSE;
    }
    g_autofree char *script_path =
        g_build_filename(g_getenv("SPYGLASS_SOURCE_DIR"), "tools", script, NULL);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, python);
    g_ptr_array_add(argv, script_path);
    for (size_t i = 0; args[i] != NULL; i++)
        g_ptr_array_add(argv, (gpointer)args[i]);
    g_ptr_array_add(argv, NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *err_out = NULL;
    int status = 0;
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                               &err_out, &status, &error));
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("tools/%s failed: %s", script, err_out);
    return TRUE;
}

char *test_init_temp_home(const char *prefix)
{
    g_autofree char *template = g_strdup_printf("%s-XXXXXX", prefix);
    char *tmp_dir = g_dir_make_tmp(template, NULL);
    g_assert_nonnull(tmp_dir);
    const char *xdg[][2] = {
        {"XDG_DATA_HOME", "data"}, {"XDG_CACHE_HOME", "cache"}, {"XDG_CONFIG_HOME", "config"}};
    for (size_t i = 0; i < G_N_ELEMENTS(xdg); i++) {
        g_autofree char *dir = g_build_filename(tmp_dir, xdg[i][1], NULL);
        g_setenv(xdg[i][0], dir, TRUE);
    }
    g_setenv("HOME", tmp_dir, TRUE);
    return tmp_dir;
}

void test_remove_tree(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
        for (const char *name; dir != NULL && (name = g_dir_read_name(dir)) != NULL;) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            test_remove_tree(child);
        }
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}
