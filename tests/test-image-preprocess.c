/* test-image-preprocess.c: PNG and JPEG decoding in every pixel format, EXIF orientation and
 * the model's preprocessing (against PIL: test-image-reference.c; errors: test-image-errors.c). */
#include "test-image-preprocess-common.h"
#include "test-common.h"
#include "test-images.h"

#include <glib/gstdio.h>
#include <math.h>

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

    g_test_add_func("/clip/image/preprocess/constant", test_preprocess_constant);
    test_image_reference_add();
    test_image_errors_add();
    g_test_add_func("/clip/image/png/formats", test_png_formats);
    g_test_add_func("/clip/image/jpeg/formats", test_jpeg_formats);
    g_test_add_func("/clip/image/jpeg/dct-scale", test_jpeg_dct_scale);
    g_test_add_func("/clip/image/exif/jpeg", test_exif_jpeg);
    g_test_add_func("/clip/image/exif/png", test_exif_png);

    int status = g_test_run();
    remove_tmp_dir();
    g_free(tmp_dir);
    return status;
}
