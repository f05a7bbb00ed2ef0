/* test-images.h: test pictures the decoder and preprocessing tests share:
 * JPEG encoding, PNG chunk helpers and the oriented quadrant picture. */
#pragma once

#include "clip/clip-image.h"

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

#include <jpeglib.h>
#include <libexif/exif-data.h>
#include <libheif/heif.h>

typedef struct {
    uint32_t width, height;
    J_COLOR_SPACE color_space; /* JCS_RGB, JCS_GRAYSCALE or JCS_CMYK */
    const uint8_t *samples;
    int quality;
    gboolean full_chroma; /* 4:4:4 instead of the default 4:2:0 */
    gboolean progressive;
    GBytes *exif; /* an APP1 payload, or NULL */
} TestJpegSpec;

/* A JPEG in memory; any libjpeg error fails the test. */
GBytes *test_jpeg_encode(const TestJpegSpec *spec);

/* PNG's chunk CRC and its big-endian integers. */
uint32_t test_png_crc(const uint8_t *data, size_t size);
void test_put_be32(uint8_t *at, uint32_t value);

/* Quadrant colours of the oriented test pictures: top-left, top-right,
 * bottom-left, bottom-right; far apart, so lossy codecs keep them apart. */
extern const uint8_t test_quadrant_colours[4][3];

/* An RGB picture of width × height made of the four quadrants (g_free). */
uint8_t *test_make_quadrants(uint32_t width, uint32_t height);

/* A side × side RGB picture (g_free) of a coloured disc or square on a plain background,
 * centred, as big as the demo world's large objects (tools/demo-scenes.py RADIUS: a disc of
 * radius 40/224 of the side, a square of 64/224): the bundled demo model was trained on
 * nothing bigger, and a square filling half the frame is not a square to it. */
uint8_t *test_make_scene(uint32_t side, const uint8_t fg[3], const uint8_t bg[3], gboolean circle);

/* The image is the quadrant picture of width × height, stored with that EXIF
 * orientation, shown upright: sizes swapped by 5..8 and each quadrant's
 * middle within tolerance of its colour. */
void test_assert_quadrants(const ClipRgbImage *image, int orientation, uint32_t width,
                           uint32_t height, int tolerance);

/* EXIF as a camera writes it (libexif). */
typedef struct {
    ExifByteOrder order;
    int orientation;                 /* 0: none */
    const char *original, *modified; /* DateTimeOriginal, DateTime */
    const char *make, *model;
    gboolean gps;
    double latitude, longitude;
} TestExifSpec;

/* "Exif\0\0" and the TIFF structure, as JPEG's APP1 holds it
 * (TestJpegSpec.exif). */
GBytes *test_exif_make(const TestExifSpec *spec);

/* The TIFF structure alone, as PNG, WebP and HEIF store it. */
GBytes *test_exif_tiff_part(GBytes *exif);

/* An 8-bit RGB PNG; exif (optional, as test_exif_make gives it) in eXIf. */
GBytes *test_png_encode(const uint8_t *rgb, uint32_t width, uint32_t height, GBytes *exif);

/* An HEIF (HEVC) or AVIF of the RGB picture through libheif's encoder; NULL
 * when libheif has none for the format. orientation (1..8) is stored as
 * irot/imir; exif (optional, as test_exif_make gives it) as the Exif item. */
GBytes *test_heif_encode(enum heif_compression_format compression, const uint8_t *rgb,
                         uint32_t width, uint32_t height, int orientation, GBytes *exif);
