/* library-watcher.c: a GFileMonitor per library folder, events settled into one callback. */
#include "library-watcher.h"

#include "library-crawler.h"
#include "library-decoder.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    GFileMonitor *monitor;
    char *inode; /* "dev:ino" of the folder */
} WatchedFolder;

struct _LibraryWatcher {
    GHashTable *folders; /* path → WatchedFolder* */
    GHashTable *inodes;  /* "dev:ino" of watched folders: a folder is watched once */
    GHashTable *changed; /* paths seen in events since the last callback */
    GMainContext *context;
    GSource *settle; /* fires settle_ms after the last event */
    guint settle_ms;
    LibraryWatcherFunc func;
    gpointer user_data;
};

static void on_folder_changed(GFileMonitor *monitor, GFile *file, GFile *other,
                              GFileMonitorEvent event, gpointer user_data);

static void watched_folder_free(WatchedFolder *folder)
{
    g_signal_handlers_disconnect_matched(folder->monitor, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                         on_folder_changed, NULL);
    g_file_monitor_cancel(folder->monitor);
    g_object_unref(folder->monitor);
    g_free(folder->inode);
    g_free(folder);
}

static char *inode_key(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return g_strdup_printf("%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
}

/* Adds a monitor on one folder; FALSE when it is not to be watched or already is. */
static gboolean watch_folder(LibraryWatcher *watcher, const char *path)
{
    g_autofree char *inode = inode_key(path);
    if (inode == NULL || g_hash_table_contains(watcher->folders, path) ||
        g_hash_table_contains(watcher->inodes, inode) || library_is_own_folder(path))
        return FALSE;
    g_autoptr(GFile) file = g_file_new_for_path(path);
    g_autoptr(GError) error = NULL;
    GFileMonitor *monitor =
        g_file_monitor_directory(file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
    if (monitor == NULL) {
        g_debug("%s: cannot watch: %s", path, error->message);
        return FALSE;
    }
    g_signal_connect(monitor, "changed", G_CALLBACK(on_folder_changed), watcher);
    WatchedFolder *folder = g_new0(WatchedFolder, 1);
    folder->monitor = monitor;
    folder->inode = g_strdup(inode);
    g_hash_table_insert(watcher->inodes, g_steal_pointer(&inode), NULL);
    g_hash_table_insert(watcher->folders, g_strdup(path), folder);
    return TRUE;
}

/* Whether a folder's entry may be a folder: the type readdir gives, a link (to a folder,
 * followed) unless it is named as a photo, or a file system that does not say. A folder of
 * 100,000 photos (or links to photos) is walked on the main thread without a stat for
 * each. */
static gboolean may_be_folder(const struct dirent *entry)
{
    return entry->d_type == DT_DIR || entry->d_type == DT_UNKNOWN ||
           (entry->d_type == DT_LNK && !library_is_photo_name(entry->d_name));
}

/* Watches a folder and every visible folder below it. */
static void watch_tree(LibraryWatcher *watcher, const char *root)
{
    g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(stack, g_strdup(root));
    while (stack->len > 0) {
        g_autofree char *path = g_ptr_array_steal_index(stack, stack->len - 1);
        if (!watch_folder(watcher, path))
            continue;
        DIR *dir = opendir(path);
        struct dirent *entry;
        while (dir != NULL && (entry = readdir(dir)) != NULL) {
            if (entry->d_name[0] == '.' || !may_be_folder(entry))
                continue;
            char *child = g_build_filename(path, entry->d_name, NULL);
            if (entry->d_type == DT_DIR || g_file_test(child, G_FILE_TEST_IS_DIR))
                g_ptr_array_add(stack, child);
            else
                g_free(child);
        }
        if (dir != NULL)
            closedir(dir);
    }
}

static gboolean path_is_within(const char *path, const char *ancestor)
{
    size_t n = strlen(ancestor);
    return strncmp(path, ancestor, n) == 0 && (path[n] == '\0' || path[n] == G_DIR_SEPARATOR);
}

/* Drops the monitors of a folder that went and of everything below it. */
static void unwatch_tree(LibraryWatcher *watcher, const char *root)
{
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, watcher->folders);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        if (path_is_within(key, root)) {
            g_hash_table_remove(watcher->inodes, ((WatchedFolder *)value)->inode);
            g_hash_table_iter_remove(&iter);
        }
    }
}

static gboolean on_settled(gpointer user_data)
{
    LibraryWatcher *watcher = user_data;
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init(&iter, watcher->changed);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        g_ptr_array_add(paths, key);
        g_hash_table_iter_steal(&iter);
    }
    g_clear_pointer(&watcher->settle, g_source_unref);
    watcher->func(paths, watcher->user_data);
    return G_SOURCE_REMOVE;
}

/* Records a path and restarts the settle timer. */
static void note_change(LibraryWatcher *watcher, const char *path)
{
    g_hash_table_add(watcher->changed, g_strdup(path));
    if (watcher->settle != NULL) {
        g_source_destroy(watcher->settle);
        g_source_unref(watcher->settle);
    }
    watcher->settle = g_timeout_source_new(watcher->settle_ms);
    g_source_set_callback(watcher->settle, on_settled, watcher, NULL);
    g_source_attach(watcher->settle, watcher->context);
}

/* Whether an event on this path can matter to the library. */
static gboolean is_interesting(const char *path, gboolean is_folder)
{
    g_autofree char *name = g_path_get_basename(path);
    return name[0] != '.' && (is_folder || library_is_photo_name(name));
}

/* A path that appeared: a folder is watched from now on. */
static void path_appeared(LibraryWatcher *watcher, const char *path)
{
    gboolean is_folder = g_file_test(path, G_FILE_TEST_IS_DIR);
    if (!is_interesting(path, is_folder))
        return;
    if (is_folder)
        watch_tree(watcher, path);
    note_change(watcher, path);
}

/* A path that went: the monitors of a folder go with it. */
static void path_vanished(LibraryWatcher *watcher, const char *path)
{
    gboolean was_folder = g_hash_table_contains(watcher->folders, path);
    if (!is_interesting(path, was_folder))
        return;
    unwatch_tree(watcher, path);
    note_change(watcher, path);
}

static void on_folder_changed(GFileMonitor *monitor, GFile *file, GFile *other,
                              GFileMonitorEvent event, gpointer user_data)
{
    LibraryWatcher *watcher = user_data;
    g_autofree char *path = g_file_get_path(file);
    g_autofree char *other_path = other != NULL ? g_file_get_path(other) : NULL;
    if (path == NULL)
        return;
    switch (event) {
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
        path_appeared(watcher, path);
        break;
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
        path_vanished(watcher, path);
        break;
    case G_FILE_MONITOR_EVENT_RENAMED:
        path_vanished(watcher, path);
        if (other_path != NULL)
            path_appeared(watcher, other_path);
        break;
    case G_FILE_MONITOR_EVENT_CHANGED:
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
        if (is_interesting(path, FALSE))
            note_change(watcher, path);
        break;
    default:
        break;
    }
}

LibraryWatcher *library_watcher_new(const char *const *roots, guint settle_ms,
                                    LibraryWatcherFunc func, gpointer user_data)
{
    LibraryWatcher *watcher = g_new0(LibraryWatcher, 1);
    watcher->folders =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)watched_folder_free);
    watcher->inodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    watcher->changed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    watcher->context = g_main_context_ref_thread_default();
    watcher->settle_ms = settle_ms;
    watcher->func = func;
    watcher->user_data = user_data;
    for (guint i = 0; roots[i] != NULL; i++)
        watch_tree(watcher, roots[i]);
    return watcher;
}

void library_watcher_free(LibraryWatcher *watcher)
{
    if (watcher == NULL)
        return;
    if (watcher->settle != NULL) {
        g_source_destroy(watcher->settle);
        g_source_unref(watcher->settle);
    }
    g_hash_table_unref(watcher->folders);
    g_hash_table_unref(watcher->inodes);
    g_hash_table_unref(watcher->changed);
    g_main_context_unref(watcher->context);
    g_free(watcher);
}

guint library_watcher_n_folders(LibraryWatcher *watcher)
{
    return g_hash_table_size(watcher->folders);
}
