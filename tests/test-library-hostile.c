/* test-library-hostile.c: one regression input per class of hostile photo a fuzz campaign found
 * (issue #26), each generated here: every one is refused or decoded quickly with bounded
 * memory, in the indexer's own process. */
#include "clip/clip-model.h"
#include "library/library-decoder.h"
#include "test-images.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <jpeglib.h>

/* Peak resident memory of this process, in MiB. */
static double peak_rss_mib(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024.0;
}

typedef struct {
    GBytes *bytes;
    const char *name;
    const char *error; /* expected in the message, or NULL: it decodes */
} HostileCase;

/* Decodes in a subprocess of its own, so that its peak memory is the
 * decode's: under 200 MiB and a few seconds, or the test fails. */
static void decode_bounded(const HostileCase *hostile)
{
    double before = peak_rss_mib();
    gint64 start = g_get_monotonic_time();
    g_autoptr(GError) error = NULL;
    gsize size = 0;
    const uint8_t *data = g_bytes_get_data(hostile->bytes, &size);
    g_autoptr(ClipRgbImage) image =
        library_decode_photo_data(data, size, hostile->name, 0, NULL, &error);
    double seconds = (g_get_monotonic_time() - start) / 1e6;
    double peak = peak_rss_mib();
    g_test_message("%s (%zu bytes): %s; %.2f s, peak RSS %.0f MiB (%.0f before)", hostile->name,
                   (size_t)size, image != NULL ? "decoded" : error->message, seconds, peak, before);
    if (hostile->error != NULL) {
        g_assert_null(image);
        g_assert_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED);
        g_assert_nonnull(strstr(error->message, hostile->error));
    } else {
        g_assert_no_error(error);
    }
    g_assert_cmpfloat(peak - before, <, 200.0);
    g_assert_cmpfloat(seconds, <, 5.0);
}

static void run_case(HostileCase *hostile)
{
    if (g_test_subprocess()) {
        decode_bounded(hostile);
        return;
    }
    g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
}

static uint32_t be32(const uint8_t *at)
{
    return (uint32_t)at[0] << 24 | (uint32_t)at[1] << 16 | (uint32_t)at[2] << 8 | at[3];
}

/* PNG: a tEXt chunk after the image data claiming 2 GB, the file ending
 * soon after, as the 277-byte find did. libpng allocated and zero-filled
 * the whole claim before reading it. */
static void test_png_chunk_claim(void)
{
    g_autofree uint8_t *rgb = test_make_quadrants(8, 8);
    g_autoptr(GBytes) png = test_png_encode(rgb, 8, 8, NULL);
    gsize size = 0;
    const uint8_t *data = g_bytes_get_data(png, &size);
    /* Everything before IEND (its 12 bytes end the file). */
    g_assert_cmpuint(be32(data + size - 8), ==, 0x49454e44);
    GByteArray *out = g_byte_array_new();
    g_byte_array_append(out, data, size - 12);
    uint8_t header[8];
    test_put_be32(header, 0x7ffffff0u);
    memcpy(header + 4, "tEXt", 4);
    g_byte_array_append(out, header, sizeof header);
    g_byte_array_append(out, (const uint8_t *)"Comment\0hostile", 15);
    HostileCase hostile = {g_byte_array_free_to_bytes(out), "chunk-claim.png", NULL};
    run_case(&hostile);
    g_bytes_unref(hostile.bytes);
}

/* A legal progressive JPEG of 16 × 16 pixels in 190 scans: the DC scan,
 * then every AC coefficient of every component in a scan of its own. */
static GBytes *jpeg_with_many_scans(void)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    unsigned char *buffer = NULL;
    unsigned long size = 0;
    jpeg_mem_dest(&cinfo, &buffer, &size);
    cinfo.image_width = 16;
    cinfo.image_height = 16;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    static jpeg_scan_info scans[1 + 3 * 63];
    scans[0] = (jpeg_scan_info){.comps_in_scan = 3, .component_index = {0, 1, 2}};
    int n = 1;
    for (int component = 0; component < 3; component++)
        for (int k = 1; k < 64; k++, n++)
            scans[n] = (jpeg_scan_info){
                .comps_in_scan = 1, .component_index = {component}, .Ss = k, .Se = k};
    cinfo.scan_info = scans;
    cinfo.num_scans = n;
    jpeg_start_compress(&cinfo, TRUE);
    g_autofree uint8_t *rgb = test_make_quadrants(16, 16);
    while (cinfo.next_scanline < 16) {
        JSAMPROW row = rgb + cinfo.next_scanline * 16 * 3;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    GBytes *bytes = g_bytes_new(buffer, size);
    free(buffer);
    return bytes;
}

static void test_jpeg_many_scans(void)
{
    HostileCase hostile = {jpeg_with_many_scans(), "many-scans.jpg",
                           "more than 100 progressive scans"};
    run_case(&hostile);
    g_bytes_unref(hostile.bytes);
}

/* A progressive JPEG whose frame claims 14136 × 14136 pixels (within the
 * pixel limit): its coefficients would take 600 MB before a byte of them
 * is read. */
static void test_jpeg_huge_progressive(void)
{
    g_autofree uint8_t *rgb = test_make_quadrants(16, 16);
    TestJpegSpec spec = {.width = 16,
                         .height = 16,
                         .color_space = JCS_RGB,
                         .samples = rgb,
                         .quality = 90,
                         .progressive = TRUE};
    g_autoptr(GBytes) small = test_jpeg_encode(&spec);
    gsize size = 0;
    uint8_t *data = g_memdup2(g_bytes_get_data(small, NULL), g_bytes_get_size(small));
    size = g_bytes_get_size(small);
    gboolean patched = FALSE;
    for (gsize i = 2; i + 9 < size && !patched; i++) {
        if (data[i] == 0xff && data[i + 1] == 0xc2) {
            /* SOF2: length (2), precision (1), height (2), width (2). */
            data[i + 5] = data[i + 7] = 14136 >> 8;
            data[i + 6] = data[i + 8] = 14136 & 0xff;
            patched = TRUE;
        }
    }
    g_assert_true(patched);
    HostileCase hostile = {g_bytes_new_take(data, size), "huge-progressive.jpg",
                           "JPEG needs more than 512 MiB to decode"};
    run_case(&hostile);
    g_bytes_unref(hostile.bytes);
}

/* 90-byte BMPs promising 14000 × 14000 pixels: an OS/2 header, and RLE4. */
static GBytes *tiny_bmp(uint32_t header_size, uint32_t compression)
{
    uint8_t *data = g_malloc0(90);
    data[0] = 'B', data[1] = 'M';
    data[2] = 90;
    data[10] = (uint8_t)(14 + header_size);
    data[14] = (uint8_t)header_size;
    if (header_size == 12) {
        data[18] = 14000 & 0xff, data[19] = 14000 >> 8;
        data[20] = 14000 & 0xff, data[21] = 14000 >> 8;
        data[22] = 1, data[24] = 24;
    } else {
        data[18] = 14000 & 0xff, data[19] = 14000 >> 8;
        data[22] = 14000 & 0xff, data[23] = 14000 >> 8;
        data[26] = 1, data[28] = compression == 2 ? 4 : 8;
        data[30] = (uint8_t)compression;
    }
    return g_bytes_new_take(data, 90);
}

static void test_bmp_os2_header(void)
{
    HostileCase hostile = {tiny_bmp(12, 0), "os2.bmp", "truncated BMP data"};
    run_case(&hostile);
    g_bytes_unref(hostile.bytes);
}

static void test_bmp_rle(gconstpointer compression)
{
    HostileCase hostile = {tiny_bmp(40, GPOINTER_TO_UINT(compression)), "rle.bmp",
                           "truncated BMP data"};
    run_case(&hostile);
    g_bytes_unref(hostile.bytes);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/library/hostile/png-chunk-claim", test_png_chunk_claim);
    g_test_add_func("/library/hostile/jpeg-many-scans", test_jpeg_many_scans);
    g_test_add_func("/library/hostile/jpeg-huge-progressive", test_jpeg_huge_progressive);
    g_test_add_func("/library/hostile/bmp-os2-header", test_bmp_os2_header);
    g_test_add_data_func("/library/hostile/bmp-rle8", GUINT_TO_POINTER(1), test_bmp_rle);
    g_test_add_data_func("/library/hostile/bmp-rle4", GUINT_TO_POINTER(2), test_bmp_rle);
    return g_test_run();
}
