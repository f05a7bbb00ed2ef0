/* test-library-watcher.c: folder monitors: photos and folders that appear, change and go. */
#include "library/library-watcher.h"
#include "test-library-common.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define SETTLE_MS 150
/* How long a test waits for a callback before failing (or, when none is
 * expected, before concluding there is none). */
#define WAIT_MS  5000
#define QUIET_MS 600

typedef struct {
    GPtrArray *paths; /* char*: every path of every callback so far */
    guint calls;
} Seen;

static void on_changes(GPtrArray *paths, gpointer user_data)
{
    Seen *seen = user_data;
    for (guint i = 0; i < paths->len; i++)
        g_ptr_array_add(seen->paths, g_strdup(paths->pdata[i]));
    seen->calls++;
}

static gboolean on_timeout(gpointer user_data)
{
    *(gboolean *)user_data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Runs the main loop until a new callback came or `ms` passed; TRUE for a callback. */
static gboolean wait_for_call(Seen *seen, guint ms)
{
    guint calls = seen->calls;
    gboolean timed_out = FALSE;
    guint timeout = g_timeout_add(ms, on_timeout, &timed_out);
    while (seen->calls == calls && !timed_out)
        g_main_context_iteration(NULL, TRUE);
    if (!timed_out)
        g_source_remove(timeout);
    return seen->calls > calls;
}

static gboolean seen_path(Seen *seen, const char *path)
{
    for (guint i = 0; i < seen->paths->len; i++)
        if (g_str_equal(seen->paths->pdata[i], path))
            return TRUE;
    return FALSE;
}

static void expect_change(Seen *seen, const char *path)
{
    g_ptr_array_set_size(seen->paths, 0);
    while (!seen_path(seen, path))
        if (!wait_for_call(seen, WAIT_MS))
            g_error("no change reported for %s", path);
}

static void test_changes(void)
{
    g_autofree char *root = test_library_tmp_dir();
    g_autofree char *sub = g_build_filename(root, "2024", NULL);
    g_autofree char *hidden = g_build_filename(root, ".trash", NULL);
    g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
    g_assert_cmpint(g_mkdir(hidden, 0700), ==, 0);
    Seen seen = {g_ptr_array_new_with_free_func(g_free), 0};
    const char *roots[] = {root, NULL};
    g_autoptr(LibraryWatcher) watcher = library_watcher_new(roots, SETTLE_MS, on_changes, &seen);
    g_assert_cmpuint(library_watcher_n_folders(watcher), ==, 2);

    /* A new photo in a subfolder. */
    g_autofree char *photo = g_build_filename(sub, "a.jpg", NULL);
    test_library_write_jpeg(photo, 32, 24, 1);
    expect_change(&seen, photo);

    /* A new folder is watched, and so are photos put in it afterwards. */
    g_autofree char *fresh = g_build_filename(root, "fresh", NULL);
    g_assert_cmpint(g_mkdir(fresh, 0700), ==, 0);
    expect_change(&seen, fresh);
    g_assert_cmpuint(library_watcher_n_folders(watcher), ==, 3);
    g_autofree char *inside = g_build_filename(fresh, "b.png", NULL);
    test_library_write_png(inside, 32, 24, 2);
    expect_change(&seen, inside);

    /* A rename, then a deletion. */
    g_autofree char *renamed = g_build_filename(sub, "renamed.jpg", NULL);
    g_assert_cmpint(g_rename(photo, renamed), ==, 0);
    expect_change(&seen, renamed);
    g_assert_true(seen_path(&seen, photo));
    g_assert_cmpint(g_unlink(renamed), ==, 0);
    expect_change(&seen, renamed);

    /* A removed folder takes its monitor with it. */
    g_assert_cmpint(g_unlink(inside), ==, 0);
    g_assert_cmpint(g_rmdir(fresh), ==, 0);
    expect_change(&seen, fresh);
    g_assert_cmpuint(library_watcher_n_folders(watcher), ==, 2);

    /* Files that are not photos, and hidden ones, cause no callback. */
    g_autofree char *notes = g_build_filename(sub, "notes.txt", NULL);
    test_library_write_file(notes, "x", 1);
    g_autofree char *trashed = g_build_filename(hidden, "c.jpg", NULL);
    test_library_write_jpeg(trashed, 32, 24, 3);
    g_autofree char *dotted = g_build_filename(sub, ".d.jpg", NULL);
    test_library_write_jpeg(dotted, 32, 24, 4);
    g_assert_false(wait_for_call(&seen, QUIET_MS));

    g_clear_pointer(&watcher, library_watcher_free);
    g_ptr_array_unref(seen.paths);
    test_library_remove_tree(root);
}

static void test_symlink_loop(void)
{
    g_autofree char *root = test_library_tmp_dir();
    g_autofree char *sub = g_build_filename(root, "sub", NULL);
    g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
    g_autofree char *loop = g_build_filename(sub, "loop", NULL);
    g_assert_cmpint(symlink(root, loop), ==, 0);
    const char *roots[] = {root, NULL};
    Seen seen = {g_ptr_array_new_with_free_func(g_free), 0};
    g_autoptr(LibraryWatcher) watcher = library_watcher_new(roots, SETTLE_MS, on_changes, &seen);
    g_assert_cmpuint(library_watcher_n_folders(watcher), ==, 2);
    g_clear_pointer(&watcher, library_watcher_free);
    g_ptr_array_unref(seen.paths);
    test_library_remove_tree(root);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/library/watcher/changes", test_changes);
    g_test_add_func("/library/watcher/symlink-loop", test_symlink_loop);
    return g_test_run();
}
