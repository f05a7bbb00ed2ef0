/* clip-image.c: PNG and JPEG decoding to RGB with EXIF orientation, and CLIP's preprocessing. */
#include "clip/clip-image.h"

#include "clip/clip-model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jerror.h>
#include <jpeglib.h>
#include <libexif/exif-data.h>
#include <png.h>

/* Larger files are not photos we can decode within the pixel limit anyway. */
#define MAX_FILE_SIZE ((size_t)1 << 30)

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
static const uint8_t exif_header[6] = {'E', 'x', 'i', 'f', 0, 0};

void clip_rgb_image_free(ClipRgbImage *image)
{
    if (image == NULL)
        return;
    g_free(image->rgb);
    g_free(image);
}

static gboolean check_dimensions(const char *name, uint64_t width, uint64_t height, GError **error)
{
    if (width == 0 || height == 0) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: image has no pixels (%" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT ")", name,
                    width, height);
        return FALSE;
    }
    if (width > CLIP_RGB_IMAGE_MAX_SIDE || height > CLIP_RGB_IMAGE_MAX_SIDE ||
        width * height > CLIP_RGB_IMAGE_MAX_PIXELS) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: image is too large (%" G_GUINT64_FORMAT "×%" G_GUINT64_FORMAT
                    "; at most %u pixels a side and %u pixels in all)",
                    name, width, height, CLIP_RGB_IMAGE_MAX_SIDE, CLIP_RGB_IMAGE_MAX_PIXELS);
        return FALSE;
    }
    return TRUE;
}

gboolean clip_rgb_image_check_size(const char *name, uint64_t width, uint64_t height,
                                   GError **error)
{
    return check_dimensions(name, width, height, error);
}

uint8_t *clip_rgb_pixels_try_alloc(const char *name, uint32_t width, uint32_t height, int channels,
                                   GError **error)
{
    uint8_t *pixels = g_try_malloc0((size_t)width * height * channels);
    if (pixels == NULL)
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: out of memory for a %u×%u image", name,
                    width, height);
    return pixels;
}

ClipRgbImage *clip_rgb_image_wrap(uint32_t width, uint32_t height, uint8_t *rgb)
{
    ClipRgbImage *image = g_new(ClipRgbImage, 1);
    image->width = width;
    image->height = height;
    image->rgb = rgb;
    return image;
}

/* EXIF */

/* The IFD0 orientation (1-8) of an EXIF block that starts with "Exif\0\0";
 * 1 when it has none or cannot be parsed: a bad EXIF block never costs the
 * pixels. */
static int exif_orientation(const uint8_t *data, size_t size)
{
    if (size < sizeof exif_header || memcmp(data, exif_header, sizeof exif_header) != 0 ||
        size > G_MAXUINT)
        return 1;
    ExifData *exif = exif_data_new();
    if (exif == NULL)
        return 1;
    /* Fixing up the data to the specification could invent tags; we only read. */
    exif_data_unset_option(exif, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_load_data(exif, data, (unsigned int)size);

    int orientation = 1;
    ExifEntry *entry = exif_content_get_entry(exif->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
    if (entry != NULL && entry->format == EXIF_FORMAT_SHORT && entry->components >= 1 &&
        entry->size >= 2)
        orientation = exif_get_short(entry->data, exif_data_get_byte_order(exif));
    exif_data_unref(exif);
    return orientation >= 1 && orientation <= 8 ? orientation : 1;
}

/* Applies an EXIF orientation as PIL's ImageOps.exif_transpose() does: output
 * pixel (x, y) is source pixel origin + x * step_x + y * step_y. */
static gboolean apply_orientation(ClipRgbImage *image, int orientation, const char *name,
                                  GError **error)
{
    if (orientation == 1)
        return TRUE;

    ptrdiff_t w = image->width, h = image->height;
    gboolean transposed = orientation >= 5;
    /* (source x, source y) of output (0, 0), and of one step along output x and y. */
    ptrdiff_t ox, oy, ax, ay, bx, by;
    switch (orientation) {
    case 2: /* mirrored left-right */
        ox = w - 1, oy = 0, ax = -1, ay = 0, bx = 0, by = 1;
        break;
    case 3: /* rotated 180° */
        ox = w - 1, oy = h - 1, ax = -1, ay = 0, bx = 0, by = -1;
        break;
    case 4: /* mirrored top-bottom */
        ox = 0, oy = h - 1, ax = 1, ay = 0, bx = 0, by = -1;
        break;
    case 5: /* transposed */
        ox = 0, oy = 0, ax = 0, ay = 1, bx = 1, by = 0;
        break;
    case 6: /* needs 90° clockwise */
        ox = 0, oy = h - 1, ax = 0, ay = -1, bx = 1, by = 0;
        break;
    case 7: /* transversed */
        ox = w - 1, oy = h - 1, ax = 0, ay = -1, bx = -1, by = 0;
        break;
    default: /* 8: needs 90° counter-clockwise */
        ox = w - 1, oy = 0, ax = 0, ay = 1, bx = -1, by = 0;
        break;
    }

    uint32_t out_w = transposed ? image->height : image->width;
    uint32_t out_h = transposed ? image->width : image->height;
    uint8_t *out = clip_rgb_pixels_try_alloc(name, out_w, out_h, 3, error);
    if (out == NULL)
        return FALSE;

    ptrdiff_t step_x = 3 * (ay * w + ax), step_y = 3 * (by * w + bx);
    const uint8_t *row_src = image->rgb + 3 * (oy * w + ox);
    uint8_t *dst = out;
    for (uint32_t y = 0; y < out_h; y++, row_src += step_y) {
        const uint8_t *src = row_src;
        for (uint32_t x = 0; x < out_w; x++, src += step_x, dst += 3) {
            dst[0] = src[0];
            dst[1] = src[1];
            dst[2] = src[2];
        }
    }
    g_free(image->rgb);
    image->rgb = out;
    image->width = out_w;
    image->height = out_h;
    return TRUE;
}

gboolean clip_rgb_image_apply_orientation(ClipRgbImage *image, int orientation, const char *name,
                                          GError **error)
{
    g_return_val_if_fail(image != NULL, FALSE);
    if (orientation < 1 || orientation > 8)
        return TRUE;
    return apply_orientation(image, orientation, name, error);
}

/* PNG */

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
    return check_dimensions(name, width, height, error);
}

/* The eXIf chunk as an EXIF block, or NULL. */
static GBytes *png_exif_block(png_structp png, png_infop info)
{
#ifdef PNG_eXIf_SUPPORTED
    png_uint_32 exif_size = 0;
    png_bytep exif_data = NULL;
    if (png_get_eXIf_1(png, info, &exif_size, &exif_data) != 0 && exif_size > 0) {
        /* The chunk holds the TIFF structure without JPEG's "Exif\0\0". */
        uint8_t *block = g_malloc(sizeof exif_header + exif_size);
        memcpy(block, exif_header, sizeof exif_header);
        memcpy(block + sizeof exif_header, exif_data, exif_size);
        return g_bytes_new_take(block, sizeof exif_header + exif_size);
    }
#endif
    return NULL;
}

/* Fills details from the EXIF block found, which it takes. */
static void details_set_exif(ClipRgbImageDetails *details, GBytes *exif)
{
    details->exif = exif;
    details->orientation =
        exif == NULL ? 1 : exif_orientation(g_bytes_get_data(exif, NULL), g_bytes_get_size(exif));
}

static ClipRgbImage *png_decode(const uint8_t *data, size_t size, const char *name,
                                ClipRgbImageDetails *details, GError **error)
{
    if (!png_check_header_size(data, size, name, error))
        return NULL;

    PngReader reader = {.data = data, .size = size};
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
            details_set_exif(details, png_exif_block(png, info));
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
    png_read_info(png, info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, NULL, NULL, NULL);
    if (!check_dimensions(name, width, height, error))
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
    details_set_exif(details, png_exif_block(png, info));

done:
    g_free(reader.rows);
    png_destroy_read_struct(&png, &info, NULL);
    ClipRgbImage *image = clip_rgb_image_wrap(reader.width, reader.height, reader.pixels);
    if (!apply_orientation(image, details->orientation, name, error)) {
        clip_rgb_image_free(image);
        return NULL;
    }
    return image;

fail:
    g_free(reader.rows);
    g_free(reader.pixels);
    png_destroy_read_struct(&png, &info, NULL);
    return NULL;
}

/* JPEG */

/* libjpeg's error manager, extended with what the setjmp() handler needs:
 * the buffers to free are volatile so that it sees their last values. */
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    uint8_t *volatile pixels;
    uint8_t *volatile cmyk_row;
} JpegErrorManager;

static void jpeg_error_exit_callback(j_common_ptr cinfo)
{
    JpegErrorManager *manager = (JpegErrorManager *)cinfo->err;
    manager->base.format_message(cinfo, manager->message);
    longjmp(manager->jump, 1);
}

/* Level -1 is a warning: corrupt data or a premature end, after which libjpeg
 * would go on with made-up pixels. We refuse those images instead. */
static void jpeg_emit_message_callback(j_common_ptr cinfo, int level)
{
    if (level < 0)
        jpeg_error_exit_callback(cinfo);
}

/* The first APP1 "Exif" marker, or NULL. */
static GBytes *jpeg_exif_block(j_decompress_ptr cinfo)
{
    for (jpeg_saved_marker_ptr marker = cinfo->marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length >= sizeof exif_header &&
            memcmp(marker->data, exif_header, sizeof exif_header) == 0)
            return g_bytes_new(marker->data, marker->data_length);
    }
    return NULL;
}

/* PIL reads every CMYK JPEG with Adobe's inverted polarity ("CMYK;I") and
 * converts with (255 − C)(255 − K)/255 in integers (Convert.c's cmyk2rgb). */
static uint8_t cmyk_channel_to_rgb(uint8_t stored_c, uint8_t stored_k)
{
    int c = 255 - stored_c, nk = stored_k;
    int t = c * nk + 128;
    int v = nk - (((t >> 8) + t) >> 8);
    return (uint8_t)CLAMP(v, 0, 255);
}

static ClipRgbImage *jpeg_decode(const uint8_t *data, size_t size, const char *name,
                                 uint32_t min_short_side, ClipRgbImageDetails *details,
                                 GError **error)
{
    struct jpeg_decompress_struct cinfo;
    JpegErrorManager manager;
    manager.pixels = NULL;
    manager.cmyk_row = NULL;

    cinfo.err = jpeg_std_error(&manager.base);
    manager.base.error_exit = jpeg_error_exit_callback;
    manager.base.emit_message = jpeg_emit_message_callback;
    if (setjmp(manager.jump)) {
        if (manager.base.msg_code == JWRN_JPEG_EOF)
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: truncated JPEG data", name);
        else
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: invalid JPEG data: %s", name,
                        manager.message);
        g_free(manager.pixels);
        g_free(manager.cmyk_row);
        jpeg_destroy_decompress(&cinfo);
        return NULL;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&cinfo, TRUE);

    /* Checked on the full size: progressive decoding buffers the whole image. */
    if (!check_dimensions(name, cinfo.image_width, cinfo.image_height, error)) {
        jpeg_destroy_decompress(&cinfo);
        return NULL;
    }
    details->stored_width = cinfo.image_width;
    details->stored_height = cinfo.image_height;

    gboolean cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;

    if (min_short_side > 0) {
        for (unsigned int num = 1; num <= 8; num++) {
            cinfo.scale_num = num;
            cinfo.scale_denom = 8;
            jpeg_calc_output_dimensions(&cinfo);
            if (MIN(cinfo.output_width, cinfo.output_height) >= min_short_side)
                break;
        }
    }

    jpeg_start_decompress(&cinfo);
    uint32_t width = cinfo.output_width, height = cinfo.output_height;
    int channels = cinfo.output_components;
    if (channels != (cmyk ? 4 : 3)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: unsupported JPEG colour layout",
                    name);
        jpeg_destroy_decompress(&cinfo);
        return NULL;
    }
    manager.pixels = clip_rgb_pixels_try_alloc(name, width, height, 3, error);
    if (manager.pixels == NULL) {
        jpeg_destroy_decompress(&cinfo);
        return NULL;
    }
    if (cmyk)
        manager.cmyk_row = g_malloc((size_t)width * 4);

    while (cinfo.output_scanline < height) {
        uint8_t *row = manager.pixels + (size_t)cinfo.output_scanline * width * 3;
        JSAMPROW target = cmyk ? manager.cmyk_row : row;
        if (jpeg_read_scanlines(&cinfo, &target, 1) != 1) {
            /* Only a suspending data source returns no line; ours never suspends. */
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: truncated JPEG data", name);
            g_free(manager.pixels);
            g_free(manager.cmyk_row);
            jpeg_destroy_decompress(&cinfo);
            return NULL;
        }
        if (cmyk) {
            for (uint32_t x = 0; x < width; x++) {
                const uint8_t *in = manager.cmyk_row + 4 * x;
                row[3 * x + 0] = cmyk_channel_to_rgb(in[0], in[3]);
                row[3 * x + 1] = cmyk_channel_to_rgb(in[1], in[3]);
                row[3 * x + 2] = cmyk_channel_to_rgb(in[2], in[3]);
            }
        }
    }
    details_set_exif(details, jpeg_exif_block(&cinfo));
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    g_free(manager.cmyk_row);

    ClipRgbImage *image = clip_rgb_image_wrap(width, height, manager.pixels);
    if (!apply_orientation(image, details->orientation, name, error)) {
        clip_rgb_image_free(image);
        return NULL;
    }
    return image;
}

/* Loading */

void clip_rgb_image_details_clear(ClipRgbImageDetails *details)
{
    if (details == NULL)
        return;
    g_clear_pointer(&details->exif, g_bytes_unref);
    memset(details, 0, sizeof *details);
}

ClipRgbImage *clip_rgb_image_new_from_data_with_details(const void *data, size_t size,
                                                        const char *name_for_errors,
                                                        uint32_t min_short_side,
                                                        ClipRgbImageDetails *details,
                                                        GError **error)
{
    g_return_val_if_fail(data != NULL || size == 0, NULL);
    g_return_val_if_fail(details != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    memset(details, 0, sizeof *details);
    details->orientation = 1;

    const char *name = name_for_errors != NULL ? name_for_errors : "image";
    const uint8_t *bytes = data;
    if (size == 0) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: empty file", name);
        return NULL;
    }
    ClipRgbImage *image = NULL;
    if (size >= sizeof png_signature && memcmp(bytes, png_signature, sizeof png_signature) == 0) {
        details->format = "png";
        image = png_decode(bytes, size, name, details, error);
    } else if (size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) {
        details->format = "jpeg";
        image = jpeg_decode(bytes, size, name, min_short_side, details, error);
    } else {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: not a PNG or JPEG file", name);
    }
    if (image == NULL)
        clip_rgb_image_details_clear(details);
    return image;
}

ClipRgbImage *clip_rgb_image_new_from_data_at_least(const void *data, size_t size,
                                                    const char *name_for_errors,
                                                    uint32_t min_short_side, GError **error)
{
    ClipRgbImageDetails details;
    ClipRgbImage *image = clip_rgb_image_new_from_data_with_details(
        data, size, name_for_errors, min_short_side, &details, error);
    clip_rgb_image_details_clear(&details);
    return image;
}

ClipRgbImage *clip_rgb_image_new_from_data(const void *data, size_t size,
                                           const char *name_for_errors, GError **error)
{
    return clip_rgb_image_new_from_data_at_least(data, size, name_for_errors, 0, error);
}

uint8_t *clip_image_file_read(const char *path, size_t *size_out, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: %s", path, g_strerror(saved));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: %s", path, g_strerror(saved));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: not a regular file", path);
        return NULL;
    }
    if ((uint64_t)st.st_size > MAX_FILE_SIZE) {
        close(fd);
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: file is too large for an image",
                    path);
        return NULL;
    }

    size_t capacity = (size_t)st.st_size;
    uint8_t *data = g_try_malloc(capacity > 0 ? capacity : 1);
    if (data == NULL) {
        close(fd);
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: out of memory", path);
        return NULL;
    }
    size_t size = 0;
    while (size < capacity) {
        ssize_t n = read(fd, data + size, capacity - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            g_free(data);
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: %s", path, g_strerror(saved));
            return NULL;
        }
        if (n == 0)
            break; /* the file shrank: decode what is there */
        size += (size_t)n;
    }
    close(fd);
    *size_out = size;
    return data;
}

ClipRgbImage *clip_rgb_image_load_at_least(const char *path, uint32_t min_short_side,
                                           GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);

    size_t size = 0;
    g_autofree uint8_t *data = clip_image_file_read(path, &size, error);
    if (data == NULL)
        return NULL;
    return clip_rgb_image_new_from_data_at_least(data, size, path, min_short_side, error);
}

ClipRgbImage *clip_rgb_image_load(const char *path, GError **error)
{
    return clip_rgb_image_load_at_least(path, 0, error);
}

/* Preprocessing */

/* PIL's fixed-point resampling (Resample.c): 8-bit samples times weights with
 * this many fraction bits, accumulated in 32-bit ints. */
#define RESAMPLE_PRECISION_BITS (32 - 8 - 2)

/* Outputs [out_first, out_first + out_count) of one axis of PIL's
 * resampling: output out_first + i reads count[i] inputs from first[i] with
 * weights[i * ksize ...]. */
typedef struct {
    int ksize;
    int *first, *count;
    int32_t *weights;
} ResampleAxis;

/* Keys' cubic with a = −0.5, PIL's BICUBIC; support 2. */
static double bicubic_filter(double x)
{
    const double a = -0.5;
    if (x < 0.0)
        x = -x;
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0)
        return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

/* precompute_coeffs() and normalize_coeffs_8bpc() of PIL's Resample.c for
 * the box (0, in_size): when downscaling, the filter stretches by the scale
 * factor, which is what antialiases. */
static void resample_axis_init(ResampleAxis *axis, uint32_t in_size, uint32_t out_size,
                               uint32_t out_first, uint32_t out_count)
{
    double scale = (double)in_size / out_size;
    double filterscale = MAX(scale, 1.0);
    double support = 2.0 * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    double *kernel = g_new(double, ksize);

    axis->ksize = ksize;
    axis->first = g_new(int, out_count);
    axis->count = g_new(int, out_count);
    axis->weights = g_new0(int32_t, (size_t)out_count * ksize);
    for (uint32_t i = 0; i < out_count; i++) {
        uint32_t xx = out_first + i;
        double center = (xx + 0.5) * scale;
        double ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0)
            xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > (int)in_size)
            xmax = (int)in_size;
        xmax -= xmin;
        for (int x = 0; x < xmax; x++) {
            double w = bicubic_filter((x + xmin - center + 0.5) * ss);
            kernel[x] = w;
            ww += w;
        }
        int32_t *weights = axis->weights + (size_t)i * ksize;
        for (int x = 0; x < xmax; x++) {
            double k = ww != 0.0 ? kernel[x] / ww : kernel[x];
            double fixed = k * (1 << RESAMPLE_PRECISION_BITS);
            weights[x] = (int32_t)(k < 0 ? -0.5 + fixed : 0.5 + fixed);
        }
        axis->first[i] = xmin;
        axis->count[i] = xmax;
    }
    g_free(kernel);
}

static void resample_axis_clear(ResampleAxis *axis)
{
    g_free(axis->first);
    g_free(axis->count);
    g_free(axis->weights);
}

static inline uint8_t resample_clip8(int32_t sum)
{
    if (sum < 0)
        return 0;
    sum >>= RESAMPLE_PRECISION_BITS;
    return sum > 255 ? 255 : (uint8_t)sum;
}

/* torchvision's int(round((length − size) / 2.0)); Python rounds halves to even. */
static uint32_t center_crop_offset(uint32_t length, uint32_t size)
{
    uint32_t excess = length - size;
    uint32_t half = excess / 2;
    if (excess % 2 == 1 && half % 2 == 1)
        half++;
    return half;
}

void clip_preprocess(const ClipRgbImage *image, uint32_t size, const float mean[3],
                     const float std[3], float *out)
{
    g_return_if_fail(image != NULL && image->width > 0 && image->height > 0);
    g_return_if_fail(size > 0 && size <= CLIP_RGB_IMAGE_MAX_SIDE && out != NULL);

    uint32_t w = image->width, h = image->height;
    /* torchvision Resize(size): the shorter side becomes size, the longer
     * int(size * long / short) (a double division, as Python's). */
    uint32_t rw, rh;
    if (w <= h) {
        rw = size;
        rh = (uint32_t)((double)size * h / w);
    } else {
        rh = size;
        rw = (uint32_t)((double)size * w / h);
    }
    uint32_t left = center_crop_offset(rw, size), top = center_crop_offset(rh, size);

    /* Only the crop is computed: every resized pixel depends on its own filter
     * window alone, so leaving out the rest changes nothing. Like PIL, an axis
     * that keeps its size is not resampled. */
    gboolean horizontal = rw != w, vertical = rh != h;
    ResampleAxis haxis = {0}, vaxis = {0};
    if (horizontal)
        resample_axis_init(&haxis, w, rw, left, size);
    /* Source rows the crop needs: [row0, row1). */
    uint32_t row0 = top, row1 = top + size;
    if (vertical) {
        resample_axis_init(&vaxis, h, rh, top, size);
        row0 = (uint32_t)vaxis.first[0];
        row1 = (uint32_t)(vaxis.first[size - 1] + vaxis.count[size - 1]);
    }

    /* Pass 1: (row1 − row0, size, 3), the crop's columns of the rows it
     * needs, rounded to 8 bits as PIL rounds its intermediate image. */
    uint32_t n_rows = row1 - row0;
    g_autofree uint8_t *columns = g_new(uint8_t, (size_t)n_rows * size * 3);
    for (uint32_t y = 0; y < n_rows; y++) {
        const uint8_t *src = image->rgb + (size_t)(row0 + y) * w * 3;
        uint8_t *dst = columns + (size_t)y * size * 3;
        if (!horizontal) {
            memcpy(dst, src + (size_t)left * 3, (size_t)size * 3);
            continue;
        }
        for (uint32_t x = 0; x < size; x++) {
            const int32_t *k = haxis.weights + (size_t)x * haxis.ksize;
            const uint8_t *in = src + (size_t)haxis.first[x] * 3;
            int32_t s0 = 1 << (RESAMPLE_PRECISION_BITS - 1), s1 = s0, s2 = s0;
            for (int i = 0; i < haxis.count[x]; i++) {
                s0 += in[3 * i + 0] * k[i];
                s1 += in[3 * i + 1] * k[i];
                s2 += in[3 * i + 2] * k[i];
            }
            dst[3 * x + 0] = resample_clip8(s0);
            dst[3 * x + 1] = resample_clip8(s1);
            dst[3 * x + 2] = resample_clip8(s2);
        }
    }

    /* Pass 2, then ToTensor and Normalize into (3, size, size). Each 8-bit
     * value's normalised float is computed as torch computes it. */
    float table[3][256];
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 256; v++)
            table[c][v] = ((float)v / 255.0f - mean[c]) / std[c];

    size_t plane = (size_t)size * size, stride = (size_t)size * 3;
    for (uint32_t y = 0; y < size; y++) {
        for (uint32_t x = 0; x < size; x++) {
            uint8_t rgb[3];
            if (!vertical) {
                memcpy(rgb, columns + y * stride + x * 3, 3);
            } else {
                const int32_t *k = vaxis.weights + (size_t)y * vaxis.ksize;
                const uint8_t *in = columns + (size_t)(vaxis.first[y] - row0) * stride + x * 3;
                int32_t s0 = 1 << (RESAMPLE_PRECISION_BITS - 1), s1 = s0, s2 = s0;
                for (int i = 0; i < vaxis.count[y]; i++, in += stride) {
                    s0 += in[0] * k[i];
                    s1 += in[1] * k[i];
                    s2 += in[2] * k[i];
                }
                rgb[0] = resample_clip8(s0);
                rgb[1] = resample_clip8(s1);
                rgb[2] = resample_clip8(s2);
            }
            size_t at = (size_t)y * size + x;
            out[at] = table[0][rgb[0]];
            out[plane + at] = table[1][rgb[1]];
            out[2 * plane + at] = table[2][rgb[2]];
        }
    }

    if (horizontal)
        resample_axis_clear(&haxis);
    if (vertical)
        resample_axis_clear(&vaxis);
}
