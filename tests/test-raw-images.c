/* test-raw-images.c: little-endian TIFF writing for the RAW layouts of test-raw-images.h. */
#include "test-raw-images.h"

#include <string.h>

enum { TIFF_BYTE = 1, TIFF_ASCII = 2, TIFF_SHORT = 3, TIFF_LONG = 4, TIFF_SRATIONAL = 10 };

typedef struct {
    uint16_t tag, type;
    uint32_t count;
    GByteArray *values; /* little-endian, count × the type's size */
} Entry;

typedef struct {
    GArray *entries; /* Entry, any order: written sorted by tag */
} Ifd;

static void put_le(GByteArray *out, uint32_t value, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        uint8_t byte = (uint8_t)(value >> (8 * i));
        g_byte_array_append(out, &byte, 1);
    }
}

static void patch_le32(GByteArray *out, size_t at, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        out->data[at + i] = (uint8_t)(value >> (8 * i));
}

static Ifd *ifd_new(void)
{
    Ifd *ifd = g_new0(Ifd, 1);
    ifd->entries = g_array_new(FALSE, FALSE, sizeof(Entry));
    return ifd;
}

static void ifd_free(Ifd *ifd)
{
    for (guint i = 0; i < ifd->entries->len; i++)
        g_byte_array_unref(g_array_index(ifd->entries, Entry, i).values);
    g_array_unref(ifd->entries);
    g_free(ifd);
}

static GByteArray *ifd_add(Ifd *ifd, uint16_t tag, uint16_t type, uint32_t count)
{
    Entry entry = {.tag = tag, .type = type, .count = count, .values = g_byte_array_new()};
    g_array_append_val(ifd->entries, entry);
    return entry.values;
}

static void ifd_shorts(Ifd *ifd, uint16_t tag, uint32_t n, const uint16_t *values)
{
    GByteArray *out = ifd_add(ifd, tag, TIFF_SHORT, n);
    for (uint32_t i = 0; i < n; i++)
        put_le(out, values[i], 2);
}

static void ifd_short(Ifd *ifd, uint16_t tag, uint16_t value)
{
    ifd_shorts(ifd, tag, 1, &value);
}

static void ifd_longs(Ifd *ifd, uint16_t tag, uint32_t n, const uint32_t *values)
{
    GByteArray *out = ifd_add(ifd, tag, TIFF_LONG, n);
    for (uint32_t i = 0; i < n; i++)
        put_le(out, values[i], 4);
}

static void ifd_long(Ifd *ifd, uint16_t tag, uint32_t value)
{
    ifd_longs(ifd, tag, 1, &value);
}

static void ifd_bytes(Ifd *ifd, uint16_t tag, uint32_t n, const uint8_t *values)
{
    g_byte_array_append(ifd_add(ifd, tag, TIFF_BYTE, n), values, n);
}

static void ifd_ascii(Ifd *ifd, uint16_t tag, const char *text)
{
    uint32_t n = (uint32_t)strlen(text) + 1;
    g_byte_array_append(ifd_add(ifd, tag, TIFF_ASCII, n), (const uint8_t *)text, n);
}

/* Signed rationals over 10000. */
static void ifd_srationals(Ifd *ifd, uint16_t tag, uint32_t n, const double *values)
{
    GByteArray *out = ifd_add(ifd, tag, TIFF_SRATIONAL, n);
    for (uint32_t i = 0; i < n; i++) {
        put_le(out, (uint32_t)(int32_t)(values[i] * 10000.0), 4);
        put_le(out, 10000, 4);
    }
}

static int entry_compare(gconstpointer a, gconstpointer b)
{
    return (int)((const Entry *)a)->tag - (int)((const Entry *)b)->tag;
}

/* Appends the IFD's out-of-line values, then the IFD (next IFD 0); returns
 * its offset. *patch_at (may be NULL) receives where the value of tag
 * patch_tag lies, for an offset known only later. */
static uint32_t ifd_write(Ifd *ifd, GByteArray *out, uint16_t patch_tag, size_t *patch_at)
{
    g_array_sort(ifd->entries, entry_compare);
    guint n = ifd->entries->len;
    g_autofree uint32_t *value_offsets = g_new0(uint32_t, n);
    for (guint i = 0; i < n; i++) {
        Entry *entry = &g_array_index(ifd->entries, Entry, i);
        if (entry->values->len <= 4)
            continue;
        if (out->len % 2 != 0)
            put_le(out, 0, 1);
        value_offsets[i] = out->len;
        g_byte_array_append(out, entry->values->data, entry->values->len);
    }
    if (out->len % 2 != 0)
        put_le(out, 0, 1);
    uint32_t offset = out->len;
    put_le(out, n, 2);
    for (guint i = 0; i < n; i++) {
        Entry *entry = &g_array_index(ifd->entries, Entry, i);
        put_le(out, entry->tag, 2);
        put_le(out, entry->type, 2);
        put_le(out, entry->count, 4);
        if (entry->tag == patch_tag && patch_at != NULL)
            *patch_at = out->len;
        if (entry->values->len > 4) {
            put_le(out, value_offsets[i], 4);
        } else {
            uint8_t inline_value[4] = {0};
            memcpy(inline_value, entry->values->data, entry->values->len);
            g_byte_array_append(out, inline_value, 4);
        }
    }
    put_le(out, 0, 4);
    return offset;
}

static uint32_t append_blob(GByteArray *out, const void *data, size_t size)
{
    if (out->len % 2 != 0)
        put_le(out, 0, 1);
    uint32_t offset = out->len;
    g_byte_array_append(out, data, (guint)size);
    return offset;
}

/* The Bayer mosaic (RGGB) of the picture, 12-bit samples in 16-bit words. */
static GByteArray *make_mosaic(const TestRawSpec *spec)
{
    GByteArray *mosaic = g_byte_array_sized_new(spec->width * spec->height * 2);
    for (uint32_t y = 0; y < spec->height; y++) {
        for (uint32_t x = 0; x < spec->width; x++) {
            int channel = (y % 2) + (x % 2); /* R at (0,0), G at (0,1) and (1,0), B at (1,1) */
            uint8_t value = spec->rgb[((size_t)y * spec->width + x) * 3 + channel];
            put_le(mosaic, (uint32_t)value * 4095 / 255, 2);
        }
    }
    return mosaic;
}

/* What both layouts say of the camera and the picture. */
static void add_camera_tags(Ifd *ifd, const TestRawSpec *spec, uint32_t exif_ifd)
{
    ifd_ascii(ifd, 271, spec->make);
    ifd_ascii(ifd, 272, spec->model);
    ifd_short(ifd, 274, (uint16_t)spec->orientation);
    if (spec->taken != NULL)
        ifd_ascii(ifd, 306, spec->taken);
    ifd_long(ifd, 34665, exif_ifd);
}

/* The sensor data's IFD; its StripOffsets is patched once the data is placed. */
static Ifd *sensor_ifd(const TestRawSpec *spec, uint32_t data_size)
{
    Ifd *ifd = ifd_new();
    ifd_long(ifd, 254, 0); /* NewSubfileType: the main image */
    ifd_long(ifd, 256, spec->width);
    ifd_long(ifd, 257, spec->height);
    ifd_short(ifd, 258, 16);
    ifd_short(ifd, 259, 1);     /* uncompressed */
    ifd_short(ifd, 262, 32803); /* CFA */
    ifd_long(ifd, 273, 0);
    ifd_short(ifd, 277, 1);
    ifd_long(ifd, 278, spec->height);
    ifd_long(ifd, 279, data_size);
    ifd_short(ifd, 284, 1);
    static const uint16_t repeat[2] = {2, 2};
    static const uint8_t pattern[4] = {0, 1, 1, 2};
    ifd_shorts(ifd, 33421, 2, repeat);
    ifd_bytes(ifd, 33422, 4, pattern);
    if (spec->layout == TEST_RAW_DNG) {
        static const uint8_t planes[3] = {0, 1, 2};
        ifd_bytes(ifd, 50710, 3, planes); /* CFAPlaneColor: R, G, B */
        ifd_short(ifd, 50711, 1);         /* CFALayout: rectangular */
        ifd_long(ifd, 50717, 4095);
    }
    return ifd;
}

GBytes *test_raw_make(const TestRawSpec *spec)
{
    g_assert_true(spec->width % 2 == 0 && spec->height % 2 == 0);
    g_autoptr(GByteArray) out = g_byte_array_new();
    static const uint8_t header[8] = {'I', 'I', 42, 0, 0, 0, 0, 0};
    g_byte_array_append(out, header, sizeof header);

    gsize preview_size = 0;
    const uint8_t *preview = g_bytes_get_data(spec->preview, &preview_size);
    uint32_t preview_at = append_blob(out, preview, preview_size);

    Ifd *exif = ifd_new();
    ifd_ascii(exif, 36867, spec->taken != NULL ? spec->taken : "    :  :     :  :  ");
    uint32_t exif_at = ifd_write(exif, out, 0, NULL);
    ifd_free(exif);

    g_autoptr(GByteArray) mosaic = make_mosaic(spec);
    Ifd *sensor = sensor_ifd(spec, mosaic->len);
    size_t sensor_strip_at = 0;
    uint32_t sensor_at = ifd_write(sensor, out, 273, &sensor_strip_at);
    ifd_free(sensor);

    Ifd *ifd0 = ifd_new();
    ifd_long(ifd0, 254, 1); /* a reduced-resolution image */
    add_camera_tags(ifd0, spec, exif_at);
    if (spec->layout == TEST_RAW_DNG) {
        /* IFD0 is the preview itself: JPEG strips. */
        uint32_t width = 0, height = 0;
        /* The JPEG's SOF0/SOF2 size, for the IFD's tags. */
        for (size_t i = 2; i + 9 < preview_size; i++) {
            if (preview[i] == 0xff && (preview[i + 1] == 0xc0 || preview[i + 1] == 0xc2)) {
                height = (uint32_t)preview[i + 5] << 8 | preview[i + 6];
                width = (uint32_t)preview[i + 7] << 8 | preview[i + 8];
                break;
            }
        }
        static const uint16_t bits[3] = {8, 8, 8};
        static const uint8_t version[4] = {1, 4, 0, 0}, backward[4] = {1, 1, 0, 0};
        /* XYZ to linear sRGB: the mosaic holds sRGB primaries. */
        static const double xyz_to_camera[9] = {3.2406, -1.5372, -0.4986, -0.9689, 1.8758,
                                                0.0415, 0.0557,  -0.2040, 1.0570};
        ifd_long(ifd0, 256, width);
        ifd_long(ifd0, 257, height);
        ifd_shorts(ifd0, 258, 3, bits);
        ifd_short(ifd0, 259, 7); /* JPEG */
        ifd_short(ifd0, 262, 6); /* YCbCr */
        ifd_long(ifd0, 273, preview_at);
        ifd_short(ifd0, 277, 3);
        ifd_long(ifd0, 278, height);
        ifd_long(ifd0, 279, (uint32_t)preview_size);
        ifd_long(ifd0, 330, sensor_at);
        ifd_bytes(ifd0, 50706, 4, version);
        ifd_bytes(ifd0, 50707, 4, backward);
        ifd_ascii(ifd0, 50708, spec->model);
        ifd_srationals(ifd0, 50721, 9, xyz_to_camera);
        ifd_short(ifd0, 50778, 21); /* CalibrationIlluminant1: D65 */
    } else {
        /* A 16 × 12 grey thumbnail in IFD0; the preview in a SubIFD of its own. */
        static const uint16_t bits[3] = {8, 8, 8};
        uint8_t thumb[16 * 12 * 3];
        memset(thumb, 128, sizeof thumb);
        uint32_t thumb_at = append_blob(out, thumb, sizeof thumb);
        Ifd *preview_ifd = ifd_new();
        ifd_long(preview_ifd, 254, 1);
        ifd_short(preview_ifd, 259, 6); /* old-style JPEG */
        ifd_long(preview_ifd, 513, preview_at);
        ifd_long(preview_ifd, 514, (uint32_t)preview_size);
        uint32_t preview_ifd_at = ifd_write(preview_ifd, out, 0, NULL);
        ifd_free(preview_ifd);
        uint32_t sub_ifds[2] = {preview_ifd_at, sensor_at};
        ifd_long(ifd0, 256, 16);
        ifd_long(ifd0, 257, 12);
        ifd_shorts(ifd0, 258, 3, bits);
        ifd_short(ifd0, 259, 1);
        ifd_short(ifd0, 262, 2);
        ifd_long(ifd0, 273, thumb_at);
        ifd_short(ifd0, 277, 3);
        ifd_long(ifd0, 278, 12);
        ifd_long(ifd0, 279, sizeof thumb);
        ifd_longs(ifd0, 330, 2, sub_ifds);
    }
    uint32_t ifd0_at = ifd_write(ifd0, out, 0, NULL);
    ifd_free(ifd0);
    patch_le32(out, 4, ifd0_at);

    uint32_t mosaic_at = append_blob(out, mosaic->data, mosaic->len);
    patch_le32(out, sensor_strip_at, mosaic_at);
    return g_byte_array_free_to_bytes(g_steal_pointer(&out));
}
