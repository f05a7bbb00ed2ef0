/* test-image-preprocess-common.h: the PNG and JPEG decoders under test, photo and PNG makers
 * and the tolerances the preprocessing tests share (test-image-preprocess.c,
 * test-image-reference.c, test-image-errors.c). */
#pragma once

#include "clip/clip-image.h"
#include "clip/clip-model.h"

#include <glib.h>
#include <png.h>
#include <stdint.h>

/* The fixtures' model input size (tiny-f32/hf/preprocessor_config.json). */
#define FIXTURE_SIZE 64

/* Exact-size images only go through /255 and the normalisation. */
#define EXACT_MAX_DIFF 1e-6
/* Resized images: one 8-bit step is 1/255/std ≈ 0.015 in normalised units. */
#define RESIZED_MAX_DIFF  0.02
#define RESIZED_MEAN_DIFF 0.002

/* CLIP's normalisation (OpenAI's preprocessor_config.json). */
extern const float clip_mean[3];
extern const float clip_std[3];
/* The test run's scratch folder (main() makes it). */
extern char *tmp_dir;

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

ClipRgbImage *decode_png_or_jpeg(const void *data, size_t size, const char *name, GError **error);
ClipRgbImage *load_png_or_jpeg(const char *path, uint32_t min_short_side, GError **error);
char *tmp_path(const char *name);
void write_file(const char *path, const void *data, size_t size);
uint8_t *make_photo(uint32_t width, uint32_t height, uint32_t seed);
size_t png_row_bytes(const PngSpec *spec);
GBytes *encode_png(const PngSpec *spec);
char *save_bytes(const char *name, GBytes *bytes);

/* PIL's decoding and preprocessing as a reference (test-image-reference.c, through
 * tests/data/preprocess_reference.py): requests for one run of the script, one line of
 * tab-separated arguments each, as Python and numpy start slowly: each test starts them once. */
typedef struct {
    GString *lines;
    guint n;
} ReferenceJobs;

gboolean reference_available(void);
ReferenceJobs *reference_jobs_new(void);
void reference_jobs_free(ReferenceJobs *jobs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ReferenceJobs, reference_jobs_free)
char *reference_jobs_preprocess(ReferenceJobs *jobs, const char *image_path, uint32_t size,
                                gboolean exif_transpose);
char *reference_jobs_decode(ReferenceJobs *jobs, const char *image_path, gboolean exif_transpose);
void reference_jobs_run(ReferenceJobs *jobs);
void compare_decode(const char *path, const char *reference_out);
void compare_preprocess(const char *path, uint32_t size, const char *reference_out,
                        double max_allowed, double mean_allowed);
void compare_decodes_if_possible(ReferenceJobs *jobs, GPtrArray *paths, GPtrArray *outs);

/* The tests of each concern, registered by main() (test-image-preprocess.c). */
void test_image_reference_add(void);
void test_image_errors_add(void);
