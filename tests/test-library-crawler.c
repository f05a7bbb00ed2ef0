/* test-library-crawler.c: the folder walk: what it lists, skips and survives; fingerprints. */
#include "library/library-crawler.h"
#include "test-library-common.h"

#include <dirent.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* Every test's tree lives here; the app's data and cache folders too (see main). */
static char *tmp_dir;

static char *tree_path(const char *tree, const char *relative)
{
    return g_build_filename(tmp_dir, tree, relative, NULL);
}

static void write_photo(const char *tree, const char *relative, guint32 seed)
{
    g_autofree char *path = tree_path(tree, relative);
    test_library_write_jpeg(path, 32, 24, seed);
}

static void make_symlink(const char *tree, const char *target, const char *relative)
{
    g_autofree char *path = tree_path(tree, relative);
    g_assert_cmpint(symlink(target, path), ==, 0);
}

static LibraryCrawl *crawl_tree(const char *tree)
{
    g_autofree char *root = tree_path(tree, NULL);
    const char *roots[] = {root, NULL};
    return library_crawl(roots, NULL);
}

/* The listed paths relative to the tree, in walk order, joined with spaces. */
static char *listed(const LibraryCrawl *crawl, const char *tree)
{
    g_autofree char *root = tree_path(tree, NULL);
    g_autoptr(GString) out = g_string_new(NULL);
    for (guint i = 0; i < crawl->files->len; i++) {
        const LibraryCrawlFile *file = g_ptr_array_index(crawl->files, i);
        g_assert_true(g_str_has_prefix(file->path, root));
        g_string_append_printf(out, "%s%s", out->len ? " " : "", file->path + strlen(root) + 1);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static void test_walk(void)
{
    write_photo("walk", "b.jpg", 1);
    write_photo("walk", "a.JPEG", 2);
    write_photo("walk", "sub/c.png", 3);
    write_photo("walk", "sub/deeper/d.jpg", 4);
    write_photo("walk", ".hidden.jpg", 5);
    write_photo("walk", ".cache/e.jpg", 6);
    write_photo("walk", "sub/.thumbs/f.jpg", 7);
    g_autofree char *text = tree_path("walk", "notes.txt");
    test_library_write_file(text, "not a photo", 11);
    g_autofree char *dir_named_like_photo = tree_path("walk", "album.jpg");
    g_assert_cmpint(g_mkdir(dir_named_like_photo, 0700), ==, 0);
    write_photo("walk", "album.jpg/g.jpg", 8);

    g_autoptr(LibraryCrawl) crawl = crawl_tree("walk");
    g_autofree char *names = listed(crawl, "walk");
    g_assert_cmpstr(names, ==, "a.JPEG b.jpg album.jpg/g.jpg sub/c.png sub/deeper/d.jpg");
    g_assert_true(crawl->complete);
    g_assert_cmpuint(crawl->problems->len, ==, 0);
    LibraryCrawlRoot *root = crawl->roots->pdata[0];
    g_assert_true(root->present);
    g_assert_cmpuint(root->n_photos, ==, 5);

    /* Size and mtime as stat gives them. */
    g_autofree char *b = tree_path("walk", "b.jpg");
    test_library_set_mtime(b, 1700000000);
    g_clear_pointer(&crawl, library_crawl_free);
    crawl = crawl_tree("walk");
    LibraryCrawlFile *file = crawl->files->pdata[1];
    g_assert_cmpstr(file->path, ==, b);
    g_assert_cmpint(file->mtime, ==, G_GINT64_CONSTANT(1700000000) * 1000000000);
    GStatBuf st;
    g_assert_cmpint(g_stat(b, &st), ==, 0);
    g_assert_cmpint(file->size, ==, st.st_size);
    g_assert_cmpuint(file->root, ==, 0);
}

static void test_symlink_loop(void)
{
    write_photo("loop", "a/x.jpg", 1);
    write_photo("loop", "b/y.jpg", 2);
    g_autofree char *root = tree_path("loop", NULL);
    make_symlink("loop", root, "a/up");           /* back to the root */
    make_symlink("loop", "..", "b/parent");       /* relative, to b's parent */
    make_symlink("loop", "self.jpg", "self.jpg"); /* a link to itself */
    make_symlink("loop", "nowhere.jpg", "dangling.jpg");

    g_autoptr(LibraryCrawl) crawl = crawl_tree("loop");
    g_autofree char *names = listed(crawl, "loop");
    g_assert_cmpstr(names, ==, "a/x.jpg b/y.jpg");
    g_assert_cmpuint(crawl->problems->len, ==, 0);
    g_assert_true(crawl->complete);
}

static void test_duplicate_links(void)
{
    write_photo("dups", "real/x.jpg", 1);
    make_symlink("dups", "real", "alias");          /* a second way into one folder */
    make_symlink("dups", "real/x.jpg", "link.jpg"); /* a second name for one photo */
    g_autofree char *x = tree_path("dups", "real/x.jpg");
    g_autofree char *hard = tree_path("dups", "zhard.jpg");
    g_assert_cmpint(link(x, hard), ==, 0);
    /* A link to a photo outside the tree is followed: it is listed. */
    write_photo("outside", "o.jpg", 2);
    g_autofree char *outside = tree_path("outside", "o.jpg");
    make_symlink("dups", outside, "out.jpg");

    g_autoptr(LibraryCrawl) crawl = crawl_tree("dups");
    g_autofree char *names = listed(crawl, "dups");
    /* A folder's files come before its subfolders: the photo is listed once,
     * under the first name reached. */
    g_assert_cmpstr(names, ==, "link.jpg out.jpg");
    LibraryCrawlRoot *root = crawl->roots->pdata[0];
    g_assert_cmpuint(root->n_photos, ==, 4); /* duplicates still show the root is not empty */
}

/* TRUE when chmod 000 really keeps this process out (not so for root). */
static gboolean permissions_apply(const char *locked_dir)
{
    DIR *dir = opendir(locked_dir);
    if (dir == NULL)
        return TRUE;
    closedir(dir);
    return FALSE;
}

static void test_unreadable_folder(void)
{
    write_photo("locked", "open/a.jpg", 1);
    write_photo("locked", "closed/b.jpg", 2);
    write_photo("locked", "z.jpg", 3);
    g_autofree char *closed = tree_path("locked", "closed");
    g_assert_cmpint(g_chmod(closed, 0), ==, 0);
    if (!permissions_apply(closed)) {
        g_chmod(closed, 0700);
        g_test_skip("running as root: chmod 000 does not keep this process out");
        return;
    }
    g_autoptr(LibraryCrawl) crawl = crawl_tree("locked");
    g_chmod(closed, 0700);

    g_autofree char *names = listed(crawl, "locked");
    g_assert_cmpstr(names, ==, "z.jpg open/a.jpg");
    g_assert_false(crawl->complete);
    g_assert_cmpuint(crawl->problems->len, ==, 1);
    LibraryCrawlProblem *problem = crawl->problems->pdata[0];
    g_assert_cmpstr(problem->path, ==, closed);
    g_assert_cmpstr(problem->reason, ==, g_strerror(EACCES));

    /* Nothing below the unreadable folder may go; elsewhere, what is gone is gone. */
    g_autofree char *below = tree_path("locked", "closed/b.jpg");
    g_autofree char *elsewhere = tree_path("locked", "open/gone.jpg");
    g_autofree char *sibling = tree_path("locked", "closed-not.jpg");
    g_assert_false(library_crawl_may_remove(crawl, 0, below));
    g_assert_true(library_crawl_may_remove(crawl, 0, elsewhere));
    g_assert_true(library_crawl_may_remove(crawl, 0, sibling));
}

static void test_missing_and_empty_roots(void)
{
    write_photo("full", "a.jpg", 1);
    g_autofree char *full = tree_path("full", NULL);
    g_autofree char *missing = tree_path("missing", NULL);
    g_autofree char *empty = tree_path("empty", NULL);
    g_assert_cmpint(g_mkdir(empty, 0700), ==, 0);
    g_autofree char *file_root = tree_path("full", "a.jpg");
    const char *roots[] = {missing, empty, full, file_root, NULL};
    g_autoptr(LibraryCrawl) crawl = library_crawl(roots, NULL);

    g_assert_false(crawl->complete);
    LibraryCrawlRoot *r[4];
    for (int i = 0; i < 4; i++)
        r[i] = crawl->roots->pdata[i];
    g_assert_false(r[0]->present);
    g_assert_true(r[1]->present);
    g_assert_cmpuint(r[1]->n_photos, ==, 0);
    g_assert_true(r[2]->present);
    g_assert_false(r[3]->present);
    g_assert_cmpuint(crawl->files->len, ==, 1);

    g_autofree char *in_missing = g_build_filename(missing, "x.jpg", NULL);
    g_autofree char *in_empty = g_build_filename(empty, "x.jpg", NULL);
    g_autofree char *in_full = g_build_filename(full, "x.jpg", NULL);
    g_assert_false(library_crawl_may_remove(crawl, 0, in_missing));
    g_assert_false(library_crawl_may_remove(crawl, 1, in_empty));
    g_assert_true(library_crawl_may_remove(crawl, 2, in_full));
}

static void test_own_folders(void)
{
    /* main() put the app's data and cache folders inside this tree. */
    write_photo("home", "photos/a.jpg", 1);
    write_photo("home", "data/spyglass/thumb.png", 2);
    write_photo("home", "cache/spyglass/c.jpg", 3);
    write_photo("home", "cache/thumbnails/normal/t.png", 4);
    write_photo("home", "cache/other-app/keep.jpg", 5);
    g_autoptr(LibraryCrawl) crawl = crawl_tree("home");
    g_autofree char *names = listed(crawl, "home");
    g_assert_cmpstr(names, ==, "cache/other-app/keep.jpg photos/a.jpg");
    g_assert_true(crawl->complete);
}

static void test_cancel(void)
{
    write_photo("cancel", "a/x.jpg", 1);
    g_autoptr(GCancellable) cancellable = g_cancellable_new();
    g_cancellable_cancel(cancellable);
    g_autofree char *root = tree_path("cancel", NULL);
    const char *roots[] = {root, NULL};
    g_autoptr(LibraryCrawl) crawl = library_crawl(roots, cancellable);
    g_assert_true(crawl->cancelled);
    g_assert_false(crawl->complete);
    g_autofree char *gone = tree_path("cancel", "gone.jpg");
    g_assert_false(library_crawl_may_remove(crawl, 0, gone));
}

/* The documented fingerprint, computed the slow way. */
static char *expected_fingerprint(const guint8 *data, gsize size)
{
    g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
    guint64 le_size = GUINT64_TO_LE((guint64)size);
    g_checksum_update(checksum, (const guchar *)&le_size, 8);
    gsize head = MIN(size, LIBRARY_FINGERPRINT_CHUNK);
    gsize tail = size > head ? MIN(size - head, LIBRARY_FINGERPRINT_CHUNK) : 0;
    g_checksum_update(checksum, data, head);
    g_checksum_update(checksum, data + size - tail, tail);
    return g_strdup(g_checksum_get_string(checksum));
}

static void check_fingerprint(const char *name, gsize size)
{
    g_autofree guint8 *data = g_malloc(size + 1);
    for (gsize i = 0; i < size; i++)
        data[i] = (guint8)(i * 7 + i / 251);
    g_autofree char *path = tree_path("fingerprints", name);
    test_library_write_file(path, data, size);
    g_autoptr(GError) error = NULL;
    g_autofree char *fingerprint = library_fingerprint_file(path, &error);
    g_assert_no_error(error);
    g_autofree char *expected = expected_fingerprint(data, size);
    g_assert_cmpstr(fingerprint, ==, expected);
}

static void test_fingerprint(void)
{
    const gsize sizes[] = {0,
                           1,
                           1000,
                           LIBRARY_FINGERPRINT_CHUNK,
                           LIBRARY_FINGERPRINT_CHUNK + 1,
                           LIBRARY_FINGERPRINT_CHUNK * 2 - 5,
                           LIBRARY_FINGERPRINT_CHUNK * 5 + 3};
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        g_autofree char *name = g_strdup_printf("f%zu.bin", i);
        check_fingerprint(name, sizes[i]);
    }

    /* The same photo under another name: the same fingerprint; another photo: not. */
    write_photo("fingerprints", "one.jpg", 1);
    write_photo("fingerprints", "copy.jpg", 1);
    write_photo("fingerprints", "other.jpg", 2);
    const char *names[] = {"one.jpg", "copy.jpg", "other.jpg"};
    char *fingerprints[3];
    for (int i = 0; i < 3; i++) {
        g_autofree char *path = tree_path("fingerprints", names[i]);
        fingerprints[i] = library_fingerprint_file(path, NULL);
        g_assert_nonnull(fingerprints[i]);
    }
    g_assert_cmpstr(fingerprints[0], ==, fingerprints[1]);
    g_assert_cmpstr(fingerprints[0], !=, fingerprints[2]);
    for (int i = 0; i < 3; i++)
        g_free(fingerprints[i]);

    g_autoptr(GError) error = NULL;
    g_autofree char *missing = tree_path("fingerprints", "missing.jpg");
    g_autofree char *none = library_fingerprint_file(missing, &error);
    g_assert_null(none);
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_true(g_str_has_prefix(error->message, missing));
}

int main(int argc, char **argv)
{
    /* Before GLib reads them: the app's own folders inside a walked tree. */
    tmp_dir = test_library_tmp_dir();
    g_autofree char *data_home = g_build_filename(tmp_dir, "home", "data", NULL);
    g_autofree char *cache_home = g_build_filename(tmp_dir, "home", "cache", NULL);
    g_setenv("XDG_DATA_HOME", data_home, TRUE);
    g_setenv("XDG_CACHE_HOME", cache_home, TRUE);

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/library/crawler/walk", test_walk);
    g_test_add_func("/library/crawler/symlink-loop", test_symlink_loop);
    g_test_add_func("/library/crawler/duplicate-links", test_duplicate_links);
    g_test_add_func("/library/crawler/unreadable-folder", test_unreadable_folder);
    g_test_add_func("/library/crawler/missing-and-empty-roots", test_missing_and_empty_roots);
    g_test_add_func("/library/crawler/own-folders", test_own_folders);
    g_test_add_func("/library/crawler/cancel", test_cancel);
    g_test_add_func("/library/crawler/fingerprint", test_fingerprint);
    int status = g_test_run();
    test_library_remove_tree(tmp_dir);
    g_free(tmp_dir);
    return status;
}
