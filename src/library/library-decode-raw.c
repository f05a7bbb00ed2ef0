/* library-decode-raw.c: camera RAW files through LibRaw: the embedded preview
 * when it is large enough, else a half-size decode; metadata from LibRaw's
 * parse of the file (library-decode-private.h). */
#include "library/library-decode-private.h"

#include "clip/clip-model.h"

#include <string.h>
#include <time.h>

#include <libraw/libraw.h>

/* The raw sensor buffer LibRaw may allocate: a 100-megapixel back stores
 * 200 MB of 16-bit samples; more than this is not a photo but an attack. */
#define RAW_MAX_MEMORY_MB 512u

/* The TIFF walk: the most IFDs and entries it follows in a file. */
#define TIFF_MAX_IFDS    64
#define TIFF_MAX_ENTRIES 1024

static const char *const raw_extensions[] = {
    "dng", "cr2", "cr3", "crw", "nef", "nrw", "arw", "srf", "sr2",
    "raf", "orf", "rw2", "pef", "srw", "x3f", "3fr", "iiq", "erf",
};

gboolean library_is_raw_name(const char *name)
{
    const char *base = strrchr(name, G_DIR_SEPARATOR);
    base = base != NULL ? base + 1 : name;
    const char *dot = strrchr(base, '.');
    if (dot == NULL || dot == base)
        return FALSE;
    for (size_t i = 0; i < G_N_ELEMENTS(raw_extensions); i++)
        if (g_ascii_strcasecmp(dot + 1, raw_extensions[i]) == 0)
            return TRUE;
    return FALSE;
}

/* Truncation: LibRaw reads past the end of a cut file as if it held zeros,
 * and the embedded preview often comes before the sensor data, so a cut
 * file would look whole. TIFF-based RAWs (DNG, CR2, NEF, ARW, PEF, ORF,
 * RW2) list where their strips and tiles end: the walk checks the file
 * reaches that far. */

typedef struct {
    const uint8_t *data;
    size_t size;
    gboolean big_endian;
    guint ifds;
    uint64_t end; /* the furthest byte a strip, tile or JPEG preview reaches */
} TiffWalk;

static uint32_t tiff_uint(const TiffWalk *walk, size_t at, int bytes)
{
    uint32_t value = 0;
    for (int i = 0; i < bytes; i++) {
        int shift = walk->big_endian ? 8 * (bytes - 1 - i) : 8 * i;
        value |= (uint32_t)walk->data[at + i] << shift;
    }
    return value;
}

/* An entry's values: SHORT or LONG, inline or at an offset. FALSE when
 * they lie outside the file (a cut IFD). */
static gboolean tiff_entry_values(const TiffWalk *walk, size_t entry, size_t *at, uint32_t *count,
                                  int *bytes)
{
    uint32_t type = tiff_uint(walk, entry + 2, 2);
    *count = tiff_uint(walk, entry + 4, 4);
    *bytes = type == 3 ? 2 : type == 4 || type == 13 ? 4 : 0;
    if (*bytes == 0)
        return TRUE; /* not offsets or sizes: nothing to check */
    uint64_t length = (uint64_t)*count * (uint64_t)*bytes;
    *at = length <= 4 ? entry + 8 : tiff_uint(walk, entry + 8, 4);
    return *at + length <= walk->size;
}

static uint32_t tiff_value(const TiffWalk *walk, size_t at, int bytes, uint32_t i)
{
    return tiff_uint(walk, at + (size_t)i * (size_t)bytes, bytes);
}

/* Pairs of offset and length tags: strips, tiles, the old JPEG preview. */
static const uint16_t tiff_offset_tags[][2] = {{273, 279}, {324, 325}, {513, 514}};

static gboolean tiff_walk_ifd(TiffWalk *walk, uint32_t offset, int depth);

/* The extents an IFD's offset/length pairs reach; SubIFDs walked too. */
static gboolean tiff_walk_entries(TiffWalk *walk, size_t ifd, uint32_t n, int depth)
{
    for (size_t p = 0; p < G_N_ELEMENTS(tiff_offset_tags); p++) {
        size_t offsets_at = 0, lengths_at = 0;
        uint32_t offsets_n = 0, lengths_n = 0;
        int offsets_bytes = 0, lengths_bytes = 0;
        gboolean has_offsets = FALSE, has_lengths = FALSE;
        for (uint32_t i = 0; i < n; i++) {
            size_t entry = ifd + 2 + 12 * (size_t)i;
            uint32_t tag = tiff_uint(walk, entry, 2);
            if (tag == tiff_offset_tags[p][0])
                has_offsets = TRUE;
            else if (tag == tiff_offset_tags[p][1])
                has_lengths = TRUE;
            else
                continue;
            gboolean ok =
                tag == tiff_offset_tags[p][0]
                    ? tiff_entry_values(walk, entry, &offsets_at, &offsets_n, &offsets_bytes)
                    : tiff_entry_values(walk, entry, &lengths_at, &lengths_n, &lengths_bytes);
            if (!ok)
                return FALSE;
        }
        if (!has_offsets || !has_lengths || offsets_bytes == 0 || lengths_bytes == 0)
            continue;
        for (uint32_t i = 0; i < MIN(offsets_n, lengths_n); i++) {
            uint64_t end = (uint64_t)tiff_value(walk, offsets_at, offsets_bytes, i) +
                           tiff_value(walk, lengths_at, lengths_bytes, i);
            walk->end = MAX(walk->end, end);
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        size_t entry = ifd + 2 + 12 * (size_t)i, at = 0;
        uint32_t count = 0;
        int bytes = 0;
        if (tiff_uint(walk, entry, 2) != 330) /* SubIFDs: the sensor data of DNG and NEF */
            continue;
        if (!tiff_entry_values(walk, entry, &at, &count, &bytes))
            return FALSE;
        for (uint32_t k = 0; bytes == 4 && k < count; k++)
            if (!tiff_walk_ifd(walk, tiff_value(walk, at, 4, k), depth + 1))
                return FALSE;
    }
    return TRUE;
}

/* FALSE when the IFD itself runs past the end of the file. */
static gboolean tiff_walk_ifd(TiffWalk *walk, uint32_t offset, int depth)
{
    if (offset == 0 || depth > 4 || ++walk->ifds > TIFF_MAX_IFDS)
        return TRUE;
    if ((uint64_t)offset + 2 > walk->size)
        return FALSE;
    uint32_t n = tiff_uint(walk, offset, 2);
    if (n > TIFF_MAX_ENTRIES)
        return TRUE; /* not an IFD we understand; LibRaw judges it */
    if ((uint64_t)offset + 2 + 12 * (uint64_t)n + 4 > walk->size)
        return FALSE;
    if (!tiff_walk_entries(walk, offset, n, depth))
        return FALSE;
    return depth > 0 || tiff_walk_ifd(walk, tiff_uint(walk, offset + 2 + 12 * (size_t)n, 4), 0);
}

/* TRUE when a TIFF-based RAW's IFDs, strips or tiles run past the end. */
static gboolean raw_tiff_is_truncated(const uint8_t *data, size_t size)
{
    if (size < 8 || !((data[0] == 'I' && data[1] == 'I') || (data[0] == 'M' && data[1] == 'M')))
        return FALSE; /* RAF, CR3, CRW: LibRaw's checks alone */
    TiffWalk walk = {.data = data, .size = size, .big_endian = data[0] == 'M'};
    uint32_t magic = tiff_uint(&walk, 2, 2);
    /* TIFF's 42, Panasonic's 0x55, Olympus's "RO" and "SR". */
    if (magic != 42 && magic != 0x55 && magic != 0x4f52 && magic != 0x5352)
        return FALSE;
    return !tiff_walk_ifd(&walk, tiff_uint(&walk, 4, 4), 0) || walk.end > size;
}

/* LibRaw */

/* What LibRaw's callbacks saw; they print to stderr unless replaced. */
typedef struct {
    gboolean data_error, end_of_data, memory_error;
} RawProblems;

static void raw_data_error(void *data, const char *file, const int offset)
{
    RawProblems *problems = data;
    problems->data_error = TRUE;
    if (offset < 0)
        problems->end_of_data = TRUE;
}

static void raw_memory_error(void *data, const char *file, const char *where)
{
    ((RawProblems *)data)->memory_error = TRUE;
}

static void raw_set_error(const char *name, int code, const RawProblems *problems, GError **error)
{
    if (problems->end_of_data || code == LIBRAW_IO_ERROR)
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: truncated RAW data", name);
    else if (problems->memory_error || code == LIBRAW_UNSUFFICIENT_MEMORY ||
             code == LIBRAW_TOO_BIG || code == LIBRAW_MEMPOOL_OVERFLOW)
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: RAW image is too large for LibRaw's memory limit", name);
    else if (code == LIBRAW_FILE_UNSUPPORTED)
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: not a RAW file LibRaw can read",
                    name);
    else if (code == LIBRAW_NOT_IMPLEMENTED)
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED, "%s: unsupported RAW variant: %s",
                    name, libraw_strerror(code));
    else
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: invalid RAW data: %s", name,
                    code != LIBRAW_SUCCESS ? libraw_strerror(code) : "corrupt sensor data");
}

/* dcraw's flip (bit 0: mirror vertically, bit 1: mirror horizontally, bit 2:
 * transpose) as the EXIF orientation it came from ("50132467" in dcraw). */
static int raw_flip_to_orientation(int flip)
{
    static const int orientations[8] = {1, 4, 2, 3, 5, 8, 6, 7};
    return flip >= 0 && flip < 8 ? orientations[flip] : 1;
}

/* An 8-bit RGB (or grey) LibRaw image as a ClipRgbImage. */
static ClipRgbImage *raw_image_from_processed(const libraw_processed_image_t *processed,
                                              const char *name, GError **error)
{
    if (processed->type != LIBRAW_IMAGE_BITMAP || processed->bits != 8 ||
        (processed->colors != 3 && processed->colors != 1)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED, "%s: unsupported RAW pixel layout",
                    name);
        return NULL;
    }
    uint32_t width = processed->width, height = processed->height;
    if ((uint64_t)width * height * processed->colors > processed->data_size) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: RAW image decoded to an unexpected size", name);
        return NULL;
    }
    uint8_t *rgb = clip_rgb_pixels_try_alloc(name, width, height, 3, error);
    if (rgb == NULL)
        return NULL;
    size_t pixels = (size_t)width * height;
    if (processed->colors == 3)
        memcpy(rgb, processed->data, pixels * 3);
    else
        for (size_t i = 0; i < pixels; i++)
            memset(rgb + 3 * i, processed->data[i], 3);
    return clip_rgb_image_wrap(width, height, rgb);
}

/* The embedded preview, when its shorter side reaches wanted; NULL (no
 * error) when there is none, it is too small or it cannot be decoded: the
 * sensor data is then decoded instead. Previews are stored as the sensor
 * is: the RAW's orientation applies, unless a JPEG preview's own EXIF
 * already turned it. */
static ClipRgbImage *raw_decode_preview(libraw_data_t *raw, const char *name,
                                        uint32_t wanted_short_side, uint32_t min_short_side,
                                        int orientation)
{
    if (libraw_unpack_thumb(raw) != LIBRAW_SUCCESS)
        return NULL;
    g_autoptr(GError) local = NULL;
    ClipRgbImage *image = NULL;
    if (raw->thumbnail.tformat == LIBRAW_THUMBNAIL_JPEG) {
        /* The bytes as stored: libraw_dcraw_make_mem_thumb() would add an
         * EXIF block carrying the RAW's orientation. */
        LibraryDecodeDetails details = {.orientation = 1};
        image = library_decode_jpeg((const uint8_t *)raw->thumbnail.thumb, raw->thumbnail.tlength,
                                    name, min_short_side, &details, &local);
        if (details.orientation != 1)
            orientation = 1;
        library_decode_details_clear(&details);
    } else {
        int code = LIBRAW_SUCCESS;
        libraw_processed_image_t *thumb = libraw_dcraw_make_mem_thumb(raw, &code);
        if (thumb == NULL)
            return NULL;
        image = raw_image_from_processed(thumb, name, &local);
        libraw_dcraw_clear_mem(thumb);
    }
    if (image != NULL && (MIN(image->width, image->height) < wanted_short_side ||
                          !library_decode_apply_orientation(image, orientation, name, &local)))
        g_clear_pointer(&image, clip_rgb_image_free);
    return image;
}

/* The sensor data demosaiced at half size (each 2×2 Bayer block one pixel,
 * no interpolation), camera white balance, sRGB, LibRaw's orientation. */
static ClipRgbImage *raw_decode_half_size(libraw_data_t *raw, const char *name,
                                          const RawProblems *problems, GError **error)
{
    if (!clip_rgb_image_check_size(name, (raw->sizes.width + 1u) / 2, (raw->sizes.height + 1u) / 2,
                                   error))
        return NULL;
    int code = libraw_unpack(raw);
    if (code == LIBRAW_SUCCESS && !problems->data_error)
        code = libraw_dcraw_process(raw);
    if (code != LIBRAW_SUCCESS || problems->data_error) {
        raw_set_error(name, code, problems, error);
        return NULL;
    }
    libraw_processed_image_t *processed = libraw_dcraw_make_mem_image(raw, &code);
    if (processed == NULL) {
        raw_set_error(name, code, problems, error);
        return NULL;
    }
    ClipRgbImage *image = raw_image_from_processed(processed, name, error);
    libraw_dcraw_clear_mem(processed);
    return image;
}

/* Date taken, camera and position as LibRaw parsed them from the file's EXIF
 * (or the maker's own tags, for RAF and CR3). */
static void raw_fill_info(const libraw_data_t *raw, LibraryPhotoInfo *info)
{
    int orientation = raw_flip_to_orientation(raw->sizes.flip);
    gboolean transposed = orientation >= 5;
    info->format = g_strdup("raw");
    info->width = transposed ? raw->sizes.height : raw->sizes.width;
    info->height = transposed ? raw->sizes.width : raw->sizes.height;
    info->orientation = orientation;
    if (raw->idata.make[0] != '\0')
        info->camera_make = g_strdup(raw->idata.make);
    if (raw->idata.model[0] != '\0')
        info->camera_model = g_strdup(raw->idata.model);
    /* LibRaw turns the EXIF date (local time, no zone) into a time_t with
     * mktime(); localtime_r() gives the fields back. */
    struct tm tm;
    time_t timestamp = raw->other.timestamp;
    if (timestamp > 0 && localtime_r(&timestamp, &tm) != NULL)
        info->taken = g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    const libraw_gps_info_t *gps = &raw->other.parsed_gps;
    if (gps->gpsparsed) {
        double latitude = gps->latitude[0] + gps->latitude[1] / 60.0 + gps->latitude[2] / 3600.0;
        double longitude =
            gps->longitude[0] + gps->longitude[1] / 60.0 + gps->longitude[2] / 3600.0;
        info->has_location = TRUE;
        info->latitude = gps->latref == 'S' ? -latitude : latitude;
        info->longitude = gps->longref == 'W' ? -longitude : longitude;
    }
}

ClipRgbImage *library_decode_raw(const uint8_t *data, size_t size, const char *name,
                                 uint32_t min_short_side, LibraryPhotoInfo *info, GError **error)
{
    if (size == 0) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: empty file", name);
        return NULL;
    }
    libraw_data_t *raw = libraw_init(0);
    if (raw == NULL) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: out of memory for LibRaw", name);
        return NULL;
    }
    RawProblems problems = {0};
    libraw_set_dataerror_handler(raw, raw_data_error, &problems);
    libraw_set_memerror_handler(raw, raw_memory_error, &problems);
    raw->params.max_raw_memory_mb = RAW_MAX_MEMORY_MB;
    raw->params.half_size = 1;
    raw->params.use_camera_wb = 1;
    raw->params.output_bps = 8;

    ClipRgbImage *image = NULL;
    /* LibRaw only reads the buffer: the cast is for 0.20's prototype. */
    int code = libraw_open_buffer(raw, (void *)data, size);
    if (code != LIBRAW_SUCCESS || problems.data_error) {
        raw_set_error(name, code, &problems, error);
    } else if (raw_tiff_is_truncated(data, size)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: truncated RAW data", name);
    } else {
        /* The preview serves when it is as large as asked; for a full-size
         * request, when it is as large as the half-size decode would be. */
        uint32_t raw_short_side = MIN(raw->sizes.width, raw->sizes.height);
        uint32_t wanted = min_short_side > 0 ? min_short_side : (raw_short_side + 1) / 2;
        int orientation = raw_flip_to_orientation(raw->sizes.flip);
        image = raw_decode_preview(raw, name, wanted, min_short_side, orientation);
        if (image == NULL)
            image = raw_decode_half_size(raw, name, &problems, error);
        if (image != NULL && info != NULL)
            raw_fill_info(raw, info);
    }
    libraw_close(raw);
    return image;
}
