/* test-device-choice.c: `auto` takes the device measured fastest for a model,
 * remembers it, and measures again for a new model or driver.
 *
 * CI has only lavapipe, which `auto` never weighs; SPYGLASS_CALIBRATE_LAVAPIPE=1
 * lets it stand in for a GPU, and SPYGLASS_SLOW_DEVICE makes one side slow. */
#include "clip/clip-device-choice.h"
#include "clip/clip-model.h"

#include <glib/gstdio.h>
#include <string.h>

static char *cache_dir;

static ClipModel *fixture_model(const char *name)
{
    g_autofree char *dir = g_build_filename(g_getenv("SPYGLASS_FIXTURES"), name, "hf", NULL);
    g_autoptr(GError) error = NULL;
    ClipModel *model = clip_model_load(dir, &error);
    g_assert_no_error(error);
    return model;
}

static gboolean have_lavapipe(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpuDevice) device = gpu_device_open("lavapipe", &error);
    return device != NULL;
}

static void forget_choices(void)
{
    g_autofree char *path = clip_device_choice_path();
    g_remove(path);
}

static GpuDeviceType auto_type(const ClipModel *model)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GpuDevice) device = clip_device_open("auto", model, &error);
    g_assert_no_error(error);
    return gpu_device_type(device);
}

/* The images/s `devices` shows for the model: lavapipe's and cpu's; which is selected. */
static void measured(const ClipModel *model, double *lavapipe, double *cpu, GpuDeviceType *selected)
{
    g_autoptr(GPtrArray) devices = gpu_device_list(NULL);
    clip_device_choice_annotate(devices, model->id);
    *lavapipe = *cpu = 0.0;
    for (guint i = 0; i < devices->len; i++) {
        GpuDeviceInfo *info = g_ptr_array_index(devices, i);
        if (info->type == GPU_DEVICE_TYPE_CPU)
            *lavapipe = info->images_per_second;
        else if (info->type == GPU_DEVICE_TYPE_NATIVE_CPU)
            *cpu = info->images_per_second;
        if (info->selected)
            *selected = info->type;
    }
}

static char *cpu_slow_spec(double ms)
{
    GpuDeviceInfo *cpu = gpu_device_cpu_info();
    char *spec = g_strdup_printf("%s:%g", cpu->name, ms);
    gpu_device_info_free(cpu);
    return spec;
}

static void test_lavapipe_never_without_switch(void)
{
    g_autoptr(ClipModel) model = fixture_model("tiny-f32");
    forget_choices();
    g_unsetenv("SPYGLASS_CALIBRATE_LAVAPIPE");
    GpuDeviceInfo *gpu = gpu_device_auto_candidate();
    if (gpu != NULL) {
        gpu_device_info_free(gpu);
        g_test_skip("a real GPU competes here");
        return;
    }
    g_assert_cmpint(auto_type(model), ==, GPU_DEVICE_TYPE_NATIVE_CPU);
    /* nothing was measured; only "no GPU" is remembered */
    g_autoptr(GKeyFile) file = g_key_file_new();
    g_autofree char *path = clip_device_choice_path();
    g_assert_true(g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, NULL));
    g_assert_false(g_key_file_has_group(file, model->id));
    g_assert_true(g_key_file_has_group(file, "no GPU"));
}

static gboolean vulkan_loaded(void)
{
    g_autofree char *maps = NULL;
    g_assert_true(g_file_get_contents("/proc/self/maps", &maps, NULL, NULL));
    return strstr(maps, "libvulkan") != NULL;
}

/* A fresh process's `auto`, "no GPU" remembered: the Vulkan loader is never
 * loaded (the probe costs a search provider's first answer ~0.1 s). */
static void no_gpu_skips_probe(void)
{
    g_autoptr(ClipModel) model = fixture_model("tiny-f32");
    g_assert_false(vulkan_loaded());
    g_assert_cmpint(auto_type(model), ==, GPU_DEVICE_TYPE_NATIVE_CPU);
    g_assert_false(vulkan_loaded());
}

/* "No GPU" is remembered, skips the probe, and is probed again when what
 * it was found under changes (here the lavapipe switch: then measured). */
static void test_no_gpu_remembered(void)
{
    if (g_test_subprocess()) {
        no_gpu_skips_probe();
        return;
    }
    g_autoptr(ClipModel) model = fixture_model("tiny-f32");
    forget_choices();
    g_unsetenv("SPYGLASS_CALIBRATE_LAVAPIPE");
    GpuDeviceInfo *gpu = gpu_device_auto_candidate();
    if (gpu != NULL) {
        gpu_device_info_free(gpu);
        g_test_skip("a real GPU competes here");
        return;
    }
    g_assert_cmpint(auto_type(model), ==, GPU_DEVICE_TYPE_NATIVE_CPU);
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();

    if (!have_lavapipe())
        return;
    g_setenv("SPYGLASS_CALIBRATE_LAVAPIPE", "1", TRUE);
    g_setenv("SPYGLASS_SLOW_DEVICE", "llvmpipe:100", TRUE);
    g_assert_cmpint(auto_type(model), ==, GPU_DEVICE_TYPE_NATIVE_CPU);
    double lavapipe, cpu;
    GpuDeviceType selected;
    measured(model, &lavapipe, &cpu, &selected);
    g_assert_cmpfloat(lavapipe, >, 0.0); /* probed and measured */
    g_unsetenv("SPYGLASS_SLOW_DEVICE");
}

static void test_slow_gpu_loses_and_is_remembered(void)
{
    if (!have_lavapipe()) {
        g_test_skip("no lavapipe");
        return;
    }
    g_autoptr(ClipModel) model = fixture_model("tiny-f32");
    forget_choices();
    g_setenv("SPYGLASS_CALIBRATE_LAVAPIPE", "1", TRUE);
    g_setenv("SPYGLASS_SLOW_DEVICE", "llvmpipe:100", TRUE);
    g_assert_cmpint(auto_type(model), ==, GPU_DEVICE_TYPE_NATIVE_CPU);

    double lavapipe, cpu;
    GpuDeviceType selected = GPU_DEVICE_TYPE_OTHER;
    measured(model, &lavapipe, &cpu, &selected);
    g_test_message("measured: lavapipe %.1f images/s (slowed), cpu %.1f", lavapipe, cpu);
    g_assert_cmpfloat(lavapipe, >, 0.0);
    g_assert_cmpfloat(lavapipe, <, 10.0); /* 100 ms per image added */
    g_assert_cmpfloat(cpu, >, lavapipe);
    g_assert_cmpint(selected, ==, GPU_DEVICE_TYPE_NATIVE_CPU);

    /* Now cpu would lose a new measurement by far: the remembered choice
     * holds, and the file is not rewritten. */
    g_autofree char *path = clip_device_choice_path();
    g_autofree char *before = NULL;
    g_assert_true(g_file_get_contents(path, &before, NULL, NULL));
    g_autofree char *slow_cpu = cpu_slow_spec(1000);
    g_setenv("SPYGLASS_SLOW_DEVICE", slow_cpu, TRUE);
    g_assert_cmpint(auto_type(model), ==, GPU_DEVICE_TYPE_NATIVE_CPU);
    g_autofree char *after = NULL;
    g_assert_true(g_file_get_contents(path, &after, NULL, NULL));
    g_assert_cmpstr(before, ==, after);
    g_unsetenv("SPYGLASS_SLOW_DEVICE");
}

static void test_slow_cpu_loses(void)
{
    if (!have_lavapipe()) {
        g_test_skip("no lavapipe");
        return;
    }
    g_autoptr(ClipModel) model = fixture_model("tiny-f32");
    forget_choices();
    g_setenv("SPYGLASS_CALIBRATE_LAVAPIPE", "1", TRUE);
    g_autofree char *slow_cpu = cpu_slow_spec(200);
    g_setenv("SPYGLASS_SLOW_DEVICE", slow_cpu, TRUE);
    g_assert_cmpint(auto_type(model), ==, GPU_DEVICE_TYPE_CPU);
    double lavapipe, cpu;
    GpuDeviceType selected = GPU_DEVICE_TYPE_OTHER;
    measured(model, &lavapipe, &cpu, &selected);
    g_assert_cmpfloat(lavapipe, >, cpu);
    g_assert_cmpint(selected, ==, GPU_DEVICE_TYPE_CPU);
    g_unsetenv("SPYGLASS_SLOW_DEVICE");
}

/* A measurement under another driver, or for another model, is not this one's. */
static void test_new_driver_or_model_measures_again(void)
{
    if (!have_lavapipe()) {
        g_test_skip("no lavapipe");
        return;
    }
    g_autoptr(ClipModel) model = fixture_model("tiny-f32");
    g_autoptr(ClipModel) other = fixture_model("tiny-f16");
    g_assert_cmpstr(model->id, !=, other->id);
    forget_choices();
    g_setenv("SPYGLASS_CALIBRATE_LAVAPIPE", "1", TRUE);
    g_setenv("SPYGLASS_SLOW_DEVICE", "llvmpipe:100", TRUE);
    g_assert_cmpint(auto_type(model), ==, GPU_DEVICE_TYPE_NATIVE_CPU);

    /* The same choice file as left by an older driver: lavapipe's entry
     * names another driver version. */
    g_autofree char *path = clip_device_choice_path();
    g_autofree char *contents = NULL;
    g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
    g_autoptr(GString) old = g_string_new(contents);
    g_assert_cmpuint(g_string_replace(old, "llvmpipe", "llvmpipe-old", 0), ==, 1);
    g_assert_true(g_file_set_contents(path, old->str, -1, NULL));

    g_autofree char *slow_cpu = cpu_slow_spec(200);
    g_setenv("SPYGLASS_SLOW_DEVICE", slow_cpu, TRUE);
    g_assert_cmpint(auto_type(model), ==, GPU_DEVICE_TYPE_CPU); /* measured again */
    g_assert_cmpint(auto_type(other), ==, GPU_DEVICE_TYPE_CPU); /* a new model: measured */
    double lavapipe, cpu;
    GpuDeviceType selected;
    measured(other, &lavapipe, &cpu, &selected);
    g_assert_cmpfloat(lavapipe, >, 0.0);
    g_assert_cmpfloat(cpu, >, 0.0);
    g_unsetenv("SPYGLASS_SLOW_DEVICE");
}

int main(int argc, char **argv)
{
    /* Before anything asks GLib for the cache folder (it keeps the first
     * answer); a subprocess shares its parent's. */
    const char *parent_cache = g_getenv("DEVICE_CHOICE_TEST_CACHE");
    gboolean child = parent_cache != NULL;
    cache_dir =
        child ? g_strdup(parent_cache) : g_dir_make_tmp("spyglass-device-choice-XXXXXX", NULL);
    g_assert_nonnull(cache_dir);
    g_setenv("XDG_CACHE_HOME", cache_dir, TRUE);
    g_setenv("DEVICE_CHOICE_TEST_CACHE", cache_dir, TRUE);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/device-choice/no-gpu-remembered", test_no_gpu_remembered);
    g_test_add_func("/device-choice/lavapipe-never-without-switch",
                    test_lavapipe_never_without_switch);
    g_test_add_func("/device-choice/slow-gpu-loses-and-is-remembered",
                    test_slow_gpu_loses_and_is_remembered);
    g_test_add_func("/device-choice/slow-cpu-loses", test_slow_cpu_loses);
    g_test_add_func("/device-choice/new-driver-or-model-measures-again",
                    test_new_driver_or_model_measures_again);
    int status = g_test_run();
    if (child) {
        g_free(cache_dir);
        return status;
    }
    forget_choices();
    g_autofree char *spyglass_dir = g_build_filename(cache_dir, "spyglass", NULL);
    g_rmdir(spyglass_dir);
    g_rmdir(cache_dir);
    g_free(cache_dir);
    return status;
}
