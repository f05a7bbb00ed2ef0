/* test-app.h: what the UI test's files share (tests/test-app.c, test-app-timeline.c). */
#pragma once

#include "spyglass-window.h"

/* Runs the main loop until done(window) or the timeout; FALSE on the timeout. */
gboolean wait_for(SpyglassWindow *window, gboolean (*done)(SpyglassWindow *), double seconds);
/* Runs the main loop for that long. */
void settle(double seconds);
/* The window as it is on screen into the screenshots' folder as NAME.png, checked not blank. */
void screenshot(SpyglassWindow *window, const char *name);
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
