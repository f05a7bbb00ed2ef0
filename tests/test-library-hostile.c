/* test-library-hostile.c: one regression input per class of hostile photo a fuzz campaign found
 * (issue #26), each generated here: every one is refused or decoded quickly with bounded
 * memory, in the indexer's own process; and all of them indexed beside good photos. */
#include "clip/clip-model.h"
#include "library/library-decoder.h"
#include "test-common.h"
#include "test-images.h"
#include "test-library-common.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <jpeglib.h>

/* Peak resident memory of this process (RUSAGE_SELF) or of its largest
 * reaped child (RUSAGE_CHILDREN), in MiB. */
static double peak_rss_mib(int who)
{
    struct rusage usage;
    getrusage(who, &usage);
    return usage.ru_maxrss / 1024.0;
}

/* Peak address space of this process (VmPeak), in MiB: a reservation
 * never touched counts here, not in the RSS, and fails where memory is not
 * overcommitted. */
static double peak_address_space_mib(void)
{
    g_autofree char *status = NULL;
    g_assert_true(g_file_get_contents("/proc/self/status", &status, NULL, NULL));
    const char *line = strstr(status, "VmPeak:");
    g_assert_nonnull(line);
    return g_ascii_strtod(line + strlen("VmPeak:"), NULL) / 1024.0;
}

typedef struct {
    GBytes *bytes;
    const char *name;
    const char *error; /* expected in the message, or NULL: it decodes */
} HostileCase;

/* Decodes in a subprocess of its own, so that its peak memory is the
 * decode's: under 200 MiB resident, 1 GiB of address space and a few
 * seconds, or the test fails. */
static void decode_bounded(const HostileCase *hostile)
{
    double before = peak_rss_mib(RUSAGE_SELF);
    double space_before = peak_address_space_mib();
    gint64 start = g_get_monotonic_time();
    g_autoptr(GError) error = NULL;
    gsize size = 0;
    const uint8_t *data = g_bytes_get_data(hostile->bytes, &size);
    g_autoptr(ClipRgbImage) image =
        library_decode_photo_data(data, size, hostile->name, 0, NULL, &error);
    double seconds = (g_get_monotonic_time() - start) / 1e6;
    double peak = peak_rss_mib(RUSAGE_SELF);
    double space = peak_address_space_mib();
    g_test_message("%s (%zu bytes): %s; %.2f s, peak RSS %.0f MiB (%.0f before), peak address "
                   "space %.0f MiB (%.0f before)",
                   hostile->name, (size_t)size, image != NULL ? "decoded" : error->message, seconds,
                   peak, before, space, space_before);
    if (hostile->error != NULL) {
        g_assert_null(image);
        g_assert_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED);
        g_assert_nonnull(strstr(error->message, hostile->error));
    } else {
        g_assert_no_error(error);
    }
    g_assert_cmpfloat(peak - before, <, 200.0);
    g_assert_cmpfloat(space - space_before, <, 1024.0);
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
static GBytes *png_with_chunk_claim(void)
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
    return g_byte_array_free_to_bytes(out);
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

/* A progressive JPEG whose frame claims 14136 × 14136 pixels (within the
 * pixel limit): its coefficients would take 600 MB before a byte of them
 * is read. */
static GBytes *jpeg_huge_progressive(void)
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
    return g_bytes_new_take(data, size);
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

/* A BMP whose info-header size says 0xfffffff0: gdk-pixbuf's loader grew
 * its read buffer to it before looking further, a 4 GiB reallocation (the
 * fuzzer's find). Whole: 4 × 4 pixels and all their bytes; or cut to 28
 * bytes, shorter than any header but the OS/2 one. */
static GBytes *bmp_claiming_4_gib_header(gboolean whole)
{
    const size_t size = whole ? 54 + 4 * 4 * 3 : 28;
    uint8_t *data = g_malloc0(size);
    data[0] = 'B', data[1] = 'M';
    data[2] = (uint8_t)size;
    data[10] = 54;
    data[14] = 0xf0, data[15] = data[16] = data[17] = 0xff;
    data[18] = 4, data[22] = 4;
    if (whole)
        data[26] = 1, data[28] = 24;
    return g_bytes_new_take(data, size);
}

/* Every class, with its file name and what decoding it must give. */
typedef struct {
    const char *name;
    GBytes *(*make)(gconstpointer arg);
    gconstpointer arg;
    const char *error; /* NULL: it decodes */
} HostileClass;

static GBytes *make_png_chunk_claim(G_GNUC_UNUSED gconstpointer arg)
{
    return png_with_chunk_claim();
}

static GBytes *make_jpeg_many_scans(G_GNUC_UNUSED gconstpointer arg)
{
    return jpeg_with_many_scans();
}

static GBytes *make_jpeg_huge_progressive(G_GNUC_UNUSED gconstpointer arg)
{
    return jpeg_huge_progressive();
}

static GBytes *make_tiny_bmp(gconstpointer arg)
{
    guint compression = GPOINTER_TO_UINT(arg);
    return tiny_bmp(compression == 0 ? 12 : 40, compression);
}

static GBytes *make_bmp_claiming_4_gib_header(gconstpointer arg)
{
    return bmp_claiming_4_gib_header(GPOINTER_TO_INT(arg));
}

static const HostileClass hostile_classes[] = {
    {"chunk-claim.png", make_png_chunk_claim, NULL, NULL},
    {"many-scans.jpg", make_jpeg_many_scans, NULL, "more than 100 progressive scans"},
    {"huge-progressive.jpg", make_jpeg_huge_progressive, NULL,
     "JPEG needs more than 512 MiB to decode"},
    {"os2.bmp", make_tiny_bmp, GUINT_TO_POINTER(0), "truncated BMP data"},
    {"rle8.bmp", make_tiny_bmp, GUINT_TO_POINTER(1), "truncated BMP data"},
    {"rle4.bmp", make_tiny_bmp, GUINT_TO_POINTER(2), "truncated BMP data"},
    {"header-size.bmp", make_bmp_claiming_4_gib_header, GINT_TO_POINTER(TRUE),
     "unsupported BMP header (4294967280 bytes)"},
    {"short-header.bmp", make_bmp_claiming_4_gib_header, GINT_TO_POINTER(FALSE),
     "unsupported BMP header (4294967280 bytes)"},
};

static void test_decode_class(gconstpointer data)
{
    const HostileClass *class = data;
    HostileCase hostile = {class->make(class->arg), class->name, class->error};
    run_case(&hostile);
    g_bytes_unref(hostile.bytes);
}

/* Indexes every class beside good photos, as the library always indexes
 * (decoding in the sandbox's helpers), in a subprocess whose peak memory is
 * the run's: each hostile file fails with its reason or is embedded, the
 * good photos are embedded, in seconds; neither the indexer nor any helper
 * goes past 300 MiB resident. */
static void index_beside_good_photos(void)
{
    g_autoptr(TestLibraryModel) model = test_library_model_open("tiny-f32/hf");
    g_assert_nonnull(model);
    g_autofree char *tmp = test_library_tmp_dir();
    g_autofree char *photos = g_build_filename(tmp, "photos", NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(hostile_classes); i++) {
        g_autofree char *path = g_build_filename(photos, hostile_classes[i].name, NULL);
        g_autoptr(GBytes) bytes = hostile_classes[i].make(hostile_classes[i].arg);
        test_library_write_bytes(path, bytes);
    }
    const char *good[] = {"good-1.jpg", "good-2.png", "good-3.jpg"};
    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autofree char *path = g_build_filename(photos, good[i], NULL);
        if (g_str_has_suffix(path, ".png"))
            test_library_write_png(path, 640, 480, i);
        else
            test_library_write_jpeg(path, 1600, 1200, i);
    }

    g_autofree char *db = g_build_filename(tmp, "library.db", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(LibraryStore) store = library_store_open(db, &error);
    g_assert_no_error(error);
    double before = peak_rss_mib(RUSAGE_SELF);
    gint64 start = g_get_monotonic_time();
    LibraryIndexResult result;
    const char *folders[] = {photos, NULL};
    test_library_index(store, model, folders, &result);
    double seconds = (g_get_monotonic_time() - start) / 1e6;
    double peak = peak_rss_mib(RUSAGE_SELF), helpers = peak_rss_mib(RUSAGE_CHILDREN);
    g_test_message("indexed in %.2f s: %u embedded, %u failed; peak RSS %.0f MiB (%.0f before), "
                   "largest helper %.0f MiB",
                   seconds, result.embedded, result.failed->len, peak, before, helpers);

    guint expected_failures = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(hostile_classes); i++) {
        const HostileClass *class = &hostile_classes[i];
        const LibraryIndexFailure *found = NULL;
        for (guint f = 0; f < result.failed->len; f++) {
            const LibraryIndexFailure *failure = g_ptr_array_index(result.failed, f);
            if (g_str_has_suffix(failure->path, class->name))
                found = failure;
        }
        g_test_message("%s: %s", class->name, found != NULL ? found->error : "embedded");
        if (class->error == NULL) {
            g_assert_null(found);
            continue;
        }
        expected_failures++;
        g_assert_nonnull(found);
        g_assert_nonnull(strstr(found->error, class->error));
    }
    g_assert_cmpuint(result.failed->len, ==, expected_failures);
    g_assert_cmpuint(result.embedded, ==,
                     G_N_ELEMENTS(hostile_classes) - expected_failures + G_N_ELEMENTS(good));
    g_assert_cmpfloat(peak - before, <, 300.0);
    g_assert_cmpfloat(helpers, <, 300.0);
    g_assert_cmpfloat(seconds, <, 30.0);
    library_index_result_clear(&result);
    test_library_remove_tree(tmp);
}

static void test_index_beside_good_photos(void)
{
    if (g_test_subprocess()) {
        index_beside_good_photos();
        return;
    }
    /* Skipped here, not in the subprocess, whose skip reads as a failure. */
    g_autofree char *fixture = test_fixture_path("tiny-f32/hf");
    if (fixture == NULL)
        return;
    g_test_trap_subprocess(NULL, 110 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(hostile_classes); i++) {
        g_autofree char *test_path =
            g_strconcat("/library/hostile/decode/", hostile_classes[i].name, NULL);
        g_test_add_data_func(test_path, &hostile_classes[i], test_decode_class);
    }
    g_test_add_func("/library/hostile/index-beside-good-photos", test_index_beside_good_photos);
    return g_test_run();
}
