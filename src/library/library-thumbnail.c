/* library-thumbnail.c: writing and checking thumbnails in the freedesktop.org thumbnail cache. */
#include "library/library-thumbnail.h"

#include "clip/clip-model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <png.h>

static const char *const size_folders[] = {
    [LIBRARY_THUMBNAIL_NORMAL] = "normal",
    [LIBRARY_THUMBNAIL_LARGE] = "large",
};

static const uint32_t size_pixels[] = {
    [LIBRARY_THUMBNAIL_NORMAL] = 128,
    [LIBRARY_THUMBNAIL_LARGE] = 256,
};

uint32_t library_thumbnail_max_side(LibraryThumbnailSize size)
{
    g_return_val_if_fail(size <= LIBRARY_THUMBNAIL_LARGE, 0);
    return size_pixels[size];
}

/* The file's URI, which names it in the cache. */
static char *thumbnail_uri(const char *path)
{
    g_autofree char *absolute = g_canonicalize_filename(path, NULL);
    return g_filename_to_uri(absolute, NULL, NULL);
}

static char *thumbnail_folder(LibraryThumbnailSize size)
{
    return g_build_filename(g_get_user_cache_dir(), "thumbnails", size_folders[size], NULL);
}

char *library_thumbnail_path(const char *path, LibraryThumbnailSize size)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(size <= LIBRARY_THUMBNAIL_LARGE, NULL);

    g_autofree char *uri = thumbnail_uri(path);
    if (uri == NULL)
        return NULL;
    g_autofree char *md5 = g_compute_checksum_for_string(G_CHECKSUM_MD5, uri, -1);
    g_autofree char *name = g_strconcat(md5, ".png", NULL);
    g_autofree char *folder = thumbnail_folder(size);
    return g_build_filename(folder, name, NULL);
}

/* Scaling */

/* One axis of an area average: output i covers input [i·scale, (i+1)·scale),
 * and each input it touches weighs by how much of it is covered. */
typedef struct {
    uint32_t *first, *count;
    float *weights; /* count[i] weights from weights + offset[i] */
    size_t *offset;
} AreaAxis;

static void area_axis_init(AreaAxis *axis, uint32_t in_size, uint32_t out_size)
{
    double scale = (double)in_size / out_size;
    axis->first = g_new(uint32_t, out_size);
    axis->count = g_new(uint32_t, out_size);
    axis->offset = g_new(size_t, out_size);
    /* Each output touches at most ceil(scale) + 1 inputs. */
    axis->weights = g_new(float, (size_t)out_size * ((size_t)ceil(scale) + 1));
    size_t at = 0;
    for (uint32_t i = 0; i < out_size; i++) {
        double start = i * scale, end = MIN((i + 1) * scale, (double)in_size);
        uint32_t first = (uint32_t)floor(start);
        uint32_t last = MIN((uint32_t)ceil(end), in_size); /* exclusive */
        axis->first[i] = first;
        axis->count[i] = last - first;
        axis->offset[i] = at;
        for (uint32_t j = first; j < last; j++)
            axis->weights[at++] = (float)((MIN(end, j + 1.0) - MAX(start, (double)j)) / scale);
    }
}

static void area_axis_clear(AreaAxis *axis)
{
    g_free(axis->first);
    g_free(axis->count);
    g_free(axis->offset);
    g_free(axis->weights);
}

ClipRgbImage *library_thumbnail_scale(const ClipRgbImage *image, uint32_t max_side)
{
    g_return_val_if_fail(image != NULL && image->width > 0 && image->height > 0, NULL);
    g_return_val_if_fail(max_side > 0, NULL);

    uint32_t w = image->width, h = image->height, longer = MAX(w, h);
    ClipRgbImage *out = g_new(ClipRgbImage, 1);
    if (longer <= max_side) {
        out->width = w;
        out->height = h;
        out->rgb = g_memdup2(image->rgb, (size_t)w * h * 3);
        return out;
    }
    double factor = (double)max_side / longer;
    uint32_t ow = CLAMP((uint32_t)lround(w * factor), 1u, max_side);
    uint32_t oh = CLAMP((uint32_t)lround(h * factor), 1u, max_side);

    AreaAxis haxis, vaxis;
    area_axis_init(&haxis, w, ow);
    area_axis_init(&vaxis, h, oh);
    /* Pass 1: every input row averaged horizontally, (h, ow, 3) floats. */
    g_autofree float *rows = g_new(float, (size_t)h * ow * 3);
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *src = image->rgb + (size_t)y * w * 3;
        float *dst = rows + (size_t)y * ow * 3;
        for (uint32_t x = 0; x < ow; x++) {
            const float *k = haxis.weights + haxis.offset[x];
            const uint8_t *in = src + (size_t)haxis.first[x] * 3;
            float s0 = 0, s1 = 0, s2 = 0;
            for (uint32_t i = 0; i < haxis.count[x]; i++) {
                s0 += k[i] * in[3 * i + 0];
                s1 += k[i] * in[3 * i + 1];
                s2 += k[i] * in[3 * i + 2];
            }
            dst[3 * x + 0] = s0, dst[3 * x + 1] = s1, dst[3 * x + 2] = s2;
        }
    }
    /* Pass 2: vertically, rounded to 8 bits. */
    out->width = ow;
    out->height = oh;
    out->rgb = g_new(uint8_t, (size_t)ow * oh * 3);
    size_t stride = (size_t)ow * 3;
    for (uint32_t y = 0; y < oh; y++) {
        const float *k = vaxis.weights + vaxis.offset[y];
        uint8_t *dst = out->rgb + y * stride;
        for (size_t x = 0; x < stride; x++) {
            const float *in = rows + (size_t)vaxis.first[y] * stride + x;
            float sum = 0;
            for (uint32_t i = 0; i < vaxis.count[y]; i++, in += stride)
                sum += k[i] * *in;
            dst[x] = (uint8_t)CLAMP(lroundf(sum), 0, 255);
        }
    }
    area_axis_clear(&haxis);
    area_axis_clear(&vaxis);
    return out;
}

/* Writing */

static void png_write_callback(png_structp png, png_bytep data, size_t length)
{
    g_byte_array_append(png_get_io_ptr(png), data, (guint)length);
}

static void png_flush_callback(G_GNUC_UNUSED png_structp png)
{
}

/* The thumbnail as PNG bytes, with the tEXt keys of the specification. */
static GBytes *encode_thumbnail(const ClipRgbImage *thumb, const char *uri, gint64 mtime,
                                gint64 file_size)
{
    g_autofree char *mtime_text = g_strdup_printf("%" G_GINT64_FORMAT, mtime);
    g_autofree char *size_text = g_strdup_printf("%" G_GINT64_FORMAT, file_size);
    png_text text[] = {
        {.compression = PNG_TEXT_COMPRESSION_NONE, .key = "Thumb::URI", .text = (char *)uri},
        {.compression = PNG_TEXT_COMPRESSION_NONE, .key = "Thumb::MTime", .text = mtime_text},
        {.compression = PNG_TEXT_COMPRESSION_NONE, .key = "Software", .text = "Spyglass"},
        {.compression = PNG_TEXT_COMPRESSION_NONE, .key = "Thumb::Size", .text = size_text},
    };
    int n_text = file_size >= 0 ? 4 : 3;

    GByteArray *out = g_byte_array_new();
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png == NULL ? NULL : png_create_info_struct(png);
    if (info == NULL || setjmp(png_jmpbuf(png))) {
        /* libpng fails here only when out of memory. */
        png_destroy_write_struct(&png, &info);
        g_byte_array_unref(out);
        return NULL;
    }
    png_set_write_fn(png, out, png_write_callback, png_flush_callback);
    png_set_IHDR(png, info, thumb->width, thumb->height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_text(png, info, text, n_text);
    png_write_info(png, info);
    for (uint32_t y = 0; y < thumb->height; y++)
        png_write_row(png, thumb->rgb + (size_t)y * thumb->width * 3);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return g_byte_array_free_to_bytes(out);
}

/* Writes data to a temporary file beside target and renames it over
 * target, so that readers see the old thumbnail or the new one, never a
 * part. There is no fsync(): after a crash a damaged thumbnail fails
 * library_thumbnail_is_valid() and is made again. */
static gboolean write_atomically(const char *target, GBytes *bytes, GError **error)
{
    g_autofree char *temp = g_strconcat(target, ".XXXXXX", NULL);
    int fd = g_mkstemp_full(temp, O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "%s: cannot create a temporary file: %s", target, g_strerror(saved));
        return FALSE;
    }
    gsize size = 0;
    const uint8_t *data = g_bytes_get_data(bytes, &size);
    int saved = 0;
    for (gsize done = 0; done < size && saved == 0;) {
        ssize_t n = write(fd, data + done, size - done);
        if (n < 0 && errno != EINTR)
            saved = errno;
        else if (n > 0)
            done += (gsize)n;
    }
    if (close(fd) != 0 && saved == 0)
        saved = errno;
    if (saved == 0 && g_rename(temp, target) != 0)
        saved = errno;
    if (saved != 0) {
        g_unlink(temp);
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", target,
                    g_strerror(saved));
        return FALSE;
    }
    return TRUE;
}

gboolean library_thumbnail_write(const ClipRgbImage *image, const char *path, gint64 mtime,
                                 LibraryThumbnailSize size, GError **error)
{
    g_return_val_if_fail(image != NULL && path != NULL, FALSE);
    g_return_val_if_fail(size <= LIBRARY_THUMBNAIL_LARGE, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    g_autofree char *uri = thumbnail_uri(path);
    g_autofree char *target = library_thumbnail_path(path, size);
    if (uri == NULL || target == NULL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: no URI for this file name", path);
        return FALSE;
    }
    /* The specification's folders are private to the user. */
    g_autofree char *folder = thumbnail_folder(size);
    if (g_mkdir_with_parents(folder, 0700) != 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "%s: %s", folder,
                    g_strerror(saved));
        return FALSE;
    }

    /* Thumb::Size is optional: leave it out when the file is gone already. */
    GStatBuf st;
    gint64 file_size = g_stat(path, &st) == 0 ? (gint64)st.st_size : -1;
    g_autoptr(ClipRgbImage) thumb = library_thumbnail_scale(image, size_pixels[size]);
    g_autoptr(GBytes) bytes = encode_thumbnail(thumb, uri, mtime, file_size);
    if (bytes == NULL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "%s: out of memory for the PNG",
                    target);
        return FALSE;
    }
    return write_atomically(target, bytes, error);
}

/* Checking */

static void png_error_callback(png_structp png, G_GNUC_UNUSED png_const_charp message)
{
    png_longjmp(png, 1);
}

static void png_warning_callback(G_GNUC_UNUSED png_structp png,
                                 G_GNUC_UNUSED png_const_charp message)
{
}

/* Compares the thumbnail's tEXt keys (those before the image data, where
 * every thumbnailer puts them) with the expected URI and mtime. */
static gboolean png_text_matches(FILE *file, const char *uri, gint64 mtime)
{
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, png_error_callback,
                                             png_warning_callback);
    png_infop info = png == NULL ? NULL : png_create_info_struct(png);
    /* volatile: read after a longjmp from libpng */
    volatile gboolean uri_ok = FALSE, mtime_ok = FALSE;
    if (info != NULL && !setjmp(png_jmpbuf(png))) {
        png_init_io(png, file);
        png_read_info(png, info);
        png_textp text = NULL;
        int n_text = 0;
        png_get_text(png, info, &text, &n_text);
        for (int i = 0; i < n_text; i++) {
            if (strcmp(text[i].key, "Thumb::URI") == 0)
                uri_ok = g_strcmp0(text[i].text, uri) == 0;
            else if (strcmp(text[i].key, "Thumb::MTime") == 0)
                mtime_ok = text[i].text != NULL && g_ascii_strtoll(text[i].text, NULL, 10) == mtime;
        }
    }
    png_destroy_read_struct(&png, &info, NULL);
    return uri_ok && mtime_ok;
}

gboolean library_thumbnail_is_valid(const char *thumb_path, const char *path, gint64 mtime)
{
    g_return_val_if_fail(thumb_path != NULL && path != NULL, FALSE);

    g_autofree char *uri = thumbnail_uri(path);
    if (uri == NULL)
        return FALSE;
    FILE *file = g_fopen(thumb_path, "rbe");
    if (file == NULL)
        return FALSE;
    gboolean valid = png_text_matches(file, uri, mtime);
    fclose(file);
    return valid;
}

char *library_thumbnail_ensure(LibrarySandbox *sandbox, const char *path, LibraryThumbnailSize size,
                               GCancellable *cancellable, GError **error)
{
    g_return_val_if_fail(sandbox != NULL && path != NULL, NULL);
    g_return_val_if_fail(size <= LIBRARY_THUMBNAIL_LARGE, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    GStatBuf st;
    if (g_stat(path, &st) != 0) {
        int saved = errno;
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "%s: %s", path,
                    g_strerror(saved));
        return NULL;
    }
    g_autofree char *thumb_path = library_thumbnail_path(path, size);
    if (thumb_path != NULL && library_thumbnail_is_valid(thumb_path, path, st.st_mtime))
        return g_steal_pointer(&thumb_path);
    if (g_cancellable_set_error_if_cancelled(cancellable, error))
        return NULL;
    g_autoptr(ClipRgbImage) image =
        library_sandbox_decode(sandbox, path, size_pixels[size], NULL, error);
    if (image == NULL || !library_thumbnail_write(image, path, st.st_mtime, size, error))
        return NULL;
    return g_steal_pointer(&thumb_path);
}
