/* test-raw-images.h: camera RAW files made at run time: TIFF-based layouts
 * (DNG, and Nikon's NEF) with an uncompressed Bayer mosaic and an embedded
 * JPEG preview, as cameras write them. */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef enum {
    TEST_RAW_DNG, /* IFD0 the preview (JPEG strips), SubIFD the sensor data; DNG tags */
    TEST_RAW_NEF, /* IFD0 a small RGB thumbnail, SubIFDs the preview (JPEGInterchangeFormat)
                   * and the sensor data; Make NIKON CORPORATION */
} TestRawLayout;

typedef struct {
    TestRawLayout layout;
    uint32_t width, height; /* the sensor's: even */
    const uint8_t *rgb;     /* width × height RGB the mosaic samples (12-bit, RGGB) */
    GBytes *preview;        /* the embedded JPEG */
    int orientation;        /* EXIF 1..8 */
    const char *make, *model;
    const char *taken; /* DateTimeOriginal, "YYYY:MM:DD HH:MM:SS", or NULL */
} TestRawSpec;

/* The file's bytes; the sensor data comes last, as cameras write it, so
 * that a cut file loses it first. */
GBytes *test_raw_make(const TestRawSpec *spec);
