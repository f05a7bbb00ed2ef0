/* test-library-thumbnail.c: freedesktop thumbnails: sizes, the cache and its keys, small photos. */
#include "test-library-decoder-files.h"
#include "library/library-thumbnail.h"
#include "test-images.h"

#include <glib/gstdio.h>
#include <math.h>

#include <png.h>
#include <string.h>

static char *read_png_text(const char *path, const char *key)
{
    FILE *file = g_fopen(path, "rb");
    g_assert_nonnull(file);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        g_error("%s: not a PNG", path);
    png_init_io(png, file);
    png_read_info(png, info);
    png_textp text = NULL;
    int n_text = 0;
    png_get_text(png, info, &text, &n_text);
    char *value = NULL;
    for (int i = 0; i < n_text && value == NULL; i++)
        if (strcmp(text[i].key, key) == 0)
            value = g_strdup(text[i].text);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    return value;
}

static void test_thumbnail_scale(void)
{
    /* One-pixel black and white stripes average to grey. */
    ClipRgbImage stripes = {.width = 512, .height = 256};
    g_autofree uint8_t *rgb = g_malloc((size_t)512 * 256 * 3);
    for (size_t i = 0; i < (size_t)512 * 256; i++)
        memset(rgb + 3 * i, (i % 512) % 2 ? 255 : 0, 3);
    stripes.rgb = rgb;
    g_autoptr(ClipRgbImage) grey = library_thumbnail_scale(&stripes, 128);
    g_assert_cmpuint(grey->width, ==, 128);
    g_assert_cmpuint(grey->height, ==, 64);
    for (size_t i = 0; i < (size_t)128 * 64 * 3; i++)
        g_assert_cmpint(abs((int)grey->rgb[i] - 128), <=, 1);

    /* An odd ratio keeps the average. */
    g_autoptr(ClipRgbImage) odd = library_thumbnail_scale(&stripes, 100);
    g_assert_cmpuint(odd->width, ==, 100);
    g_assert_cmpuint(odd->height, ==, 50);
    double sum = 0;
    for (size_t i = 0; i < (size_t)100 * 50 * 3; i++)
        sum += odd->rgb[i];
    g_assert_cmpfloat(fabs(sum / (100 * 50 * 3) - 127.5), <, 2.0);

    /* Never scaled up. */
    g_autoptr(ClipRgbImage) same = library_thumbnail_scale(&stripes, 1024);
    g_assert_cmpuint(same->width, ==, 512);
    g_assert_cmpmem(same->rgb, (size_t)512 * 256 * 3, rgb, (size_t)512 * 256 * 3);
}

static void test_thumbnail_cache(void)
{
    /* G_TEST_OPTION_ISOLATE_DIRS gives every test its own XDG_CACHE_HOME. */
    const char *cache = g_get_user_cache_dir();
    g_assert_true(g_str_has_prefix(cache, g_get_tmp_dir()));

    const uint32_t w = 400, h = 300;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(GBytes) exif = exif_with_orientation(6);
    g_autoptr(GBytes) bytes = encode_jpeg(rgb, w, h, exif);
    g_autofree char *path = save_bytes("thumb me.jpg", bytes);
    GStatBuf st;
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    gint64 mtime = st.st_mtime;

    g_autoptr(ClipRgbImage) image = decode_ok(path, 256, NULL);
    g_autofree char *uri = g_filename_to_uri(path, NULL, NULL);
    g_autofree char *md5 = g_compute_checksum_for_string(G_CHECKSUM_MD5, uri, -1);
    g_autofree char *name = g_strconcat(md5, ".png", NULL);

    const struct {
        LibraryThumbnailSize size;
        const char *folder;
        uint32_t width, height; /* turned by the orientation */
    } sizes[] = {
        {LIBRARY_THUMBNAIL_NORMAL, "normal", 96, 128},
        {LIBRARY_THUMBNAIL_LARGE, "large", 192, 256},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        g_autofree char *expected =
            g_build_filename(cache, "thumbnails", sizes[i].folder, name, NULL);
        g_autofree char *thumb = library_thumbnail_path(path, sizes[i].size);
        g_assert_cmpstr(thumb, ==, expected);
        g_assert_false(library_thumbnail_is_valid(thumb, path, mtime));

        g_autoptr(GError) error = NULL;
        g_assert_true(library_thumbnail_write(image, path, mtime, sizes[i].size, &error));
        g_assert_no_error(error);

        /* The specification's tEXt keys, private permissions, no leftovers. */
        g_autofree char *thumb_uri = read_png_text(thumb, "Thumb::URI");
        g_autofree char *thumb_mtime = read_png_text(thumb, "Thumb::MTime");
        g_autofree char *thumb_size = read_png_text(thumb, "Thumb::Size");
        g_autofree char *mtime_text = g_strdup_printf("%" G_GINT64_FORMAT, mtime);
        g_autofree char *size_text = g_strdup_printf("%" G_GINT64_FORMAT, (gint64)st.st_size);
        g_assert_cmpstr(thumb_uri, ==, uri);
        g_assert_cmpstr(thumb_mtime, ==, mtime_text);
        g_assert_cmpstr(thumb_size, ==, size_text);
        GStatBuf thumb_st;
        g_assert_cmpint(g_stat(thumb, &thumb_st), ==, 0);
        g_assert_cmpint(thumb_st.st_mode & 0777, ==, 0600);
        g_autofree char *folder = g_path_get_dirname(thumb);
        g_assert_cmpint(g_stat(folder, &thumb_st), ==, 0);
        g_assert_cmpint(thumb_st.st_mode & 0777, ==, 0700);
        g_autoptr(GDir) dir = g_dir_open(folder, 0, NULL);
        int n_files = 0;
        while (g_dir_read_name(dir) != NULL)
            n_files++;
        g_assert_cmpint(n_files, ==, 1);

        /* Oriented and scaled: it reads back as the upright picture. */
        g_autoptr(ClipRgbImage) back = decode_ok(thumb, 0, NULL);
        test_assert_quadrants(back, 6, sizes[i].height, sizes[i].width, 12);

        g_assert_true(library_thumbnail_is_valid(thumb, path, mtime));
        g_assert_false(library_thumbnail_is_valid(thumb, path, mtime + 1));
        g_autofree char *other = tmp_path("other.jpg");
        g_assert_false(library_thumbnail_is_valid(thumb, other, mtime));

        /* Rewriting replaces it in place. */
        g_assert_true(library_thumbnail_write(image, path, mtime + 5, sizes[i].size, &error));
        g_assert_true(library_thumbnail_is_valid(thumb, path, mtime + 5));
        g_assert_false(library_thumbnail_is_valid(thumb, path, mtime));
    }

    /* A damaged thumbnail is not valid. */
    g_autofree char *thumb = library_thumbnail_path(path, LIBRARY_THUMBNAIL_NORMAL);
    g_assert_true(g_file_set_contents(thumb, "\x89PNG\r\n\x1a\n garbage", 17, NULL));
    g_assert_false(library_thumbnail_is_valid(thumb, path, mtime + 5));
    g_assert_true(g_file_set_contents(thumb, "", 0, NULL));
    g_assert_false(library_thumbnail_is_valid(thumb, path, mtime + 5));

    /* A relative path names the same file. */
    g_autofree char *cwd = g_get_current_dir();
    g_assert_cmpint(g_chdir(tmp_dir), ==, 0);
    g_autofree char *relative = library_thumbnail_path("thumb me.jpg", LIBRARY_THUMBNAIL_NORMAL);
    g_assert_cmpint(g_chdir(cwd), ==, 0);
    g_assert_cmpstr(relative, ==, thumb);
}

static void test_thumbnail_small(void)
{
    /* Smaller than the thumbnail size: kept as it is. */
    const uint32_t w = 40, h = 30;
    g_autofree uint8_t *rgb = test_make_quadrants(w, h);
    g_autoptr(GBytes) bytes = test_png_encode(rgb, w, h, NULL);
    g_autofree char *path = save_bytes("icon.png", bytes);
    g_autoptr(ClipRgbImage) image = decode_ok(path, 0, NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(
        library_thumbnail_write(image, path, 1234567890, LIBRARY_THUMBNAIL_LARGE, &error));
    g_assert_no_error(error);
    g_autofree char *thumb = library_thumbnail_path(path, LIBRARY_THUMBNAIL_LARGE);
    g_autoptr(ClipRgbImage) back = decode_ok(thumb, 0, NULL);
    test_assert_quadrants(back, 1, w, h, 0);
    g_assert_true(library_thumbnail_is_valid(thumb, path, 1234567890));
}

void test_library_thumbnail_add(void)
{
    g_test_add_func("/library/thumbnail/scale", test_thumbnail_scale);
    g_test_add_func("/library/thumbnail/cache", test_thumbnail_cache);
    g_test_add_func("/library/thumbnail/small", test_thumbnail_small);
}
