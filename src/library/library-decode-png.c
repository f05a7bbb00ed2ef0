/* library-decode-png.c: PNG through libpng to 8-bit RGB, as PIL's
 * Image.convert("RGB") gives it (library-decode-private.h). */
#include "library/library-decode-private.h"

#include "clip/clip-model.h"

#include <setjmp.h>
#include <string.h>

#include <png.h>

/* Bounds on what libpng keeps of ancillary chunks (library_decode_png). */
#define PNG_MAX_CHUNK_BYTES   ((png_alloc_size_t)8 << 20)
#define PNG_MAX_CACHED_CHUNKS 128
/* What the PNG decoder shares with libpng's callbacks and its setjmp()
 * handler; fields written after setjmp() are volatile so that the handler
 * sees their last values. */
typedef struct {
    const uint8_t *data;
    size_t size, pos;
    char message[200];
    volatile gboolean truncated;
    uint32_t width, height;
    uint8_t *volatile pixels;    /* freed on the error path */
    png_bytep *volatile rows;    /* likewise */
    volatile gboolean rows_read; /* the pixels are whole: a later error only loses the trailer */
} PngReader;

static void png_read_callback(png_structp png, png_bytep out, size_t length)
{
    PngReader *reader = png_get_io_ptr(png);
    if (length > reader->size - reader->pos) {
        reader->truncated = TRUE;
        png_error(png, "truncated PNG data");
    }
    memcpy(out, reader->data + reader->pos, length);
    reader->pos += length;
}

static void png_error_callback(png_structp png, png_const_charp message)
{
    PngReader *reader = png_get_error_ptr(png);
    g_strlcpy(reader->message, message, sizeof reader->message);
    png_longjmp(png, 1);
}

/* Warnings are about ancillary chunks (bad CRCs, odd colour profiles) that
 * PIL ignores too; image data problems are errors. */
static void png_warning_callback(G_GNUC_UNUSED png_structp png,
                                 G_GNUC_UNUSED png_const_charp message)
{
}

/* PNG's IHDR must come first; reading its size ourselves lets a bogus size
 * fail with a clear message before libpng allocates anything. */
static gboolean png_check_header_size(const uint8_t *data, size_t size, const char *name,
                                      GError **error)
{
    if (size < 24 || memcmp(data + 12, "IHDR", 4) != 0)
        return TRUE; /* libpng reports the real problem */
    uint32_t width =
        (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 | (uint32_t)data[18] << 8 | data[19];
    uint32_t height =
        (uint32_t)data[20] << 24 | (uint32_t)data[21] << 16 | (uint32_t)data[22] << 8 | data[23];
    return clip_rgb_image_check_size(name, width, height, error);
}

/* The eXIf chunk as an EXIF block, or NULL. */
static GBytes *png_exif_block(png_structp png, png_infop info)
{
#ifdef PNG_eXIf_SUPPORTED
    png_uint_32 exif_size = 0;
    png_bytep exif_data = NULL;
    if (png_get_eXIf_1(png, info, &exif_size, &exif_data) != 0 && exif_size > 0) {
        /* The chunk holds the TIFF structure without JPEG's "Exif\0\0". */
        uint8_t *block = g_malloc(sizeof library_exif_header + exif_size);
        memcpy(block, library_exif_header, sizeof library_exif_header);
        memcpy(block + sizeof library_exif_header, exif_data, exif_size);
        return g_bytes_new_take(block, sizeof library_exif_header + exif_size);
    }
#endif
    return NULL;
}

/* The bytes up to the first chunk that claims more than the file holds.
 * libpng 1.6 allocates (and zero-fills) a known ancillary chunk at its
 * claimed length before reading it, whatever png_set_chunk_malloc_max()
 * says (that check is a benign error, a warning when reading): a 277-byte
 * file whose tEXt claimed 2 GB cost 2 GB. Such a chunk can only end in
 * "truncated", so libpng is shown the file as cut before it. */
static size_t png_size_before_overlong_chunk(const uint8_t *data, size_t size)
{
    size_t at = 8; /* the signature */
    while (at + 8 <= size) {
        uint64_t length = (uint64_t)data[at] << 24 | (uint64_t)data[at + 1] << 16 |
                          (uint64_t)data[at + 2] << 8 | data[at + 3];
        if (length + 12 > size - at)
            return at;
        at += (size_t)length + 12; /* length, type, data, CRC */
    }
    return size;
}

ClipRgbImage *library_decode_png(const uint8_t *data, size_t size, const char *name,
                                 LibraryDecodeDetails *details, GError **error)
{
    if (!png_check_header_size(data, size, name, error))
        return NULL;

    PngReader reader = {.data = data, .size = png_size_before_overlong_chunk(data, size)};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, png_error_callback,
                                             png_warning_callback);
    png_infop info = png == NULL ? NULL : png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: out of memory for the PNG decoder",
                    name);
        return NULL;
    }

    if (setjmp(png_jmpbuf(png))) {
        if (reader.rows_read) {
            /* Damage after the image data (a missing IEND, a bad chunk after
             * IDAT): the pixels are whole, and PIL keeps them too. */
            details->exif = png_exif_block(png, info);
            goto done;
        }
        if (reader.truncated)
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: truncated PNG data", name);
        else
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: invalid PNG data: %s", name,
                        reader.message);
        goto fail;
    }

    png_set_read_fn(png, &reader, png_read_callback);
    png_set_user_limits(png, CLIP_RGB_IMAGE_MAX_SIDE, CLIP_RGB_IMAGE_MAX_SIDE);
    /* Bounds what zTXt, iTXt and iCCP decompress to (chunks that claim more
     * than the file holds never reach libpng: see above), and how many text
     * and sPLT chunks are kept. */
    png_set_chunk_malloc_max(png, PNG_MAX_CHUNK_BYTES);
    png_set_chunk_cache_max(png, PNG_MAX_CACHED_CHUNKS);
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, NULL, NULL, NULL);
    if (!clip_rgb_image_check_size(name, width, height, error))
        goto fail;
    reader.width = width;
    reader.height = height;
    details->stored_width = width;
    details->stored_height = height;

    /* PIL keeps the high byte of 16-bit samples. */
    if (bit_depth == 16)
        png_set_strip_16(png);
    if (color_type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    /* 3, or 4 when there is alpha (an alpha channel, or a palette's tRNS);
     * alpha is dropped below, as PIL's convert("RGB") drops it. */
    int channels = png_get_channels(png, info);
    if ((channels != 3 && channels != 4) ||
        png_get_rowbytes(png, info) != (size_t)width * channels) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: unsupported PNG pixel layout",
                    name);
        goto fail;
    }
    reader.pixels = clip_rgb_pixels_try_alloc(name, width, height, channels, error);
    if (reader.pixels == NULL)
        goto fail;
    reader.rows = g_try_new(png_bytep, height);
    if (reader.rows == NULL) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: out of memory", name);
        goto fail;
    }
    for (uint32_t y = 0; y < height; y++)
        reader.rows[y] = reader.pixels + (size_t)y * width * channels;
    png_read_image(png, reader.rows);
    if (channels == 4) {
        size_t n = (size_t)width * height;
        uint8_t *pixels = reader.pixels;
        for (size_t i = 0; i < n; i++) {
            pixels[3 * i + 0] = pixels[4 * i + 0];
            pixels[3 * i + 1] = pixels[4 * i + 1];
            pixels[3 * i + 2] = pixels[4 * i + 2];
        }
        uint8_t *shrunk = g_try_realloc(pixels, n * 3);
        if (shrunk != NULL)
            reader.pixels = shrunk;
    }
    reader.rows_read = TRUE;

    /* eXIf may come before or after the image data. */
    png_read_end(png, info);
    details->exif = png_exif_block(png, info);

done:
    g_free(reader.rows);
    png_destroy_read_struct(&png, &info, NULL);
    return library_decode_orient(clip_rgb_image_wrap(reader.width, reader.height, reader.pixels),
                                 name, details, error);

fail:
    g_free(reader.rows);
    g_free(reader.pixels);
    png_destroy_read_struct(&png, &info, NULL);
    return NULL;
}
