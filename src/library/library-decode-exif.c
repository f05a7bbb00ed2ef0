/* library-decode-exif.c: the one EXIF reader, through libexif: orientation
 * for every decoder, and date taken, camera and position for the photo's
 * metadata. */
#include "library/library-decode-private.h"

#include <string.h>

#include <libexif/exif-data.h>

const uint8_t library_exif_header[6] = {'E', 'x', 'i', 'f', 0, 0};

/* An EXIF block as JPEG's APP1 holds it from the bare TIFF structure that
 * PNG, WebP and HEIF store; some writers keep the "Exif\0\0" anyway. */
GBytes *library_exif_block_from_tiff(const uint8_t *tiff, size_t size)
{
    if (size == 0 || size > LIBRARY_EXIF_MAX_SIZE)
        return NULL;
    if (size >= sizeof library_exif_header &&
        memcmp(tiff, library_exif_header, sizeof library_exif_header) == 0)
        return g_bytes_new(tiff, size);
    uint8_t *block = g_malloc(sizeof library_exif_header + size);
    memcpy(block, library_exif_header, sizeof library_exif_header);
    memcpy(block + sizeof library_exif_header, tiff, size);
    return g_bytes_new_take(block, sizeof library_exif_header + size);
}

/* A parsed EXIF block, or NULL: broken metadata never costs the pixels. */
static ExifData *exif_parse(GBytes *block)
{
    if (block == NULL || g_bytes_get_size(block) > LIBRARY_EXIF_MAX_SIZE)
        return NULL;
    ExifData *exif = exif_data_new();
    if (exif == NULL)
        return NULL;
    /* Fixing the data up to the specification could invent tags; we only read. */
    exif_data_unset_option(exif, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_load_data(exif, g_bytes_get_data(block, NULL), (unsigned int)g_bytes_get_size(block));
    return exif;
}

static ExifEntry *exif_entry(ExifData *exif, ExifIfd ifd, ExifTag tag, ExifFormat format,
                             unsigned long components)
{
    ExifEntry *entry = exif_content_get_entry(exif->ifd[ifd], tag);
    if (entry == NULL || entry->format != format || entry->components < components ||
        entry->data == NULL || entry->size < components * exif_format_get_size(format))
        return NULL;
    return entry;
}

static int exif_entry_orientation(ExifData *exif)
{
    ExifEntry *entry = exif_entry(exif, EXIF_IFD_0, EXIF_TAG_ORIENTATION, EXIF_FORMAT_SHORT, 1);
    int orientation =
        entry != NULL ? exif_get_short(entry->data, exif_data_get_byte_order(exif)) : 1;
    return orientation >= 1 && orientation <= 8 ? orientation : 1;
}

int library_exif_orientation(GBytes *block)
{
    ExifData *exif = exif_parse(block);
    if (exif == NULL)
        return 1;
    int orientation = exif_entry_orientation(exif);
    exif_data_unref(exif);
    return orientation;
}

/* An ASCII tag without its padding, valid UTF-8 (cameras write what they
 * like), or NULL when absent or blank. */
static char *exif_string(ExifData *exif, ExifIfd ifd, ExifTag tag)
{
    ExifEntry *entry = exif_entry(exif, ifd, tag, EXIF_FORMAT_ASCII, 1);
    if (entry == NULL)
        return NULL;
    g_autofree char *raw = g_strndup((const char *)entry->data, entry->size);
    g_strstrip(raw);
    if (raw[0] == '\0')
        return NULL;
    return g_utf8_make_valid(raw, -1);
}

static gboolean parse_digits(const char *text, int count, int *value)
{
    *value = 0;
    for (int i = 0; i < count; i++) {
        if (!g_ascii_isdigit(text[i]))
            return FALSE;
        *value = *value * 10 + (text[i] - '0');
    }
    return TRUE;
}

/* EXIF's "YYYY:MM:DD HH:MM:SS" as ISO 8601 "YYYY-MM-DDTHH:MM:SS"; NULL for
 * the blank ("    :  :     :  :  ", "0000:00:00 00:00:00") and impossible
 * dates that cameras write when their clock was never set. */
static char *exif_date_to_iso(const char *text)
{
    if (text == NULL || strlen(text) < 19)
        return NULL;
    int year, month, day, hour, minute, second;
    if (!parse_digits(text, 4, &year) || !parse_digits(text + 5, 2, &month) ||
        !parse_digits(text + 8, 2, &day) || !parse_digits(text + 11, 2, &hour) ||
        !parse_digits(text + 14, 2, &minute) || !parse_digits(text + 17, 2, &second))
        return NULL;
    /* Some writers use ISO separators instead of EXIF's. */
    if ((text[4] != ':' && text[4] != '-') || text[7] != text[4] ||
        (text[10] != ' ' && text[10] != 'T') || text[13] != ':' || text[16] != ':')
        return NULL;
    if (year < 1800 || !g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year) ||
        hour > 23 || minute > 59 || second > 60)
        return NULL;
    return g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, hour, minute, second);
}

/* Degrees from GPS's three rationals (degrees, minutes, seconds) and its
 * reference letter; FALSE when either is missing or makes no sense. */
static gboolean exif_gps_coordinate(ExifData *exif, ExifTag value_tag, ExifTag ref_tag,
                                    char positive, char negative, double limit, double *degrees)
{
    ExifEntry *value = exif_entry(exif, EXIF_IFD_GPS, value_tag, EXIF_FORMAT_RATIONAL, 3);
    g_autofree char *ref = exif_string(exif, EXIF_IFD_GPS, ref_tag);
    if (value == NULL || ref == NULL)
        return FALSE;
    char letter = g_ascii_toupper(ref[0]);
    if (letter != positive && letter != negative)
        return FALSE;

    ExifByteOrder order = exif_data_get_byte_order(exif);
    double parts[3];
    for (int i = 0; i < 3; i++) {
        ExifRational r = exif_get_rational(value->data + 8 * i, order);
        if (r.denominator == 0)
            return FALSE;
        parts[i] = (double)r.numerator / r.denominator;
    }
    double result = parts[0] + parts[1] / 60.0 + parts[2] / 3600.0;
    if (result > limit)
        return FALSE;
    *degrees = letter == negative ? -result : result;
    return TRUE;
}

/* Date taken, camera and position; the orientation was read while decoding. */
void library_exif_fill_info(GBytes *block, LibraryPhotoInfo *info)
{
    ExifData *exif = exif_parse(block);
    if (exif == NULL)
        return;

    g_autofree char *original = exif_string(exif, EXIF_IFD_EXIF, EXIF_TAG_DATE_TIME_ORIGINAL);
    info->taken = exif_date_to_iso(original);
    if (info->taken == NULL) {
        g_autofree char *modified = exif_string(exif, EXIF_IFD_0, EXIF_TAG_DATE_TIME);
        info->taken = exif_date_to_iso(modified);
    }
    info->camera_make = exif_string(exif, EXIF_IFD_0, EXIF_TAG_MAKE);
    info->camera_model = exif_string(exif, EXIF_IFD_0, EXIF_TAG_MODEL);

    double latitude, longitude;
    if (exif_gps_coordinate(exif, (ExifTag)EXIF_TAG_GPS_LATITUDE,
                            (ExifTag)EXIF_TAG_GPS_LATITUDE_REF, 'N', 'S', 90.0, &latitude) &&
        exif_gps_coordinate(exif, (ExifTag)EXIF_TAG_GPS_LONGITUDE,
                            (ExifTag)EXIF_TAG_GPS_LONGITUDE_REF, 'E', 'W', 180.0, &longitude)) {
        info->has_location = TRUE;
        info->latitude = latitude;
        info->longitude = longitude;
    }
    exif_data_unref(exif);
}
