/* library-decoder.c: every photo format the library reads, decoded by content, with EXIF:
 * the file, the sniffing, WebP, HEIF and gdk-pixbuf's formats here; PNG, JPEG, EXIF and
 * orientation in library-decode-*.c. */
#include "library/library-decode-private.h"

#include "clip/clip-model.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <libheif/heif.h>
#include <webp/decode.h>
#include <webp/demux.h>

/* Formats by what the file holds; the name only decides whether a file is a photo. */
typedef enum {
    PHOTO_FORMAT_UNKNOWN,
    PHOTO_FORMAT_JPEG,
    PHOTO_FORMAT_PNG,
    PHOTO_FORMAT_WEBP,
    PHOTO_FORMAT_HEIF,
    PHOTO_FORMAT_AVIF,
    PHOTO_FORMAT_GIF,
    PHOTO_FORMAT_TIFF,
    PHOTO_FORMAT_BMP,
} PhotoFormat;

/* LibraryPhotoInfo.format, and how error messages name the format. */
static const struct {
    const char *id, *label;
} photo_formats[] = {
    [PHOTO_FORMAT_UNKNOWN] = {NULL, NULL},  [PHOTO_FORMAT_JPEG] = {"jpeg", "JPEG"},
    [PHOTO_FORMAT_PNG] = {"png", "PNG"},    [PHOTO_FORMAT_WEBP] = {"webp", "WebP"},
    [PHOTO_FORMAT_HEIF] = {"heif", "HEIC"}, [PHOTO_FORMAT_AVIF] = {"avif", "AVIF"},
    [PHOTO_FORMAT_GIF] = {"gif", "GIF"},    [PHOTO_FORMAT_TIFF] = {"tiff", "TIFF"},
    [PHOTO_FORMAT_BMP] = {"bmp", "BMP"},
};

static const char *const photo_extensions[] = {
    "jpg", "jpeg", "jpe", "png", "webp", "heic", "heif", "avif", "gif", "tif", "tiff", "bmp",
};

gboolean library_is_photo_name(const char *name)
{
    g_return_val_if_fail(name != NULL, FALSE);

    const char *base = strrchr(name, G_DIR_SEPARATOR);
    base = base != NULL ? base + 1 : name;
    const char *dot = strrchr(base, '.');
    if (dot == NULL || dot == base)
        return FALSE; /* no extension, or a hidden file named only ".jpg" */
    for (size_t i = 0; i < G_N_ELEMENTS(photo_extensions); i++)
        if (g_ascii_strcasecmp(dot + 1, photo_extensions[i]) == 0)
            return TRUE;
    return library_is_raw_name(name) || library_is_video_name(name);
}

void library_photo_info_clear(LibraryPhotoInfo *info)
{
    if (info == NULL)
        return;
    g_free(info->format);
    g_free(info->taken);
    g_free(info->camera_make);
    g_free(info->camera_model);
    memset(info, 0, sizeof *info);
}

/* Larger files are not photos we can decode within the pixel limit anyway. */
#define MAX_FILE_SIZE ((size_t)1 << 30)

/* Sniffing */

static gboolean has_prefix(const uint8_t *data, size_t size, const void *prefix, size_t length)
{
    return size >= length && memcmp(data, prefix, length) == 0;
}

/* An unsigned integer of 1-4 bytes in either byte order. */
static uint32_t read_uint(const uint8_t *at, int bytes, gboolean big_endian)
{
    uint32_t value = 0;
    for (int i = 0; i < bytes; i++)
        value |= (uint32_t)at[big_endian ? i : bytes - 1 - i] << (8 * (bytes - 1 - i));
    return value;
}

/* HEIF's ftyp box: HEIC, AVIF or another HEIF codec; libheif knows the brands. */
static PhotoFormat sniff_heif(const uint8_t *data, size_t size)
{
    if (size < 12 || memcmp(data + 4, "ftyp", 4) != 0)
        return PHOTO_FORMAT_UNKNOWN;
    int length = (int)MIN(size, (size_t)INT_MAX);
    if (heif_check_filetype(data, length) == heif_filetype_no)
        return PHOTO_FORMAT_UNKNOWN;
    heif_brand2 brand = heif_read_main_brand(data, length);
    if (brand == heif_fourcc_to_brand("avif") || brand == heif_fourcc_to_brand("avis") ||
        heif_has_compatible_brand(data, length, "avif") == 1)
        return PHOTO_FORMAT_AVIF;
    return PHOTO_FORMAT_HEIF;
}

static PhotoFormat sniff_format(const uint8_t *data, size_t size)
{
    static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    if (has_prefix(data, size, "\xff\xd8\xff", 3))
        return PHOTO_FORMAT_JPEG;
    if (has_prefix(data, size, png_signature, sizeof png_signature))
        return PHOTO_FORMAT_PNG;
    if (size >= 12 && memcmp(data, "RIFF", 4) == 0 && memcmp(data + 8, "WEBP", 4) == 0)
        return PHOTO_FORMAT_WEBP;
    if (has_prefix(data, size, "GIF87a", 6) || has_prefix(data, size, "GIF89a", 6))
        return PHOTO_FORMAT_GIF;
    if (has_prefix(data, size, "II*\0", 4) || has_prefix(data, size, "MM\0*", 4))
        return PHOTO_FORMAT_TIFF;
    /* "BM" alone is a weak signature: also ask for the 26 bytes of the smallest header. */
    if (has_prefix(data, size, "BM", 2) && size >= 26)
        return PHOTO_FORMAT_BMP;
    return sniff_heif(data, size);
}

/* Pixels */

/* Interleaved rows of 3 or 4 (alpha last) channels to RGB; alpha is dropped,
 * as PIL's convert("RGB") and library-decode-png.c drop it. */
static void copy_rows_to_rgb(uint8_t *rgb, const uint8_t *rows, size_t stride, uint32_t width,
                             uint32_t height, int channels)
{
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *src = rows + y * stride;
        uint8_t *dst = rgb + (size_t)y * width * 3;
        if (channels == 3) {
            memcpy(dst, src, (size_t)width * 3);
            continue;
        }
        for (uint32_t x = 0; x < width; x++, src += channels, dst += 3)
            memcpy(dst, src, 3);
    }
}

/* WebP */

static void webp_set_error(const char *name, VP8StatusCode status, GError **error)
{
    switch (status) {
    case VP8_STATUS_NOT_ENOUGH_DATA:
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: truncated WebP data", name);
        break;
    case VP8_STATUS_OUT_OF_MEMORY:
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: out of memory for the WebP decoder",
                    name);
        break;
    case VP8_STATUS_UNSUPPORTED_FEATURE:
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED, "%s: unsupported WebP feature",
                    name);
        break;
    default:
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: invalid WebP data", name);
        break;
    }
}

static uint8_t *webp_decode_still(const uint8_t *data, size_t size, const char *name,
                                  uint32_t width, uint32_t height, GError **error)
{
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED,
                    "%s: libwebp does not match its headers", name);
        return NULL;
    }
    uint8_t *rgb = clip_rgb_pixels_try_alloc(name, width, height, 3, error);
    if (rgb == NULL)
        return NULL;
    /* Straight into our buffer: libwebp allocates nothing for the pixels. */
    config.output.colorspace = MODE_RGB;
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = rgb;
    config.output.u.RGBA.stride = (int)width * 3;
    config.output.u.RGBA.size = (size_t)width * height * 3;
    VP8StatusCode status = WebPDecode(data, size, &config);
    WebPFreeDecBuffer(&config.output);
    if (status != VP8_STATUS_OK) {
        g_free(rgb);
        webp_set_error(name, status, error);
        return NULL;
    }
    return rgb;
}

/* An animation's first frame, composed on its canvas like a viewer shows it. */
static uint8_t *webp_decode_first_frame(const uint8_t *data, size_t size, const char *name,
                                        uint32_t width, uint32_t height, GError **error)
{
    WebPAnimDecoderOptions options;
    if (!WebPAnimDecoderOptionsInit(&options)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED,
                    "%s: libwebpdemux does not match its headers", name);
        return NULL;
    }
    options.color_mode = MODE_RGBA;
    options.use_threads = 0;
    WebPData webp = {.bytes = data, .size = size};
    WebPAnimDecoder *decoder = WebPAnimDecoderNew(&webp, &options);
    if (decoder == NULL) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: invalid or truncated WebP animation", name);
        return NULL;
    }
    WebPAnimInfo anim;
    uint8_t *frame = NULL;
    int timestamp = 0;
    uint8_t *rgb = NULL;
    if (!WebPAnimDecoderGetInfo(decoder, &anim) || anim.canvas_width != width ||
        anim.canvas_height != height || !WebPAnimDecoderGetNext(decoder, &frame, &timestamp)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: the first frame of the WebP animation cannot be decoded", name);
    } else if ((rgb = clip_rgb_pixels_try_alloc(name, width, height, 3, error)) != NULL) {
        copy_rows_to_rgb(rgb, frame, (size_t)width * 4, width, height, 4);
    }
    WebPAnimDecoderDelete(decoder);
    return rgb;
}

/* The EXIF chunk, or NULL; a file the demuxer cannot read has none for us. */
static GBytes *webp_exif_block(const uint8_t *data, size_t size)
{
    WebPData webp = {.bytes = data, .size = size};
    WebPDemuxer *demux = WebPDemux(&webp);
    if (demux == NULL)
        return NULL;
    GBytes *block = NULL;
    WebPChunkIterator chunk;
    if ((WebPDemuxGetI(demux, WEBP_FF_FORMAT_FLAGS) & EXIF_FLAG) &&
        WebPDemuxGetChunk(demux, "EXIF", 1, &chunk)) {
        block = library_exif_block_from_tiff(chunk.chunk.bytes, chunk.chunk.size);
        WebPDemuxReleaseChunkIterator(&chunk);
    }
    WebPDemuxDelete(demux);
    return block;
}

static ClipRgbImage *webp_decode(const uint8_t *data, size_t size, const char *name,
                                 LibraryDecodeDetails *details, GError **error)
{
    WebPBitstreamFeatures features;
    VP8StatusCode status = WebPGetFeatures(data, size, &features);
    if (status != VP8_STATUS_OK) {
        webp_set_error(name, status, error);
        return NULL;
    }
    if (!clip_rgb_image_check_size(name, (uint64_t)MAX(features.width, 0),
                                   (uint64_t)MAX(features.height, 0), error))
        return NULL;
    uint32_t width = (uint32_t)features.width, height = (uint32_t)features.height;
    details->stored_width = width;
    details->stored_height = height;

    uint8_t *rgb = features.has_animation
                       ? webp_decode_first_frame(data, size, name, width, height, error)
                       : webp_decode_still(data, size, name, width, height, error);
    if (rgb == NULL)
        return NULL;
    /* libwebp leaves orientation to the application; PIL's exif_transpose()
     * applies it to WebP as to JPEG, and the embeddings follow PIL. */
    details->exif = webp_exif_block(data, size);
    return library_decode_orient(clip_rgb_image_wrap(width, height, rgb), name, details, error);
}

/* HEIF: HEIC and AVIF */

static void heif_ensure_initialized(void)
{
    static gsize initialized = 0;
    if (g_once_init_enter(&initialized)) {
        /* Without it libheif still works with its built-in codecs; plugins
         * (libheif ≥ 1.14 packages them apart) need it. Never undone: the
         * codecs stay registered for the life of the process. */
        heif_init(NULL);
        g_once_init_leave(&initialized, 1);
    }
}

/* TRUE when a top-level box of the ISO base media file runs past the end:
 * libheif then complains of whatever box it misses, while the cause is a
 * cut file. */
static gboolean isobmff_is_truncated(const uint8_t *data, size_t size)
{
    size_t at = 0;
    while (size - at >= 8) {
        uint64_t box = read_uint(data + at, 4, TRUE);
        if (box == 1) {
            if (size - at < 16)
                return TRUE;
            box = (uint64_t)read_uint(data + at + 8, 4, TRUE) << 32 |
                  read_uint(data + at + 12, 4, TRUE);
        }
        if (box == 0)
            return FALSE; /* the last box, up to the end of the file */
        if (box < 8)
            return FALSE; /* broken, not cut */
        if (box > size - at)
            return TRUE;
        at += box;
    }
    return at < size;
}

/* libheif's messages, which may span lines, on one line. */
static char *heif_message(struct heif_error failure)
{
    char *message = g_strdup(failure.message != NULL ? failure.message : "unknown error");
    g_strdelimit(message, "\r\n", ' ');
    return g_strstrip(message);
}

static void heif_set_error(const uint8_t *data, size_t size, const char *name, const char *label,
                           struct heif_error failure, GError **error)
{
    g_autofree char *message = heif_message(failure);
    if ((failure.code == heif_error_Invalid_input &&
         failure.subcode == heif_suberror_End_of_data) ||
        isobmff_is_truncated(data, size))
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: truncated %s data", name, label);
    else if (failure.code == heif_error_Unsupported_feature ||
             failure.code == heif_error_Unsupported_filetype)
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED, "%s: unsupported %s image: %s", name,
                    label, message);
    else if (failure.code == heif_error_Memory_allocation_error &&
             failure.subcode == heif_suberror_Security_limit_exceeded)
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: %s image is too large: %s", name,
                    label, message);
    else
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: invalid %s data: %s", name, label,
                    message);
}

/* The "Exif" item: a 4-byte big-endian offset, then that many bytes to skip
 * before the TIFF structure. */
static GBytes *heif_exif_block(const struct heif_image_handle *handle)
{
    heif_item_id id;
    if (heif_image_handle_get_list_of_metadata_block_IDs(handle, "Exif", &id, 1) < 1)
        return NULL;
    size_t size = heif_image_handle_get_metadata_size(handle, id);
    if (size <= 4 || size > LIBRARY_EXIF_MAX_SIZE)
        return NULL;
    g_autofree uint8_t *raw = g_malloc(size);
    if (heif_image_handle_get_metadata(handle, id, raw).code != heif_error_Ok)
        return NULL;
    uint32_t offset =
        (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
    if (offset >= size - 4)
        return NULL;
    return library_exif_block_from_tiff(raw + 4 + offset, size - 4 - offset);
}

/* Decodes the primary image to 8-bit RGB, transformations (irot, imir, clap)
 * applied by libheif. */
static uint8_t *heif_decode_rgb(const uint8_t *data, size_t size,
                                const struct heif_image_handle *handle, const char *name,
                                const char *label, uint32_t width, uint32_t height, GError **error)
{
    struct heif_decoding_options *options = heif_decoding_options_alloc();
    options->convert_hdr_to_8bit = 1;
    /* The decoder's warnings are errors: a damaged photo is reported, not guessed at. */
    options->strict_decoding = 1;
    struct heif_image *decoded = NULL;
    struct heif_error failure = heif_decode_image(handle, &decoded, heif_colorspace_RGB,
                                                  heif_chroma_interleaved_RGB, options);
    heif_decoding_options_free(options);
    if (failure.code != heif_error_Ok) {
        heif_set_error(data, size, name, label, failure, error);
        heif_image_release(decoded);
        return NULL;
    }

    int stride = 0;
    const uint8_t *plane =
        heif_image_get_plane_readonly(decoded, heif_channel_interleaved, &stride);
    uint8_t *rgb = NULL;
    if (plane == NULL || heif_image_get_width(decoded, heif_channel_interleaved) != (int)width ||
        heif_image_get_height(decoded, heif_channel_interleaved) != (int)height ||
        stride < (int)width * 3) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: %s image decoded to an unexpected layout", name, label);
    } else if ((rgb = clip_rgb_pixels_try_alloc(name, width, height, 3, error)) != NULL) {
        copy_rows_to_rgb(rgb, plane, (size_t)stride, width, height, 3);
    }
    heif_image_release(decoded);
    return rgb;
}

static ClipRgbImage *heif_decode(const uint8_t *data, size_t size, const char *name,
                                 const char *label, LibraryDecodeDetails *details, GError **error)
{
    heif_ensure_initialized();
    struct heif_context *context = heif_context_alloc();
    /* libheif's own security limit, checked while parsing, before ours. */
    heif_context_set_maximum_image_size_limit(context, (int)CLIP_RGB_IMAGE_MAX_SIDE);
    struct heif_image_handle *handle = NULL;
    uint8_t *rgb = NULL;
    uint32_t width = 0, height = 0;

    struct heif_error failure =
        heif_context_read_from_memory_without_copy(context, data, size, NULL);
    if (failure.code == heif_error_Ok)
        failure = heif_context_get_primary_image_handle(context, &handle);
    if (failure.code != heif_error_Ok) {
        heif_set_error(data, size, name, label, failure, error);
        goto out;
    }
    /* The size after the transformations, which libheif applies itself. */
    int w = heif_image_handle_get_width(handle), h = heif_image_handle_get_height(handle);
    if (!clip_rgb_image_check_size(name, (uint64_t)MAX(w, 0), (uint64_t)MAX(h, 0), error))
        goto out;
    width = (uint32_t)w, height = (uint32_t)h;
    rgb = heif_decode_rgb(data, size, handle, name, label, width, height, error);
    if (rgb != NULL) {
        details->stored_width = width;
        details->stored_height = height;
        /* HEIF orients with irot/imir, already applied; an EXIF orientation
         * is not to be applied again (HEIF spec, and what Apple writes). */
        details->orientation = 1;
        details->exif = heif_exif_block(handle);
    }

out:
    heif_image_handle_release(handle);
    heif_context_free(context);
    return rgb != NULL ? clip_rgb_image_wrap(width, height, rgb) : NULL;
}

/* GIF, TIFF and BMP through gdk-pixbuf */

typedef struct {
    const char *name;
    GError *error; /* set when the declared size is refused */
} PixbufSizeCheck;

/* Refuses a size over the limits before the loader allocates it: a 0×0
 * request makes gdk-pixbuf's loaders stop (as gdk_pixbuf_get_file_info() does). */
static void pixbuf_size_prepared(GdkPixbufLoader *loader, int width, int height, gpointer user_data)
{
    PixbufSizeCheck *check = user_data;
    if (check->error == NULL && !clip_rgb_image_check_size(check->name, (uint64_t)MAX(width, 0),
                                                           (uint64_t)MAX(height, 0), &check->error))
        gdk_pixbuf_loader_set_size(loader, 0, 0);
}

/* The pixbuf's pixels as RGB; NULL for layouts gdk-pixbuf never produces. */
static uint8_t *pixbuf_to_rgb(GdkPixbuf *pixbuf, const char *name, const char *label,
                              GError **error)
{
    int channels = gdk_pixbuf_get_n_channels(pixbuf);
    if (gdk_pixbuf_get_colorspace(pixbuf) != GDK_COLORSPACE_RGB ||
        gdk_pixbuf_get_bits_per_sample(pixbuf) != 8 || (channels != 3 && channels != 4)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED, "%s: unsupported %s pixel layout",
                    name, label);
        return NULL;
    }
    uint32_t width = (uint32_t)gdk_pixbuf_get_width(pixbuf);
    uint32_t height = (uint32_t)gdk_pixbuf_get_height(pixbuf);
    uint8_t *rgb = clip_rgb_pixels_try_alloc(name, width, height, 3, error);
    if (rgb != NULL)
        copy_rows_to_rgb(rgb, gdk_pixbuf_read_pixels(pixbuf),
                         (size_t)gdk_pixbuf_get_rowstride(pixbuf), width, height, channels);
    return rgb;
}

/* The transformation still to apply to a TIFF as gdk-pixbuf loads it:
 * libtiff applies orientations 1-4 itself and reads 5-8 as 1-4, so
 * gdk-pixbuf asks for 5 or 7 on top (io-tiff.c), never the tag's value. */
static int pixbuf_pending_orientation(GdkPixbuf *pixbuf)
{
    const char *option = gdk_pixbuf_get_option(pixbuf, "orientation");
    int orientation = option != NULL ? atoi(option) : 1;
    return orientation >= 1 && orientation <= 8 ? orientation : 1;
}

/* The Orientation tag (274) of a classic TIFF's first IFD, for the photo's
 * metadata; 1 when absent. */
static int tiff_orientation(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 1;
    gboolean big_endian = data[0] == 'M';
    uint32_t ifd = read_uint(data + 4, 4, big_endian);
    if (ifd < 8 || ifd > size - 2)
        return 1;
    uint32_t n = read_uint(data + ifd, 2, big_endian);
    for (uint32_t i = 0; i < n && (size_t)ifd + 2 + 12 * (i + 1) <= size; i++) {
        const uint8_t *entry = data + ifd + 2 + 12 * i;
        /* A SHORT, whose value sits in the first two bytes of the field. */
        if (read_uint(entry, 2, big_endian) == 274 && read_uint(entry + 2, 2, big_endian) == 3) {
            uint32_t orientation = read_uint(entry + 8, 2, big_endian);
            return orientation >= 1 && orientation <= 8 ? (int)orientation : 1;
        }
    }
    return 1;
}

/* Pixels an RLE-compressed BMP may claim per byte of file: a two-byte run
 * draws at most 255 pixels. Files that leave most of the image undrawn
 * (end-of-bitmap or delta codes) are refused beyond it. */
#define BMP_RLE_PIXELS_PER_BYTE 128

/* The info-header sizes gdk-pixbuf's BMP loader reads (io-bmp.c): OS/2 1.x,
 * BITMAPINFOHEADER, its v3 extensions with RGB and RGBA masks, OS/2 2.x,
 * BITMAPV4HEADER, BITMAPV5HEADER. */
static gboolean bmp_header_size_known(uint32_t header_size)
{
    static const uint32_t known[] = {12, 40, 52, 56, 64, 108, 124};
    for (size_t i = 0; i < G_N_ELEMENTS(known); i++)
        if (header_size == known[i])
            return TRUE;
    return FALSE;
}

/* gdk-pixbuf's BMP loader allocates the pixels the header promises and keeps
 * whatever rows the file has, so a 90-byte file of 14000 × 14000 pixels
 * "decoded" at 1.1 GB (an OS/2 header, which this check once skipped) or
 * 1.3 GB (RLE). The header says how many bytes the pixels take, exactly
 * when uncompressed and at least when run-length encoded: a short file is
 * refused here, before the loader allocates anything.
 *
 * Before it looks at the pixels, the loader also grows its read buffer to
 * the info header's declared size, and (uncompressed, more than 8 bits a
 * pixel) to the pixel data's offset, both unchecked 32-bit fields: a 90-byte
 * file declaring either near 4 GiB made it reallocate 4 GiB (a fuzzer's
 * find). So the header size must be one the loader knows, and both must lie
 * within the file. */
static gboolean bmp_check_header(const uint8_t *data, size_t size, const char *name, GError **error)
{
    if (size < 26)
        return TRUE; /* the loader refuses it */
    uint32_t header_size = read_uint(data + 14, 4, FALSE);
    uint64_t offset = read_uint(data + 10, 4, FALSE);
    if (!bmp_header_size_known(header_size)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: unsupported BMP header (%" G_GUINT32_FORMAT " bytes)", name, header_size);
        return FALSE;
    }
    if (14 + (uint64_t)header_size > size || offset > size) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: truncated BMP data", name);
        return FALSE;
    }
    uint64_t abs_width, abs_height, bits;
    uint32_t compression = 0;
    if (header_size == 12) {
        /* OS/2 1.x BITMAPCOREHEADER: unsigned 16-bit sizes, never compressed. */
        abs_width = read_uint(data + 18, 2, FALSE);
        abs_height = read_uint(data + 20, 2, FALSE);
        bits = read_uint(data + 24, 2, FALSE);
    } else {
        /* BITMAPINFOHEADER or a later one; height < 0: top-down rows. */
        int32_t width = (int32_t)read_uint(data + 18, 4, FALSE);
        int32_t height = (int32_t)read_uint(data + 22, 4, FALSE);
        abs_width = (uint64_t)ABS((int64_t)width);
        abs_height = (uint64_t)ABS((int64_t)height);
        bits = read_uint(data + 28, 2, FALSE);
        compression = read_uint(data + 30, 4, FALSE);
    }
    if (!clip_rgb_image_check_size(name, abs_width, abs_height, error))
        return FALSE;

    uint64_t needed;
    if (compression == 0 || compression == 3) /* BI_RGB, BI_BITFIELDS */
        needed = offset + (abs_width * bits + 31) / 32 * 4 * abs_height;
    else if (compression == 1 || compression == 2) /* BI_RLE8, BI_RLE4 */
        needed = offset + abs_width * abs_height / BMP_RLE_PIXELS_PER_BYTE;
    else
        return TRUE; /* a compression the loader does not take */
    if (size < needed) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: truncated BMP data", name);
        return FALSE;
    }
    return TRUE;
}

static ClipRgbImage *pixbuf_decode(const uint8_t *data, size_t size, const char *name,
                                   PhotoFormat format, LibraryDecodeDetails *details,
                                   GError **error)
{
    const char *label = photo_formats[format].label;
    if (format == PHOTO_FORMAT_BMP && !bmp_check_header(data, size, name, error))
        return NULL;
    g_autoptr(GError) local = NULL;
    /* The loader is chosen by our sniffing, never by gdk-pixbuf's: an SVG
     * or XPM named .gif must not reach those loaders. */
    g_autoptr(GdkPixbufLoader) loader =
        gdk_pixbuf_loader_new_with_type(photo_formats[format].id, &local);
    if (loader == NULL) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED,
                    "%s: no gdk-pixbuf loader for %s images: %s", name, label, local->message);
        return NULL;
    }
    PixbufSizeCheck check = {.name = name};
    g_signal_connect(loader, "size-prepared", G_CALLBACK(pixbuf_size_prepared), &check);
    /* A failed write closes the loader itself. */
    gboolean loaded = gdk_pixbuf_loader_write(loader, data, size, &local);
    loaded = gdk_pixbuf_loader_close(loader, loaded ? &local : NULL) && loaded;
    if (check.error != NULL) {
        g_propagate_error(error, g_steal_pointer(&check.error));
        return NULL;
    }
    GdkPixbuf *pixbuf = gdk_pixbuf_loader_get_pixbuf(loader);
    if (!loaded || pixbuf == NULL) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: invalid %s data: %s", name, label,
                    local != NULL ? local->message : "no image");
        return NULL;
    }

    uint32_t width = (uint32_t)gdk_pixbuf_get_width(pixbuf);
    uint32_t height = (uint32_t)gdk_pixbuf_get_height(pixbuf);
    if (!clip_rgb_image_check_size(name, width, height, error))
        return NULL;
    uint8_t *rgb = pixbuf_to_rgb(pixbuf, name, label, error);
    if (rgb == NULL)
        return NULL;
    ClipRgbImage *image = clip_rgb_image_wrap(width, height, rgb);
    if (format == PHOTO_FORMAT_TIFF) {
        if (!library_decode_apply_orientation(image, pixbuf_pending_orientation(pixbuf), name,
                                              error)) {
            clip_rgb_image_free(image);
            return NULL;
        }
        details->orientation = tiff_orientation(data, size);
    }
    /* The stored size, which the orientation turns back into the image's. */
    gboolean transposed = details->orientation >= 5;
    details->stored_width = transposed ? image->height : image->width;
    details->stored_height = transposed ? image->width : image->height;
    return image;
}

/* Decoding */

void library_decode_details_clear(LibraryDecodeDetails *details)
{
    if (details == NULL)
        return;
    g_clear_pointer(&details->exif, g_bytes_unref);
    memset(details, 0, sizeof *details);
}

uint8_t *library_decode_file_read(const char *path, size_t *size_out, GError **error)
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

ClipRgbImage *library_decode_png_or_jpeg(const uint8_t *data, size_t size, const char *name,
                                         uint32_t min_short_side, LibraryDecodeDetails *details,
                                         GError **error)
{
    g_return_val_if_fail(data != NULL || size == 0, NULL);
    g_return_val_if_fail(details != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    memset(details, 0, sizeof *details);
    details->orientation = 1;
    if (size == 0) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: empty file", name);
        return NULL;
    }
    ClipRgbImage *image = NULL;
    PhotoFormat format = sniff_format(data, size);
    if (format == PHOTO_FORMAT_PNG)
        image = library_decode_png(data, size, name, details, error);
    else if (format == PHOTO_FORMAT_JPEG)
        image = library_decode_jpeg(data, size, name, min_short_side, details, error);
    else
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: not a PNG or JPEG file", name);
    if (image == NULL)
        library_decode_details_clear(details);
    return image;
}

static ClipRgbImage *decode_data(const uint8_t *data, size_t size, const char *name,
                                 uint32_t min_short_side, PhotoFormat *format_out,
                                 LibraryDecodeDetails *details, GError **error)
{
    memset(details, 0, sizeof *details);
    details->orientation = 1;
    if (size == 0) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: empty file", name);
        return NULL;
    }
    PhotoFormat format = sniff_format(data, size);
    *format_out = format;
    switch (format) {
    case PHOTO_FORMAT_JPEG:
    case PHOTO_FORMAT_PNG:
        return library_decode_png_or_jpeg(data, size, name, min_short_side, details, error);
    case PHOTO_FORMAT_WEBP:
        return webp_decode(data, size, name, details, error);
    case PHOTO_FORMAT_HEIF:
    case PHOTO_FORMAT_AVIF:
        return heif_decode(data, size, name, photo_formats[format].label, details, error);
    case PHOTO_FORMAT_GIF:
    case PHOTO_FORMAT_TIFF:
    case PHOTO_FORMAT_BMP:
        return pixbuf_decode(data, size, name, format, details, error);
    case PHOTO_FORMAT_UNKNOWN:
    default:
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: not a supported photo format",
                    name);
        return NULL;
    }
}

static void fill_info(LibraryPhotoInfo *info, PhotoFormat format,
                      const LibraryDecodeDetails *details)
{
    gboolean transposed = details->orientation >= 5;
    info->format = g_strdup(photo_formats[format].id);
    info->width = transposed ? details->stored_height : details->stored_width;
    info->height = transposed ? details->stored_width : details->stored_height;
    info->orientation = details->orientation;
    library_exif_fill_info(details->exif, info);
}

ClipRgbImage *library_decode_photo_data(const uint8_t *data, size_t size, const char *name,
                                        uint32_t min_short_side, LibraryPhotoInfo *info,
                                        GError **error)
{
    g_return_val_if_fail(data != NULL || size == 0, NULL);
    g_return_val_if_fail(name != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (info != NULL)
        memset(info, 0, sizeof *info);
    if (library_is_raw_name(name))
        return library_decode_raw(data, size, name, min_short_side, info, error);
    PhotoFormat format = PHOTO_FORMAT_UNKNOWN;
    LibraryDecodeDetails details;
    ClipRgbImage *image = decode_data(data, size, name, min_short_side, &format, &details, error);
    if (image != NULL && info != NULL)
        fill_info(info, format, &details);
    library_decode_details_clear(&details);
    return image;
}

ClipRgbImage *library_decode_photo(const char *path, uint32_t min_short_side,
                                   LibraryPhotoInfo *info, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (library_is_video_name(path))
        return library_decode_video_still(path, info, error);
    if (info != NULL)
        memset(info, 0, sizeof *info);
    size_t size = 0;
    g_autofree uint8_t *data = library_decode_file_read(path, &size, error);
    if (data == NULL)
        return NULL;
    return library_decode_photo_data(data, size, path, min_short_side, info, error);
}
