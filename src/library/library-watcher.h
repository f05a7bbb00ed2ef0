/* library-watcher.h: noticing changes in the library's folders while the app runs.
 *
 * inotify, behind GFileMonitor, watches one folder, not a tree, so the
 * watcher holds a monitor per folder below each root (hidden folders and the
 * app's own folders skipped, symbolic links followed once, as the crawler
 * does; a link named as a photo is taken for one, not looked at), adds monitors for folders that appear and drops those of folders
 * that go. Events on photo files and on folders are collected; once none has
 * come for `settle_ms`, the callback receives the paths involved, on the main
 * context that was the thread default when the watcher was created. The
 * caller then runs the incremental index (library_index_folders), which
 * decides what really changed: the watcher only says when to look.
 *
 * Each watched folder takes one inotify watch (fs.inotify.max_user_watches).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _LibraryWatcher LibraryWatcher;

/* paths: char*, each once, in no particular order; owned by the watcher. */
typedef void (*LibraryWatcherFunc)(GPtrArray *paths, gpointer user_data);

/* Watches the roots (absolute paths). A root missing now is not watched:
 * create a new watcher when it is back (the index marks it offline). */
LibraryWatcher *library_watcher_new(const char *const *roots, guint settle_ms,
                                    LibraryWatcherFunc func, gpointer user_data);
void library_watcher_free(LibraryWatcher *watcher);

/* How many folders have a monitor. */
guint library_watcher_n_folders(LibraryWatcher *watcher);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(LibraryWatcher, library_watcher_free)

G_END_DECLS
