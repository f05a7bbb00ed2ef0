/* clip-device-choice.c: `auto`'s device, measured once per (model, device, driver). */
#include "clip-device-choice.h"

#include "clip-encoder.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A few images, as many as a small batch of the indexer: enough to see
 * a GPU's fixed costs per batch, short enough for a first start. */
#define CALIBRATION_BATCH       4
#define CALIBRATION_MIN_SECONDS 0.5
#define CALIBRATION_MAX_RUNS    8

char *clip_device_choice_path(void)
{
    return g_build_filename(g_get_user_cache_dir(), "spyglass", "devices.ini", NULL);
}

/* The key a device's measurement is kept under: its name and driver, with
 * what a key file cannot hold in a key replaced. */
static char *device_key(const GpuDeviceInfo *info)
{
    /* `cpu`'s driver is its name. */
    char *key = g_strcmp0(info->driver, info->name) == 0
                    ? g_strdup(info->name)
                    : g_strdup_printf("%s (%s)", info->name, info->driver ? info->driver : "");
    for (char *c = key; *c; c++)
        if (*c == '=' || *c == '[' || *c == ']' || (unsigned char)*c < 0x20)
            *c = '_';
    return key;
}

static GKeyFile *load_choices(void)
{
    g_autofree char *path = clip_device_choice_path();
    GKeyFile *file = g_key_file_new();
    /* Missing or unreadable: everything is measured again and rewritten. */
    g_key_file_load_from_file(file, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
    return file;
}

static double remembered_rate(GKeyFile *file, const char *model_id, const GpuDeviceInfo *info)
{
    g_autofree char *key = device_key(info);
    g_autofree char *value = g_key_file_get_value(file, model_id, key, NULL);
    if (value == NULL)
        return 0.0;
    double rate = g_ascii_strtod(value, NULL);
    return rate > 0.0 && rate < 1e9 ? rate : 0.0;
}

static gboolean save_choices(GKeyFile *file, GError **error)
{
    g_autofree char *path = clip_device_choice_path();
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: cannot create the folder", dir);
        return FALSE;
    }
    return g_key_file_save_to_file(file, path, error);
}

/* SPYGLASS_SLOW_DEVICE="NAME:MS": the milliseconds per image to add for
 * a device whose name contains NAME (case-insensitive), else 0. */
static double added_delay_ms(const char *device_name)
{
    const char *spec = g_getenv("SPYGLASS_SLOW_DEVICE");
    const char *colon = spec ? strrchr(spec, ':') : NULL;
    if (colon == NULL || colon == spec)
        return 0.0;
    g_autofree char *needle = g_utf8_casefold(spec, colon - spec);
    g_autofree char *name = g_utf8_casefold(device_name, -1);
    return strstr(name, needle) != NULL ? g_ascii_strtod(colon + 1, NULL) : 0.0;
}

/* Images/s of the model's image encoder on device, in the precision `auto`
 * gives it; the first batch (shader compiles, first-touch) is not timed. */
static double measure(GpuDevice *device, const ClipModel *model, GError **error)
{
    g_autoptr(ClipEncoder) encoder = clip_encoder_new(device, model, CLIP_PRECISION_AUTO, error);
    if (encoder == NULL)
        return 0.0;
    g_autoptr(ClipSession) session = clip_session_new(encoder);
    const ClipConfig *config = &model->config;
    size_t elements = (size_t)CALIBRATION_BATCH * 3 * config->image_size * config->image_size;
    g_autofree float *pixels = g_new(float, elements);
    g_autofree float *features = g_new(float, (size_t)CALIBRATION_BATCH * config->embed_dim);
    GRand *rand = g_rand_new_with_seed(7);
    for (size_t i = 0; i < elements; i++)
        pixels[i] = (float)g_rand_double_range(rand, -1.8, 2.1);
    g_rand_free(rand);

    if (!clip_session_encode_images(session, pixels, CALIBRATION_BATCH, features, error))
        return 0.0;
    double delay_ms = added_delay_ms(gpu_device_name(device));
    gint64 start = g_get_monotonic_time();
    double seconds;
    int runs = 0;
    do {
        if (!clip_session_encode_images(session, pixels, CALIBRATION_BATCH, features, error))
            return 0.0;
        if (delay_ms > 0.0)
            g_usleep((gulong)(delay_ms * 1e3 * CALIBRATION_BATCH));
        runs++;
        seconds = (g_get_monotonic_time() - start) / 1e6;
    } while (runs < 2 || (seconds < CALIBRATION_MIN_SECONDS && runs < CALIBRATION_MAX_RUNS));
    return runs * CALIBRATION_BATCH / seconds;
}

static void remember(GKeyFile *file, const char *model_id, const GpuDeviceInfo *info, double rate)
{
    g_autofree char *key = device_key(info);
    char value[G_ASCII_DTOSTR_BUF_SIZE];
    g_key_file_set_value(file, model_id, key, g_ascii_formatd(value, sizeof value, "%.3f", rate));
}

/* Both measured now; the faster one stays open, and both rates are kept. */
static GpuDevice *calibrate(GpuDeviceInfo *gpu_info, GpuDeviceInfo *cpu_info,
                            const ClipModel *model, GKeyFile *file, GError **error)
{
    g_autoptr(GError) gpu_error = NULL;
    g_autoptr(GpuDevice) gpu = gpu_device_open_vulkan(gpu_info->index, &gpu_error);
    double gpu_rate = gpu != NULL ? measure(gpu, model, &gpu_error) : 0.0;
    g_autoptr(GpuDevice) cpu = gpu_device_open("cpu", error);
    if (cpu == NULL)
        return NULL;
    double cpu_rate = measure(cpu, model, error);
    if (cpu_rate <= 0.0)
        return NULL;
    if (gpu_rate <= 0.0) {
        /* A GPU that cannot run the model loses; it is tried again next
         * time rather than remembered, since the failure may pass. */
        g_debug("calibration of %s failed: %s", gpu_info->name, gpu_error->message);
        return g_steal_pointer(&cpu);
    }
    remember(file, model->id, gpu_info, gpu_rate);
    remember(file, model->id, cpu_info, cpu_rate);
    g_autoptr(GError) save_error = NULL;
    if (!save_choices(file, &save_error))
        g_debug("device choice not remembered: %s", save_error->message);
    return gpu_rate > cpu_rate ? g_steal_pointer(&gpu) : g_steal_pointer(&cpu);
}

/* Where "no GPU" is remembered, as the stamp it was found under. */
#define NO_GPU_GROUP "no GPU"
#define NO_GPU_KEY   "stamp"

static void stamp_path(GString *stamp, const char *path)
{
    struct stat info;
    if (g_stat(path, &info) == 0)
        g_string_append_printf(stamp, "%s@%lld.%09ld;", path, (long long)info.st_mtim.tv_sec,
                               info.st_mtim.tv_nsec);
    else
        g_string_append_printf(stamp, "%s@-;", path);
}

static void stamp_icd_dirs(GString *stamp, const char *const *dirs)
{
    for (; *dirs != NULL; dirs++) {
        g_autofree char *icd = g_build_filename(*dirs, "vulkan", "icd.d", NULL);
        stamp_path(stamp, icd);
    }
}

/* What decides whether `auto` finds a GPU: the Vulkan loader (a library
 * installed or removed rewrites ld.so.cache), the drivers' manifests (a
 * folder's time changes with the files in it), the device nodes (made anew
 * at boot and when a GPU appears) and the variables that steer them. A
 * change in any runs the probe again; the probe itself costs ~0.1 s of a
 * process's start (the loader and its drivers loaded, an instance made). */
static char *vulkan_stamp(void)
{
    static const char *const variables[] = {
        "SPYGLASS_CALIBRATE_LAVAPIPE", "VK_ICD_FILENAMES", "VK_DRIVER_FILES",
        "VK_ADD_DRIVER_FILES",         "LD_LIBRARY_PATH",
    };
    static const char *const paths[] = {
        "/etc/ld.so.cache",
        "/dev",
        "/dev/dri",
        "/etc/vulkan/icd.d",
        "/usr/share/vulkan/icd.d",
        "/usr/local/share/vulkan/icd.d",
    };
    g_autoptr(GString) stamp = g_string_new(NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(variables); i++) {
        const char *value = g_getenv(variables[i]);
        g_string_append_printf(stamp, "%s=%s;", variables[i], value != NULL ? value : "");
    }
    for (size_t i = 0; i < G_N_ELEMENTS(paths); i++)
        stamp_path(stamp, paths[i]);
    const char *user_dirs[] = {g_get_user_data_dir(), g_get_user_config_dir(), NULL};
    stamp_icd_dirs(stamp, user_dirs);
    stamp_icd_dirs(stamp, g_get_system_data_dirs());
    stamp_icd_dirs(stamp, g_get_system_config_dirs());
    return g_compute_checksum_for_string(G_CHECKSUM_SHA256, stamp->str, stamp->len);
}

GpuDevice *clip_device_open(const char *spec, const ClipModel *model, GError **error)
{
    spec = gpu_device_spec(spec);
    if (g_ascii_strcasecmp(spec, "auto") != 0)
        return gpu_device_open(spec, error);
    g_autoptr(GKeyFile) file = load_choices();
    g_autofree char *stamp = vulkan_stamp();
    g_autofree char *no_gpu = g_key_file_get_value(file, NO_GPU_GROUP, NO_GPU_KEY, NULL);
    if (g_strcmp0(no_gpu, stamp) == 0)
        return gpu_device_open("cpu", error);
    GpuDeviceInfo *gpu_info = gpu_device_auto_candidate();
    if (gpu_info == NULL) {
        g_key_file_set_value(file, NO_GPU_GROUP, NO_GPU_KEY, stamp);
        g_autoptr(GError) save_error = NULL;
        if (!save_choices(file, &save_error))
            g_debug("no GPU not remembered: %s", save_error->message);
        return gpu_device_open("cpu", error);
    }
    GpuDeviceInfo *cpu_info = gpu_device_cpu_info();
    double gpu_rate = remembered_rate(file, model->id, gpu_info);
    double cpu_rate = remembered_rate(file, model->id, cpu_info);
    GpuDevice *device;
    if (gpu_rate > 0.0 && cpu_rate > 0.0)
        device = gpu_rate > cpu_rate ? gpu_device_open_vulkan(gpu_info->index, error)
                                     : gpu_device_open("cpu", error);
    else
        device = calibrate(gpu_info, cpu_info, model, file, error);
    gpu_device_info_free(gpu_info);
    gpu_device_info_free(cpu_info);
    return device;
}

void clip_device_choice_annotate(GPtrArray *devices, const char *model_id)
{
    g_autoptr(GKeyFile) file = load_choices();
    for (guint i = 0; i < devices->len; i++) {
        GpuDeviceInfo *info = g_ptr_array_index(devices, i);
        if (info->driver != NULL)
            info->images_per_second = remembered_rate(file, model_id, info);
    }
    GpuDeviceInfo *candidate = gpu_device_auto_candidate();
    if (candidate == NULL)
        return;
    GpuDeviceInfo *gpu = NULL, *cpu = NULL;
    for (guint i = 0; i < devices->len; i++) {
        GpuDeviceInfo *info = g_ptr_array_index(devices, i);
        if (info->type == GPU_DEVICE_TYPE_NATIVE_CPU)
            cpu = info;
        else if (info->index >= 0 && info->index == candidate->index)
            gpu = info;
    }
    gpu_device_info_free(candidate);
    if (gpu == NULL || cpu == NULL || gpu->images_per_second <= 0.0 ||
        cpu->images_per_second <= 0.0)
        return;
    for (guint i = 0; i < devices->len; i++)
        ((GpuDeviceInfo *)g_ptr_array_index(devices, i))->selected = FALSE;
    (gpu->images_per_second > cpu->images_per_second ? gpu : cpu)->selected = TRUE;
}
