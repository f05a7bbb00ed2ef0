/* test-library-decoder-files.h: photo files made for the decoder's tests (every format, EXIF
 * orientations, broken on purpose) and the checks they share. */
#pragma once

#include "clip/clip-model.h"
#include "library/library-decoder.h"

#include <glib.h>
#include <stdint.h>

extern char *tmp_dir;

char *tmp_path(const char *name);
char *save_data(const char *name, const void *data, size_t size);
char *save_bytes(const char *name, GBytes *bytes);
void put_le16(uint8_t *at, uint32_t value);
void put_le24(uint8_t *at, uint32_t value);
void put_le32(uint8_t *at, uint32_t value);
GBytes *exif_with_orientation(int orientation);
GBytes *encode_jpeg(const uint8_t *rgb, uint32_t width, uint32_t height, GBytes *exif);
GBytes *encode_webp(const uint8_t *rgb, uint32_t width, uint32_t height, GBytes *exif);
GBytes *encode_animated_webp(uint32_t width, uint32_t height, const uint8_t colours[][3],
                             int n_frames);
GBytes *encode_gif(uint32_t width, uint32_t height, uint32_t screen_width, uint32_t screen_height);
GBytes *encode_with_pixbuf(const char *type, const uint8_t *rgb, uint32_t width, uint32_t height);
uint32_t get_le16(const uint8_t *at);
uint32_t get_le32(const uint8_t *at);
GBytes *tiff_with_orientation(GBytes *tiff, int orientation);
ClipRgbImage *decode_ok(const char *path, uint32_t min_short_side, LibraryPhotoInfo *info);
void assert_decode_fails(const char *path, const char *reason);

/* The tests of each concern, registered by main() (test-library-decoder.c). */
void test_library_decoder_bad_add(void);
void test_library_thumbnail_add(void);
