/* library-decode-jpeg.c: JPEG through libjpeg to 8-bit RGB, as PIL gives it
 * (CMYK included), scaled while decoding where the caller allows
 * (library-decode-private.h). */
#include "library/library-decode-private.h"

#include "clip/clip-model.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

/* libjpeg's error manager, extended with what the setjmp() handler needs:
 * the buffers to free are volatile so that it sees their last values. */
typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    uint8_t *volatile pixels;
    uint8_t *volatile cmyk_row;
} JpegErrorManager;

/* A progressive JPEG is decoded scan after scan over the whole image's
 * coefficients: a legal 695 KB file of 14136 × 14136 pixels in 883 scans
 * (nearly all end-of-band runs) took 40 s and 1 GB. Photos have about ten
 * scans; libjpeg-turbo's own tools stop at 500 (-maxscans), and so do we,
 * sooner. */
#define JPEG_MAX_SCANS 100
/* The coefficients a progressive decode buffers (about 2 bytes a sample:
 * 36 MB for 12 MP at 4:2:0, 300 MB for 50 MP at 4:4:4), refused beyond this
 * at jpeg_start_decompress() instead of being allocated. */
#define JPEG_MAX_MEMORY (512L << 20)

static void jpeg_error_exit_callback(j_common_ptr cinfo)
{
    JpegErrorManager *manager = (JpegErrorManager *)cinfo->err;
    manager->base.format_message(cinfo, manager->message);
    longjmp(manager->jump, 1);
}

/* Called between passes and scans; past the limit, the decode ends as an error. */
static void jpeg_progress_callback(j_common_ptr cinfo)
{
    j_decompress_ptr decompress = (j_decompress_ptr)cinfo;
    if (decompress->progressive_mode && decompress->input_scan_number > JPEG_MAX_SCANS) {
        JpegErrorManager *manager = (JpegErrorManager *)cinfo->err;
        manager->base.msg_code = 0;
        g_snprintf(manager->message, sizeof manager->message, "more than %d progressive scans",
                   JPEG_MAX_SCANS);
        longjmp(manager->jump, 1);
    }
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
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length >= sizeof library_exif_header &&
            memcmp(marker->data, library_exif_header, sizeof library_exif_header) == 0)
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

ClipRgbImage *library_decode_jpeg(const uint8_t *data, size_t size, const char *name,
                                  uint32_t min_short_side, LibraryDecodeDetails *details,
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
        else if (manager.base.msg_code == JERR_NO_BACKING_STORE)
            /* What libjpeg says when JPEG_MAX_MEMORY would be exceeded. */
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                        "%s: JPEG needs more than %ld MiB to decode", name, JPEG_MAX_MEMORY >> 20);
        else
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: invalid JPEG data: %s", name,
                        manager.message);
        g_free(manager.pixels);
        g_free(manager.cmyk_row);
        jpeg_destroy_decompress(&cinfo);
        return NULL;
    }
    jpeg_create_decompress(&cinfo);
    cinfo.mem->max_memory_to_use = JPEG_MAX_MEMORY;
    struct jpeg_progress_mgr progress = {.progress_monitor = jpeg_progress_callback};
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, data, size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&cinfo, TRUE);

    /* Checked on the full size: progressive decoding buffers the whole image. */
    if (!clip_rgb_image_check_size(name, cinfo.image_width, cinfo.image_height, error)) {
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
    details->exif = jpeg_exif_block(&cinfo);
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    g_free(manager.cmyk_row);

    return library_decode_orient(clip_rgb_image_wrap(width, height, manager.pixels), name, details,
                                 error);
}
