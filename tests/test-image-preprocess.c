/* test-image-preprocess.c: decoding and CLIP preprocessing against PIL's, error handling. */
#include "clip/clip-image.h"
#include "clip/clip-model.h"
#include "library/library-decode-private.h"
#include "test-common.h"
#include "test-images.h"

#include <glib/gstdio.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <libexif/exif-data.h>
#include <png.h>

/* The PNG and JPEG decoders under test (src/library/library-decode-png.c,
 * -jpeg.c), reached as library_decode_photo() reaches them but without the
 * other formats, so that a file of another kind is "not a PNG or JPEG file". */
static ClipRgbImage *decode_png_or_jpeg_at_least(const void *data, size_t size, const char *name,
                                                 uint32_t min_short_side, GError **error)
{
    LibraryDecodeDetails details;
    ClipRgbImage *image =
        library_decode_png_or_jpeg(data, size, name, min_short_side, &details, error);
    library_decode_details_clear(&details);
    return image;
}

static ClipRgbImage *decode_png_or_jpeg(const void *data, size_t size, const char *name,
                                        GError **error)
{
    return decode_png_or_jpeg_at_least(data, size, name, 0, error);
}

static ClipRgbImage *load_png_or_jpeg(const char *path, uint32_t min_short_side, GError **error)
{
    size_t size = 0;
    g_autofree uint8_t *data = library_decode_file_read(path, &size, error);
    if (data == NULL)
        return NULL;
    return decode_png_or_jpeg_at_least(data, size, path, min_short_side, error);
}

static const float clip_mean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
static const float clip_std[3] = {0.26862954f, 0.26130258f, 0.27577711f};

/* The fixtures' model input size (tiny-f32/hf/preprocessor_config.json). */
#define FIXTURE_SIZE 64

/* Exact-size images only go through /255 and the normalisation. */
#define EXACT_MAX_DIFF 1e-6
/* Resized images: one 8-bit step is 1/255/std ≈ 0.015 in normalised units. */
#define RESIZED_MAX_DIFF  0.02
#define RESIZED_MEAN_DIFF 0.002

static char *tmp_dir;

static char *tmp_path(const char *name)
{
    return g_build_filename(tmp_dir, name, NULL);
}

static void write_file(const char *path, const void *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    if (!g_file_set_contents(path, data, (gssize)size, &error))
        g_error("%s", error->message);
}

/* Pixel content */

/* Photo-like RGB: smooth gradients, sharp edges, fine stripes and noise, so
 * that resampling has something to get wrong. */
static uint8_t *make_photo(uint32_t width, uint32_t height, uint32_t seed)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
    uint8_t *rgb = g_malloc((size_t)width * height * 3);
    for (uint32_t y = 0; y < height; y++) {
        for (uint32_t x = 0; x < width; x++) {
            double u = (double)x / width, v = (double)y / height;
            double base[3] = {
                128 + 100 * sin(6.0 * u + seed),
                128 + 90 * cos(5.0 * v + 0.5 * seed),
                128 + 80 * sin(4.0 * (u + v)),
            };
            gboolean edge = (u - 0.5) * (u - 0.5) + (v - 0.4) * (v - 0.4) < 0.04;
            gboolean stripes = v > 0.75 && (x / 2) % 2 == 0;
            for (int c = 0; c < 3; c++) {
                double value = base[c] + (edge ? 60 : 0) - (stripes ? 70 : 0) +
                               g_rand_double_range(rand, -12, 12);
                rgb[((size_t)y * width + x) * 3 + c] = (uint8_t)CLAMP(lround(value), 0, 255);
            }
        }
    }
    return rgb;
}

/* PNG and JPEG writers */

typedef struct {
    uint32_t width, height;
    int color_type, bit_depth;
    gboolean interlaced;
    const uint8_t *samples; /* PNG row layout, rows packed */
    const png_color *palette;
    int n_palette;
    const uint8_t *palette_alpha; /* tRNS for a palette */
    int n_palette_alpha;
    const png_color_16 *trans_color; /* tRNS for grey or RGB */
    GBytes *exif;                    /* with "Exif\0\0", which eXIf leaves out */
} PngSpec;

static void png_write_callback(png_structp png, png_bytep data, size_t length)
{
    g_byte_array_append(png_get_io_ptr(png), data, (guint)length);
}

static void png_flush_callback(G_GNUC_UNUSED png_structp png)
{
}

static size_t png_row_bytes(const PngSpec *spec)
{
    int channels = spec->color_type == PNG_COLOR_TYPE_GRAY         ? 1
                   : spec->color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                   : spec->color_type == PNG_COLOR_TYPE_RGB        ? 3
                   : spec->color_type == PNG_COLOR_TYPE_RGBA       ? 4
                                                                   : 1;
    return ((size_t)spec->width * channels * spec->bit_depth + 7) / 8;
}

static GBytes *encode_png(const PngSpec *spec)
{
    GByteArray *out = g_byte_array_new();
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    g_assert_nonnull(info);
    if (setjmp(png_jmpbuf(png)))
        g_error("libpng failed to write a test image");
    png_set_write_fn(png, out, png_write_callback, png_flush_callback);
    png_set_IHDR(png, info, spec->width, spec->height, spec->bit_depth, spec->color_type,
                 spec->interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (spec->palette != NULL)
        png_set_PLTE(png, info, spec->palette, spec->n_palette);
    if (spec->palette_alpha != NULL || spec->trans_color != NULL)
        png_set_tRNS(png, info, spec->palette_alpha, spec->n_palette_alpha, spec->trans_color);
    if (spec->exif != NULL) {
        gsize size = 0;
        const uint8_t *data = g_bytes_get_data(spec->exif, &size);
        png_set_eXIf_1(png, info, (png_uint_32)(size - 6), (png_bytep)data + 6);
    }
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    size_t row_bytes = png_row_bytes(spec);
    for (int pass = 0; pass < passes; pass++)
        for (uint32_t y = 0; y < spec->height; y++)
            png_write_row(png, spec->samples + y * row_bytes);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return g_byte_array_free_to_bytes(out);
}

static char *save_bytes(const char *name, GBytes *bytes)
{
    char *path = tmp_path(name);
    gsize size = 0;
    const void *data = g_bytes_get_data(bytes, &size);
    write_file(path, data, size);
    return path;
}

/* The PIL reference */

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
static gboolean reference_available(void)
{
    if (reference_python() != NULL)
        return TRUE;
    g_autofree char *script = reference_script();
    g_autofree char *why = g_strdup_printf(
        "no python3 with PIL and numpy (python3-pil, python3-numpy) to run %s", script);
    g_test_skip(why);
    return FALSE;
}

/* Requests for one run of the script, one line of tab-separated arguments
 * each: Python and numpy start slowly, so each test starts them once. */
typedef struct {
    GString *lines;
    guint n;
} ReferenceJobs;

static ReferenceJobs *reference_jobs_new(void)
{
    ReferenceJobs *jobs = g_new0(ReferenceJobs, 1);
    jobs->lines = g_string_new(NULL);
    return jobs;
}

static void reference_jobs_free(ReferenceJobs *jobs)
{
    g_string_free(jobs->lines, TRUE);
    g_free(jobs);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ReferenceJobs, reference_jobs_free)

/* Asks for PIL's preprocessing of image_path; returns the file it will write:
 * (3, size, size) float32. */
static char *reference_jobs_preprocess(ReferenceJobs *jobs, const char *image_path, uint32_t size,
                                       gboolean exif_transpose)
{
    char *out = g_strdup_printf("%s/reference-%u.f32", tmp_dir, jobs->n++);
    g_string_append_printf(jobs->lines, "%s%s\t%u\t%s\n",
                           exif_transpose ? "--exif-transpose\t" : "", image_path, size, out);
    return out;
}

/* Asks for PIL's decode and convert("RGB"); returns the file it will write. */
static char *reference_jobs_decode(ReferenceJobs *jobs, const char *image_path,
                                   gboolean exif_transpose)
{
    char *out = g_strdup_printf("%s/reference-%u.rgb", tmp_dir, jobs->n++);
    g_string_append_printf(jobs->lines, "%s--decoded\t%s\t%s\n",
                           exif_transpose ? "--exif-transpose\t" : "", image_path, out);
    return out;
}

static void reference_jobs_run(ReferenceJobs *jobs)
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
static void compare_decode(const char *path, const char *reference_out)
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
static void compare_preprocess(const char *path, uint32_t size, const char *reference_out,
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
static void compare_decodes_if_possible(ReferenceJobs *jobs, GPtrArray *paths, GPtrArray *outs)
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
static void test_preprocess_constant(void)
{
    static const uint32_t shapes[][3] = {
        {640, 480, 224}, {31, 90, 64}, {7, 5, 64}, {224, 224, 224}};
    for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
        ClipRgbImage image = {shapes[s][0], shapes[s][1], NULL};
        uint32_t size = shapes[s][2];
        image.rgb = g_malloc((size_t)image.width * image.height * 3);
        for (size_t i = 0; i < (size_t)image.width * image.height; i++) {
            image.rgb[3 * i + 0] = 200;
            image.rgb[3 * i + 1] = 17;
            image.rgb[3 * i + 2] = 99;
        }
        g_autofree float *out = g_new(float, (size_t)3 * size * size);
        clip_preprocess(&image, size, clip_mean, clip_std, out);
        const uint8_t value[3] = {200, 17, 99};
        for (int c = 0; c < 3; c++) {
            float expected = ((float)value[c] / 255.0f - clip_mean[c]) / clip_std[c];
            for (size_t i = 0; i < (size_t)size * size; i++)
                g_assert_cmpfloat(out[(size_t)c * size * size + i], ==, expected);
        }
        g_free(image.rgb);
    }
}

/* Tests: PNG colour types */

typedef struct {
    const char *name;
    PngSpec spec;
    uint8_t *expected; /* (height, width, 3) */
    gboolean pil_differs;
} PngCase;

static void png_case_free(PngCase *c)
{
    g_free((void *)c->spec.samples);
    g_free(c->expected);
}

/* Fills a case from a function of (x, y, channel) giving the sample, and the
 * expected RGB from the samples. */
static void png_case_fill(PngCase *c)
{
    PngSpec *spec = &c->spec;
    uint32_t w = spec->width, h = spec->height;
    size_t row_bytes = png_row_bytes(spec);
    uint8_t *samples = g_malloc0(row_bytes * h);
    c->expected = g_malloc((size_t)w * h * 3);
    int depth = spec->bit_depth;
    int channels = (int)(row_bytes * 8 / depth / w);
    unsigned max = (1u << depth) - 1;

    for (uint32_t y = 0; y < h; y++) {
        uint8_t *row = samples + y * row_bytes;
        for (uint32_t x = 0; x < w; x++) {
            unsigned value[4] = {0};
            for (int ch = 0; ch < channels; ch++) {
                value[ch] = (x * 2654435761u + y * 40503u * (ch + 1) + ch * 977u) >> 7 & max;
                size_t at = (size_t)x * channels + ch;
                if (depth == 16) {
                    row[2 * at] = (uint8_t)(value[ch] >> 8);
                    row[2 * at + 1] = (uint8_t)(value[ch] & 255);
                } else if (depth == 8) {
                    row[at] = (uint8_t)value[ch];
                } else {
                    size_t bit = at * depth;
                    row[bit / 8] |= (uint8_t)(value[ch] << (8 - depth - bit % 8));
                }
            }
            uint8_t *rgb = c->expected + ((size_t)y * w + x) * 3;
            switch (spec->color_type) {
            case PNG_COLOR_TYPE_PALETTE:
                rgb[0] = spec->palette[value[0]].red;
                rgb[1] = spec->palette[value[0]].green;
                rgb[2] = spec->palette[value[0]].blue;
                break;
            case PNG_COLOR_TYPE_GRAY:
            case PNG_COLOR_TYPE_GRAY_ALPHA: {
                uint8_t g = depth == 16 ? value[0] >> 8 : (uint8_t)(value[0] * 255 / max);
                rgb[0] = rgb[1] = rgb[2] = g;
                break;
            }
            default:
                for (int ch = 0; ch < 3; ch++)
                    rgb[ch] = depth == 16 ? value[ch] >> 8 : (uint8_t)value[ch];
                break;
            }
        }
    }
    spec->samples = samples;
}

static void test_png_formats(void)
{
    png_color palette[256];
    for (int i = 0; i < 256; i++)
        palette[i] = (png_color){(png_byte)(i * 7), (png_byte)(255 - i), (png_byte)(i * 13 + 5)};
    uint8_t palette_alpha[16];
    for (int i = 0; i < 16; i++)
        palette_alpha[i] = (uint8_t)(i * 17);
    png_color_16 grey_key = {.gray = 3}, rgb_key = {.red = 10, .green = 20, .blue = 30};

    PngCase cases[] = {
        {.name = "grey-8.png",
         .spec = {.width = 37, .height = 23, .color_type = PNG_COLOR_TYPE_GRAY, .bit_depth = 8}},
        {.name = "grey-1.png",
         .spec = {.width = 19, .height = 7, .color_type = PNG_COLOR_TYPE_GRAY, .bit_depth = 1}},
        {.name = "grey-2.png",
         .spec = {.width = 19, .height = 7, .color_type = PNG_COLOR_TYPE_GRAY, .bit_depth = 2}},
        {.name = "grey-4.png",
         .spec = {.width = 19, .height = 7, .color_type = PNG_COLOR_TYPE_GRAY, .bit_depth = 4}},
        /* PIL opens 16-bit grey as mode I and clips it to 255 in convert("RGB"). */
        {.name = "grey-16.png",
         .spec = {.width = 21, .height = 9, .color_type = PNG_COLOR_TYPE_GRAY, .bit_depth = 16},
         .pil_differs = TRUE},
        {.name = "grey-tRNS.png",
         .spec = {.width = 21,
                  .height = 9,
                  .color_type = PNG_COLOR_TYPE_GRAY,
                  .bit_depth = 8,
                  .trans_color = &grey_key}},
        {.name = "grey-alpha-8.png",
         .spec =
             {.width = 21, .height = 9, .color_type = PNG_COLOR_TYPE_GRAY_ALPHA, .bit_depth = 8}},
        {.name = "grey-alpha-16.png",
         .spec =
             {.width = 21, .height = 9, .color_type = PNG_COLOR_TYPE_GRAY_ALPHA, .bit_depth = 16}},
        {.name = "rgb-16.png",
         .spec = {.width = 21, .height = 9, .color_type = PNG_COLOR_TYPE_RGB, .bit_depth = 16}},
        {.name = "rgb-tRNS.png",
         .spec = {.width = 21,
                  .height = 9,
                  .color_type = PNG_COLOR_TYPE_RGB,
                  .bit_depth = 8,
                  .trans_color = &rgb_key}},
        {.name = "rgba-8.png",
         .spec = {.width = 33, .height = 17, .color_type = PNG_COLOR_TYPE_RGBA, .bit_depth = 8}},
        {.name = "rgba-16.png",
         .spec = {.width = 33, .height = 17, .color_type = PNG_COLOR_TYPE_RGBA, .bit_depth = 16}},
        {.name = "palette-8.png",
         .spec = {.width = 33,
                  .height = 17,
                  .color_type = PNG_COLOR_TYPE_PALETTE,
                  .bit_depth = 8,
                  .palette = palette,
                  .n_palette = 256}},
        {.name = "palette-4-tRNS.png",
         .spec = {.width = 33,
                  .height = 17,
                  .color_type = PNG_COLOR_TYPE_PALETTE,
                  .bit_depth = 4,
                  .palette = palette,
                  .n_palette = 16,
                  .palette_alpha = palette_alpha,
                  .n_palette_alpha = 16}},
        {.name = "palette-1.png",
         .spec = {.width = 13,
                  .height = 5,
                  .color_type = PNG_COLOR_TYPE_PALETTE,
                  .bit_depth = 1,
                  .palette = palette,
                  .n_palette = 2}},
        {.name = "rgb-interlaced.png",
         .spec = {.width = 45,
                  .height = 31,
                  .color_type = PNG_COLOR_TYPE_RGB,
                  .bit_depth = 8,
                  .interlaced = TRUE}},
        {.name = "grey-alpha-interlaced.png",
         .spec = {.width = 45,
                  .height = 31,
                  .color_type = PNG_COLOR_TYPE_GRAY_ALPHA,
                  .bit_depth = 8,
                  .interlaced = TRUE}},
    };
    g_autoptr(ReferenceJobs) jobs = reference_jobs_new();
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) outs = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        PngCase *c = &cases[i];
        png_case_fill(c);
        g_autoptr(GBytes) bytes = encode_png(&c->spec);
        char *path = save_bytes(c->name, bytes);

        g_autoptr(GError) error = NULL;
        g_autoptr(ClipRgbImage) image = load_png_or_jpeg(path, 0, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(image->width, ==, c->spec.width);
        g_assert_cmpuint(image->height, ==, c->spec.height);
        g_assert_cmpmem(image->rgb, (size_t)image->width * image->height * 3, c->expected,
                        (size_t)c->spec.width * c->spec.height * 3);

        if (!c->pil_differs) {
            g_ptr_array_add(outs, reference_jobs_decode(jobs, path, FALSE));
            g_ptr_array_add(paths, path);
        } else {
            g_free(path);
        }
        png_case_free(c);
    }
    compare_decodes_if_possible(jobs, paths, outs);
}

/* Tests: JPEG colour spaces */

static void test_jpeg_formats(void)
{
    const uint32_t w = 61, h = 43;
    g_autofree uint8_t *rgb = make_photo(w, h, 7);
    g_autofree uint8_t *grey = g_malloc((size_t)w * h);
    g_autofree uint8_t *cmyk = g_malloc((size_t)w * h * 4);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        grey[i] = rgb[3 * i + 1];
        for (int c = 0; c < 4; c++)
            cmyk[4 * i + c] = rgb[3 * i + c % 3] ^ (uint8_t)(c * 40);
    }
    const struct {
        const char *name;
        TestJpegSpec spec;
    } cases[] = {
        {"rgb-420.jpg",
         {.width = w, .height = h, .color_space = JCS_RGB, .samples = rgb, .quality = 85}},
        {"rgb-444.jpg",
         {.width = w,
          .height = h,
          .color_space = JCS_RGB,
          .samples = rgb,
          .quality = 95,
          .full_chroma = TRUE}},
        {"rgb-progressive.jpg",
         {.width = w,
          .height = h,
          .color_space = JCS_RGB,
          .samples = rgb,
          .quality = 85,
          .progressive = TRUE}},
        {"grey.jpg",
         {.width = w, .height = h, .color_space = JCS_GRAYSCALE, .samples = grey, .quality = 90}},
        {"cmyk.jpg",
         {.width = w, .height = h, .color_space = JCS_CMYK, .samples = cmyk, .quality = 90}},
    };
    g_autoptr(ReferenceJobs) jobs = reference_jobs_new();
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) outs = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GBytes) bytes = test_jpeg_encode(&cases[i].spec);
        char *path = save_bytes(cases[i].name, bytes);
        g_ptr_array_add(paths, path);
        g_ptr_array_add(outs, reference_jobs_decode(jobs, path, FALSE));
        g_autoptr(GError) error = NULL;
        g_autoptr(ClipRgbImage) image = load_png_or_jpeg(path, 0, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(image->width, ==, w);
        g_assert_cmpuint(image->height, ==, h);

        if (cases[i].spec.color_space == JCS_GRAYSCALE) {
            for (size_t p = 0; p < (size_t)w * h; p++) {
                g_assert_cmpuint(image->rgb[3 * p], ==, image->rgb[3 * p + 1]);
                g_assert_cmpuint(image->rgb[3 * p], ==, image->rgb[3 * p + 2]);
            }
        }
        if (cases[i].spec.color_space == JCS_RGB) {
            /* Lossy, but close to what was written. */
            double sum = 0.0;
            for (size_t p = 0; p < (size_t)w * h * 3; p++)
                sum += abs((int)image->rgb[p] - (int)rgb[p]);
            g_assert_cmpfloat(sum / ((double)w * h * 3), <, 8.0);
        }
    }
    compare_decodes_if_possible(jobs, paths, outs);
}

/* Tests: EXIF orientation */

static void test_exif_jpeg(void)
{
    const uint32_t w = 48, h = 32;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(ReferenceJobs) jobs = reference_jobs_new();
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) decoded = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) preprocessed = g_ptr_array_new_with_free_func(g_free);
    for (int orientation = 1; orientation <= 8; orientation++) {
        /* Both byte orders that EXIF allows. */
        ExifByteOrder order = orientation % 2 ? EXIF_BYTE_ORDER_INTEL : EXIF_BYTE_ORDER_MOTOROLA;
        g_autoptr(GBytes) exif =
            test_exif_make(&(TestExifSpec){.order = order, .orientation = orientation});
        TestJpegSpec spec = {.width = w,
                             .height = h,
                             .color_space = JCS_RGB,
                             .samples = rgb,
                             .quality = 95,
                             .full_chroma = TRUE,
                             .exif = exif};
        g_autoptr(GBytes) bytes = test_jpeg_encode(&spec);
        g_autofree char *name = g_strdup_printf("orientation-%d.jpg", orientation);
        char *path = save_bytes(name, bytes);
        g_ptr_array_add(paths, path);
        g_ptr_array_add(decoded, reference_jobs_decode(jobs, path, TRUE));
        g_ptr_array_add(preprocessed, reference_jobs_preprocess(jobs, path, 24, TRUE));

        g_autoptr(GError) error = NULL;
        g_autoptr(ClipRgbImage) image = load_png_or_jpeg(path, 0, &error);
        g_assert_no_error(error);
        test_assert_quadrants(image, orientation, w, h, 8);
    }

    /* PIL's ImageOps.exif_transpose() agrees, before and after preprocessing. */
    if (!reference_available())
        return;
    reference_jobs_run(jobs);
    for (guint i = 0; i < paths->len; i++) {
        compare_decode(paths->pdata[i], decoded->pdata[i]);
        compare_preprocess(paths->pdata[i], 24, preprocessed->pdata[i], RESIZED_MAX_DIFF,
                           RESIZED_MEAN_DIFF);
    }
}

static void test_exif_png(void)
{
    const uint32_t w = 40, h = 26;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(ReferenceJobs) jobs = reference_jobs_new();
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) outs = g_ptr_array_new_with_free_func(g_free);
    for (int orientation = 1; orientation <= 8; orientation++) {
        g_autoptr(GBytes) exif = test_exif_make(
            &(TestExifSpec){.order = EXIF_BYTE_ORDER_INTEL, .orientation = orientation});
        PngSpec spec = {.width = w,
                        .height = h,
                        .color_type = PNG_COLOR_TYPE_RGB,
                        .bit_depth = 8,
                        .samples = rgb,
                        .exif = exif};
        g_autoptr(GBytes) bytes = encode_png(&spec);
        g_autofree char *name = g_strdup_printf("orientation-%d.png", orientation);
        char *path = save_bytes(name, bytes);
        g_ptr_array_add(paths, path);
        g_ptr_array_add(outs, reference_jobs_decode(jobs, path, TRUE));

        g_autoptr(GError) error = NULL;
        g_autoptr(ClipRgbImage) image = load_png_or_jpeg(path, 0, &error);
        g_assert_no_error(error);
        test_assert_quadrants(image, orientation, w, h, 0);
    }
    compare_decodes_if_possible(jobs, paths, outs);
}

/* Tests: JPEG DCT scaling */

static void test_jpeg_dct_scale(void)
{
    g_autofree uint8_t *rgb = make_photo(640, 480, 3);
    TestJpegSpec spec = {
        .width = 640, .height = 480, .color_space = JCS_RGB, .samples = rgb, .quality = 90};
    g_autoptr(GBytes) bytes = test_jpeg_encode(&spec);
    g_autofree char *path = save_bytes("scaled.jpg", bytes);
    g_autoptr(GBytes) exif =
        test_exif_make(&(TestExifSpec){.order = EXIF_BYTE_ORDER_INTEL, .orientation = 6});
    TestJpegSpec turned_spec = {.width = 640,
                                .height = 480,
                                .color_space = JCS_RGB,
                                .samples = rgb,
                                .quality = 90,
                                .exif = exif};
    g_autoptr(GBytes) turned_bytes = test_jpeg_encode(&turned_spec);
    g_autofree char *turned = save_bytes("scaled-turned.jpg", turned_bytes);

    /* min short side → expected size: the smallest n/8 scale that keeps it. */
    static const uint32_t cases[][3] = {
        {0, 640, 480},   {1, 80, 60},     {60, 80, 60},    {61, 160, 120},  {100, 160, 120},
        {224, 320, 240}, {240, 320, 240}, {241, 400, 300}, {480, 640, 480}, {5000, 640, 480},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(ClipRgbImage) image = load_png_or_jpeg(path, cases[i][0], &error);
        g_assert_no_error(error);
        g_assert_cmpuint(image->width, ==, cases[i][1]);
        g_assert_cmpuint(image->height, ==, cases[i][2]);

        g_autoptr(ClipRgbImage) turned_image = load_png_or_jpeg(turned, cases[i][0], &error);
        g_assert_no_error(error);
        g_assert_cmpuint(turned_image->width, ==, cases[i][2]);
        g_assert_cmpuint(turned_image->height, ==, cases[i][1]);
    }

    /* A scaled decode is close to the full one after preprocessing. */
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipRgbImage) full = load_png_or_jpeg(path, 0, &error);
    g_assert_no_error(error);
    g_autoptr(ClipRgbImage) scaled = load_png_or_jpeg(path, 224, &error);
    g_assert_no_error(error);
    size_t n = 3 * 224 * 224;
    g_autofree float *a = g_new(float, n);
    g_autofree float *b = g_new(float, n);
    clip_preprocess(full, 224, clip_mean, clip_std, a);
    clip_preprocess(scaled, 224, clip_mean, clip_std, b);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += fabs((double)a[i] - b[i]);
    g_test_message("DCT-scaled 320×240 vs full 640×480 decode: mean |Δ| %.4f", sum / n);
    g_assert_cmpfloat(sum / n, <, 0.1);

    /* PNG has no scaled decode: full size. */
    PngSpec png_spec = {.width = 640,
                        .height = 480,
                        .color_type = PNG_COLOR_TYPE_RGB,
                        .bit_depth = 8,
                        .samples = rgb};
    g_autoptr(GBytes) png_bytes = encode_png(&png_spec);
    g_autofree char *png_path = save_bytes("scaled.png", png_bytes);
    g_autoptr(ClipRgbImage) png = load_png_or_jpeg(png_path, 100, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(png->width, ==, 640);
}

/* Tests: errors */

/* Loads `path`, expects an error of `code` whose one-line message names the
 * file and contains `reason`. */
static void assert_load_fails(const char *path, ClipError code, const char *reason)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipRgbImage) image = load_png_or_jpeg(path, 0, &error);
    g_assert_null(image);
    g_assert_error(error, CLIP_ERROR, (gint)code);
    g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, path));
    g_assert_nonnull(strstr(error->message, reason));
    g_assert_null(strchr(error->message, '\n'));
}

static char *save_data(const char *name, const void *data, size_t size)
{
    char *path = tmp_path(name);
    write_file(path, data, size);
    return path;
}

static GBytes *small_jpeg(gboolean progressive)
{
    g_autofree uint8_t *rgb = make_photo(64, 48, 11);
    TestJpegSpec spec = {.width = 64,
                         .height = 48,
                         .color_space = JCS_RGB,
                         .samples = rgb,
                         .quality = 90,
                         .progressive = progressive};
    return test_jpeg_encode(&spec);
}

static GBytes *small_png(void)
{
    g_autofree uint8_t *rgb = make_photo(64, 48, 12);
    PngSpec spec = {.width = 64,
                    .height = 48,
                    .color_type = PNG_COLOR_TYPE_RGB,
                    .bit_depth = 8,
                    .samples = rgb};
    return encode_png(&spec);
}

/* A valid PNG whose IHDR claims width × height. */
static char *png_claiming(const char *name, uint32_t width, uint32_t height)
{
    g_autoptr(GBytes) bytes = small_png();
    gsize size = 0;
    g_autofree uint8_t *data = g_memdup2(g_bytes_get_data(bytes, &size), g_bytes_get_size(bytes));
    test_put_be32(data + 16, width);
    test_put_be32(data + 20, height);
    test_put_be32(data + 29, test_png_crc(data + 12, 17));
    return save_data(name, data, size);
}

/* A JPEG whose SOF claims width × height. */
static char *jpeg_claiming(const char *name, uint16_t width, uint16_t height)
{
    g_autoptr(GBytes) bytes = small_jpeg(FALSE);
    gsize size = 0;
    g_autofree uint8_t *data = g_memdup2(g_bytes_get_data(bytes, &size), g_bytes_get_size(bytes));
    for (size_t i = 2; i + 9 < size; i++) {
        if (data[i] == 0xff && data[i + 1] == 0xc0) {
            data[i + 5] = height >> 8, data[i + 6] = height & 255;
            data[i + 7] = width >> 8, data[i + 8] = width & 255;
            return save_data(name, data, size);
        }
    }
    g_assert_not_reached();
}

static void test_error_missing(void)
{
    g_autofree char *path = tmp_path("does-not-exist.jpg");
    assert_load_fails(path, CLIP_ERROR_IO, "No such file");
    assert_load_fails(tmp_dir, CLIP_ERROR_IO, "not a regular file");
}

static void test_error_empty(void)
{
    g_autofree char *path = save_data("empty.jpg", "", 0);
    assert_load_fails(path, CLIP_ERROR_MALFORMED, "empty file");
}

static void test_error_not_an_image(void)
{
    const char *text = "This is not a photo, just text in a file named .jpg\n";
    g_autofree char *path = save_data("text.jpg", text, strlen(text));
    assert_load_fails(path, CLIP_ERROR_MALFORMED, "not a PNG or JPEG file");
    g_autofree char *tiny = save_data("two-bytes.png", "\x89P", 2);
    assert_load_fails(tiny, CLIP_ERROR_MALFORMED, "not a PNG or JPEG file");
}

static void test_error_truncated_jpeg(void)
{
    for (int progressive = 0; progressive <= 1; progressive++) {
        g_autoptr(GBytes) bytes = small_jpeg(progressive);
        gsize size = 0;
        const uint8_t *data = g_bytes_get_data(bytes, &size);
        /* Cut in the entropy-coded data, in the headers, and right after SOI. */
        const size_t cuts[] = {size / 2, size - 2, 200, 40, 3};
        for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
            g_autofree char *name = g_strdup_printf("truncated-%d-%zu.jpg", progressive, cuts[i]);
            g_autofree char *path = save_data(name, data, cuts[i]);
            assert_load_fails(path, CLIP_ERROR_MALFORMED, "JPEG");
        }
        g_autofree char *name = g_strdup_printf("truncated-%d.jpg", progressive);
        g_autofree char *path = save_data(name, data, size / 2);
        assert_load_fails(path, CLIP_ERROR_MALFORMED, "truncated JPEG data");
    }
}

static void test_error_corrupt_jpeg(void)
{
    g_autoptr(GBytes) bytes = small_jpeg(FALSE);
    gsize size = 0;
    g_autofree uint8_t *data = g_memdup2(g_bytes_get_data(bytes, &size), g_bytes_get_size(bytes));
    /* A restart marker in the middle of the scan, where none belongs. */
    data[size / 2] = 0xff;
    data[size / 2 + 1] = 0xd3;
    g_autofree char *path = save_data("corrupt.jpg", data, size);
    assert_load_fails(path, CLIP_ERROR_MALFORMED, "invalid JPEG data");
}

static void test_error_truncated_png(void)
{
    g_autoptr(GBytes) bytes = small_png();
    gsize size = 0;
    const uint8_t *data = g_bytes_get_data(bytes, &size);
    const size_t cuts[] = {size / 2, 40, 20, 8};
    for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
        g_autofree char *name = g_strdup_printf("truncated-%zu.png", cuts[i]);
        g_autofree char *path = save_data(name, data, cuts[i]);
        assert_load_fails(path, CLIP_ERROR_MALFORMED, "truncated PNG data");
    }
    /* Only IEND missing: the pixels are whole, the image loads. */
    g_autofree char *path = save_data("no-iend.png", data, size - 12);
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipRgbImage) image = load_png_or_jpeg(path, 0, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(image->width, ==, 64);
}

static void test_error_corrupt_png(void)
{
    g_autoptr(GBytes) bytes = small_png();
    gsize size = 0;
    g_autofree uint8_t *data = g_memdup2(g_bytes_get_data(bytes, &size), g_bytes_get_size(bytes));
    data[size / 2] ^= 0x55; /* inside IDAT: its CRC no longer matches */
    g_autofree char *path = save_data("corrupt.png", data, size);
    assert_load_fails(path, CLIP_ERROR_MALFORMED, "invalid PNG data");
}

static void test_error_too_large(void)
{
    g_autofree char *huge = png_claiming("huge.png", 100000, 100000);
    assert_load_fails(huge, CLIP_ERROR_MALFORMED, "too large");
    /* Each side allowed, the pixel count not. */
    g_autofree char *many = png_claiming("many-pixels.png", 20000, 20000);
    assert_load_fails(many, CLIP_ERROR_MALFORMED, "too large");
    g_autofree char *jpeg = jpeg_claiming("huge.jpg", 60000, 60000);
    assert_load_fails(jpeg, CLIP_ERROR_MALFORMED, "too large");
    /* Within limits but far more than the data holds: truncated, not a crash. */
    g_autofree char *lying = jpeg_claiming("lying.jpg", 3000, 2000);
    assert_load_fails(lying, CLIP_ERROR_MALFORMED, "JPEG");
}

static void test_error_from_data(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ClipRgbImage) image = decode_png_or_jpeg("GIF89a", 6, "clipboard image", &error);
    g_assert_null(image);
    g_assert_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED);
    g_assert_cmpstr(error->message, ==, "clipboard image: not a PNG or JPEG file");

    g_autoptr(GBytes) bytes = small_png();
    g_autoptr(ClipRgbImage) ok = decode_png_or_jpeg(g_bytes_get_data(bytes, NULL),
                                                    g_bytes_get_size(bytes), "memory.png", NULL);
    g_assert_nonnull(ok);
    g_assert_cmpuint(ok->width, ==, 64);
    g_assert_cmpuint(ok->height, ==, 48);
}

static void remove_tmp_dir(void)
{
    g_autoptr(GDir) dir = g_dir_open(tmp_dir, 0, NULL);
    if (dir != NULL) {
        for (const char *name; (name = g_dir_read_name(dir)) != NULL;) {
            g_autofree char *path = tmp_path(name);
            g_unlink(path);
        }
    }
    g_rmdir(tmp_dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_autoptr(GError) error = NULL;
    tmp_dir = g_dir_make_tmp("spyglass-image-XXXXXX", &error);
    g_assert_no_error(error);

    g_test_add_func("/clip/image/reference/fixtures", test_reference_fixtures);
    g_test_add_func("/clip/image/reference/generated", test_reference_generated);
    g_test_add_func("/clip/image/preprocess/constant", test_preprocess_constant);
    g_test_add_func("/clip/image/png/formats", test_png_formats);
    g_test_add_func("/clip/image/jpeg/formats", test_jpeg_formats);
    g_test_add_func("/clip/image/jpeg/dct-scale", test_jpeg_dct_scale);
    g_test_add_func("/clip/image/exif/jpeg", test_exif_jpeg);
    g_test_add_func("/clip/image/exif/png", test_exif_png);
    g_test_add_func("/clip/image/errors/missing", test_error_missing);
    g_test_add_func("/clip/image/errors/empty", test_error_empty);
    g_test_add_func("/clip/image/errors/not-an-image", test_error_not_an_image);
    g_test_add_func("/clip/image/errors/truncated-jpeg", test_error_truncated_jpeg);
    g_test_add_func("/clip/image/errors/corrupt-jpeg", test_error_corrupt_jpeg);
    g_test_add_func("/clip/image/errors/truncated-png", test_error_truncated_png);
    g_test_add_func("/clip/image/errors/corrupt-png", test_error_corrupt_png);
    g_test_add_func("/clip/image/errors/too-large", test_error_too_large);
    g_test_add_func("/clip/image/errors/from-data", test_error_from_data);

    int status = g_test_run();
    remove_tmp_dir();
    g_free(tmp_dir);
    return status;
}
