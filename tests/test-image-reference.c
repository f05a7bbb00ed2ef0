/* test-image-reference.c: decoding and preprocessing match PIL and the original processor on
 * the fixtures and on generated photos (tests/data/preprocess_reference.py). */
#include "test-image-preprocess-common.h"
#include "test-common.h"
#include "test-images.h"

#include <math.h>

static char *reference_script(void)
{
    const char *script = g_getenv("SPYGLASS_PREPROCESS_REFERENCE");
    if (script != NULL)
        return g_strdup(script);
    /* SPYGLASS_TEST_DATA is tests/data in the source tree; the script is beside it. */
    const char *data_dir = g_getenv("SPYGLASS_TEST_DATA");
    if (data_dir != NULL) {
        g_autofree char *tests_dir = g_path_get_dirname(data_dir);
        return g_build_filename(tests_dir, "preprocess-reference.py", NULL);
    }
    g_autofree char *source_dir = g_path_get_dirname(__FILE__);
    return g_build_filename(source_dir, "preprocess-reference.py", NULL);
}

static gboolean python_has_reference_modules(const char *python, const char *script)
{
    const char *argv[] = {python, script, "--check", NULL};
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL,
                      G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL,
                      NULL, &status, NULL))
        return FALSE;
    return g_spawn_check_wait_status(status, NULL);
}

/* A python3 with PIL and numpy: $SPYGLASS_PYTHON, the python3 on PATH (which
 * may be a virtual environment or pyenv's without them), then Debian's. */
static const char *reference_python(void)
{
    static gboolean searched;
    static char *found;
    if (searched)
        return found;
    searched = TRUE;

    g_autofree char *script = reference_script();
    if (!g_file_test(script, G_FILE_TEST_EXISTS))
        return NULL;
    g_autofree char *on_path = g_find_program_in_path("python3");
    const char *candidates[] = {g_getenv("SPYGLASS_PYTHON"), on_path, "/usr/bin/python3"};
    for (size_t i = 0; i < G_N_ELEMENTS(candidates); i++) {
        if (candidates[i] != NULL && python_has_reference_modules(candidates[i], script)) {
            found = g_strdup(candidates[i]);
            break;
        }
    }
    return found;
}

/* Skips the test unless the PIL reference can run. */
gboolean reference_available(void)
{
    if (reference_python() != NULL)
        return TRUE;
    g_autofree char *script = reference_script();
    g_autofree char *why = g_strdup_printf(
        "no python3 with PIL and numpy (python3-pil, python3-numpy) to run %s", script);
    g_test_skip(why);
    return FALSE;
}

ReferenceJobs *reference_jobs_new(void)
{
    ReferenceJobs *jobs = g_new0(ReferenceJobs, 1);
    jobs->lines = g_string_new(NULL);
    return jobs;
}

void reference_jobs_free(ReferenceJobs *jobs)
{
    g_string_free(jobs->lines, TRUE);
    g_free(jobs);
}

/* Asks for PIL's preprocessing of image_path; returns the file it will write:
 * (3, size, size) float32. */
char *reference_jobs_preprocess(ReferenceJobs *jobs, const char *image_path, uint32_t size,
                                gboolean exif_transpose)
{
    char *out = g_strdup_printf("%s/reference-%u.f32", tmp_dir, jobs->n++);
    g_string_append_printf(jobs->lines, "%s%s\t%u\t%s\n",
                           exif_transpose ? "--exif-transpose\t" : "", image_path, size, out);
    return out;
}

/* Asks for PIL's decode and convert("RGB"); returns the file it will write. */
char *reference_jobs_decode(ReferenceJobs *jobs, const char *image_path, gboolean exif_transpose)
{
    char *out = g_strdup_printf("%s/reference-%u.rgb", tmp_dir, jobs->n++);
    g_string_append_printf(jobs->lines, "%s--decoded\t%s\t%s\n",
                           exif_transpose ? "--exif-transpose\t" : "", image_path, out);
    return out;
}

void reference_jobs_run(ReferenceJobs *jobs)
{
    g_autofree char *script = reference_script();
    g_autofree char *jobs_path = tmp_path("reference-jobs.txt");
    write_file(jobs_path, jobs->lines->str, jobs->lines->len);
    const char *argv[] = {reference_python(), script, "--jobs", jobs_path, NULL};

    g_autoptr(GError) error = NULL;
    g_autofree char *err_text = NULL;
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                      &err_text, &status, &error))
        g_error("cannot run %s: %s", script, error->message);
    if (!g_spawn_check_wait_status(status, &error))
        g_error("%s failed: %s\n%s", script, error->message, err_text);
}

static float *reference_read_tensor(const char *out, uint32_t size)
{
    g_autoptr(GError) error = NULL;
    char *data = NULL;
    gsize length = 0;
    if (!g_file_get_contents(out, &data, &length, &error))
        g_error("%s", error->message);
    g_assert_cmpuint(length, ==, (gsize)3 * size * size * sizeof(float));
    return (float *)data;
}

static ClipRgbImage *reference_read_decode(const char *out)
{
    g_autoptr(GError) error = NULL;
    g_autofree uint8_t *data = NULL;
    gsize length = 0;
    if (!g_file_get_contents(out, (char **)&data, &length, &error))
        g_error("%s", error->message);
    g_assert_cmpuint(length, >=, 8);
    ClipRgbImage *image = g_new(ClipRgbImage, 1);
    image->width = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                   (uint32_t)data[3] << 24;
    image->height = (uint32_t)data[4] | (uint32_t)data[5] << 8 | (uint32_t)data[6] << 16 |
                    (uint32_t)data[7] << 24;
    g_assert_cmpuint(length, ==, 8 + (gsize)image->width * image->height * 3);
    image->rgb = g_memdup2(data + 8, length - 8);
    return image;
}

/* Largest per-sample difference of two decodes of the same file. */
static int max_pixel_difference(const ClipRgbImage *a, const ClipRgbImage *b)
{
    g_assert_cmpuint(a->width, ==, b->width);
    g_assert_cmpuint(a->height, ==, b->height);
    int worst = 0;
    for (size_t i = 0; i < (size_t)a->width * a->height * 3; i++)
        worst = MAX(worst, abs((int)a->rgb[i] - (int)b->rgb[i]));
    return worst;
}

/* Checks our decode of `path` against PIL's in reference_out: identical. */
void compare_decode(const char *path, const char *reference_out)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipRgbImage) ours = load_png_or_jpeg(path, 0, &error);
    g_assert_no_error(error);
    g_autoptr(ClipRgbImage) pil = reference_read_decode(reference_out);
    int diff = max_pixel_difference(ours, pil);
    g_autofree char *base = g_path_get_basename(path);
    g_test_message("%s: decode max |ours − PIL| %d levels", base, diff);
    g_assert_cmpint(diff, ==, 0);
}

/* Preprocesses `path` with ours and checks it against PIL's in reference_out. */
void compare_preprocess(const char *path, uint32_t size, const char *reference_out,
                        double max_allowed, double mean_allowed)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipRgbImage) image = load_png_or_jpeg(path, 0, &error);
    g_assert_no_error(error);

    size_t n = (size_t)3 * size * size;
    g_autofree float *ours = g_new(float, n);
    g_autoptr(GTimer) timer = g_timer_new();
    clip_preprocess(image, size, clip_mean, clip_std, ours);
    double seconds = g_timer_elapsed(timer, NULL);
    g_autofree float *reference = reference_read_tensor(reference_out, size);

    double max_diff = 0.0, sum_diff = 0.0;
    size_t n_different = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)ours[i] - reference[i]);
        max_diff = MAX(max_diff, d);
        sum_diff += d;
        n_different += d > 0.0;
    }
    g_autofree char *base = g_path_get_basename(path);
    g_test_message("%s (%u×%u → %u): max |ours − PIL| %.3g, mean %.3g, %zu of %zu values differ; "
                   "preprocess %.1f ms",
                   base, image->width, image->height, size, max_diff, sum_diff / n, n_different, n,
                   seconds * 1e3);
    g_assert_cmpfloat(max_diff, <=, max_allowed);
    g_assert_cmpfloat(sum_diff / n, <=, mean_allowed);
}

/* Runs the queued decodes and compares them with ours; without PIL, says so. */
void compare_decodes_if_possible(ReferenceJobs *jobs, GPtrArray *paths, GPtrArray *outs)
{
    if (reference_python() == NULL) {
        g_test_message("decodes not compared with PIL's: no python3 with PIL and numpy");
        return;
    }
    reference_jobs_run(jobs);
    for (guint i = 0; i < paths->len; i++)
        compare_decode(paths->pdata[i], outs->pdata[i]);
}

/* Tests: PIL reference */

static void test_reference_fixtures(void)
{
    g_autofree char *dir = test_fixture_path("tiny-f32/images");
    if (dir == NULL)
        return;
    if (!reference_available())
        return;

    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) listing = g_dir_open(dir, 0, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    for (const char *name; (name = g_dir_read_name(listing)) != NULL;)
        g_ptr_array_add(paths, g_build_filename(dir, name, NULL));
    g_assert_cmpuint(paths->len, >, 0);

    g_autoptr(ReferenceJobs) jobs = reference_jobs_new();
    g_autoptr(GPtrArray) decoded = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) preprocessed = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < paths->len; i++) {
        g_ptr_array_add(decoded, reference_jobs_decode(jobs, paths->pdata[i], FALSE));
        g_ptr_array_add(preprocessed,
                        reference_jobs_preprocess(jobs, paths->pdata[i], FIXTURE_SIZE, FALSE));
    }
    reference_jobs_run(jobs);

    for (guint i = 0; i < paths->len; i++) {
        const char *path = paths->pdata[i];
        g_autofree char *name = g_path_get_basename(path);
        compare_decode(path, decoded->pdata[i]);
        if (g_str_has_prefix(name, "exact-") || g_str_has_prefix(name, "gray-exact")) {
            g_autoptr(ClipRgbImage) image = load_png_or_jpeg(path, 0, &error);
            g_assert_no_error(error);
            g_assert_cmpuint(image->width, ==, FIXTURE_SIZE);
            g_assert_cmpuint(image->height, ==, FIXTURE_SIZE);
            compare_preprocess(path, FIXTURE_SIZE, preprocessed->pdata[i], EXACT_MAX_DIFF,
                               EXACT_MAX_DIFF);
        } else {
            compare_preprocess(path, FIXTURE_SIZE, preprocessed->pdata[i], RESIZED_MAX_DIFF,
                               RESIZED_MEAN_DIFF);
        }
    }
}

typedef struct {
    const char *name;
    uint32_t width, height, size;
    gboolean jpeg;
} GeneratedCase;

static void test_reference_generated(void)
{
    if (!reference_available())
        return;
    static const GeneratedCase cases[] = {
        {"landscape-640x480.png", 640, 480, 224, FALSE},
        {"portrait-300x500.jpg", 300, 500, 224, TRUE},
        {"camera-4032x3024.jpg", 4032, 3024, 224, TRUE},
        {"square-500x500.jpg", 500, 500, 336, TRUE},
        /* int(64 * 300 / 65) = 295: crop offset round(115.5) = 116, half to even. */
        {"tall-65x300.png", 65, 300, 64, FALSE},
        /* offset round(0.5) = 0 and round(1.5) = 2; no resize at all. */
        {"wide-225x224.png", 225, 224, 224, FALSE},
        {"wide-227x224.png", 227, 224, 224, FALSE},
        {"upscale-97x65.png", 97, 65, 64, FALSE},
        {"strip-1000x3.png", 1000, 3, 64, FALSE},
        {"exact-224x224.png", 224, 224, 224, FALSE},
    };
    char *paths[G_N_ELEMENTS(cases)], *outs[G_N_ELEMENTS(cases)];
    g_autoptr(ReferenceJobs) jobs = reference_jobs_new();
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const GeneratedCase *c = &cases[i];
        g_autofree uint8_t *rgb = make_photo(c->width, c->height, (uint32_t)i + 1);
        g_autoptr(GBytes) bytes = NULL;
        if (c->jpeg) {
            TestJpegSpec spec = {.width = c->width,
                                 .height = c->height,
                                 .color_space = JCS_RGB,
                                 .samples = rgb,
                                 .quality = 90};
            bytes = test_jpeg_encode(&spec);
        } else {
            PngSpec spec = {.width = c->width,
                            .height = c->height,
                            .color_type = PNG_COLOR_TYPE_RGB,
                            .bit_depth = 8,
                            .samples = rgb};
            bytes = encode_png(&spec);
        }
        paths[i] = save_bytes(c->name, bytes);
        outs[i] = reference_jobs_preprocess(jobs, paths[i], c->size, FALSE);
    }
    reference_jobs_run(jobs);

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const GeneratedCase *c = &cases[i];
        gboolean exact = c->width == c->size && c->height == c->size;
        compare_preprocess(paths[i], c->size, outs[i], exact ? EXACT_MAX_DIFF : RESIZED_MAX_DIFF,
                           exact ? EXACT_MAX_DIFF : RESIZED_MEAN_DIFF);
        g_free(paths[i]);
        g_free(outs[i]);
    }
}

/* Tests: preprocessing without the reference */

/* Bicubic weights sum to one, so a flat image stays flat at any scale. */

void test_image_reference_add(void)
{
    g_test_add_func("/clip/image/reference/fixtures", test_reference_fixtures);
    g_test_add_func("/clip/image/reference/generated", test_reference_generated);
}
