/* test-app.h: what the UI tests share (tests/test-app-common.c; test-app.c,
 * test-app-timeline.c, test-app-video.c). */
#pragma once

#include "spyglass-window.h"

/* Where screenshots go: $SPYGLASS_SCREENSHOT_DIR (docs/screenshots when refreshing the
 * README's), else the test's temporary home. */
extern char *test_app_screenshot_dir;

/* Makes a temporary home (PREFIX-XXXXXX) and points HOME and the XDG folders into it, before
 * GLib caches them; renders with cairo unless told otherwise. Returns the folder. */
char *test_app_init_home(const char *prefix);

/* Writes a 224 × 224 PNG of a coloured disc or square on a plain background
 * (test_make_scene, tests/test-images.h). */
void test_app_write_scene(const char *path, const guint8 fg[3], const guint8 bg[3],
                          gboolean circle);

/* Runs `CLI index FOLDER`, its output in *out and *err; fails the test when it fails. */
void test_app_index_folder(const char *cli_path, const char *folder, char **out, char **err);

/* Runs the main loop until done(window) or the timeout; FALSE on the timeout. */
gboolean wait_for(SpyglassWindow *window, gboolean (*done)(SpyglassWindow *), double seconds);
/* Idle: not busy, not indexing. */
gboolean window_is_idle(SpyglassWindow *window);
/* Runs the main loop for that long. */
void settle(double seconds);
/* The window (or a popover) as it is on screen into the screenshots' folder as NAME.png,
 * checked not blank. */
void screenshot(SpyglassWindow *window, const char *name);
void test_app_screenshot_widget(GtkWidget *widget, const char *name);
/* The same without letting the window settle first: a state that lasts a moment. */
void test_app_screenshot_now(GtkWidget *widget, const char *name);
/* Whether a label inside widget contains text (and is drawn). */
gboolean widget_shows_text(GtkWidget *widget, const char *text);
/* Whether the menu (or a section of it) has an item with this action. */
gboolean menu_has_action(GMenuModel *model, const char *action);
/* Whether the photo page has its photo. */
gboolean photo_loaded(SpyglassWindow *window);

/* All Photos as a timeline of the library whose photos are, newest first, these names (.png),
 * taken on the days of test-app-timeline.c's headers. */
void test_app_check_timeline(SpyglassWindow *window, const char *const *newest_first,
                             guint n_photos);
/* The scrubber dragged through a timeline of thousands (the library's files over and over):
 * the month beside it, the thumbnails once it rests; then the library again. */
void test_app_check_timeline_drag(SpyglassWindow *window);
