/* test-common.c: helpers shared by the test programs. */
#include "test-common.h"

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
