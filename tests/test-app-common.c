/* test-app-common.c: what the application's UI tests share (tests/test-app.c,
 * test-app-timeline.c, test-app-video.c): a temporary home, running the main loop until
 * something shows, screenshots, and finding text on screen. */
#include "test-app.h"
#include "test-images.h"
#include "test-common.h"

#include "spyglass-engine.h"

#include <glib/gstdio.h>
#include <string.h>

char *test_app_screenshot_dir;

char *test_app_init_home(const char *prefix)
{
    char *tmp_dir = test_init_temp_home(prefix);
    g_setenv("GSK_RENDERER", "cairo", FALSE);
    const char *shots = g_getenv("SPYGLASS_SCREENSHOT_DIR");
    test_app_screenshot_dir = shots != NULL && *shots != '\0' ? g_strdup(shots) : g_strdup(tmp_dir);
    g_mkdir_with_parents(test_app_screenshot_dir, 0700);
    return tmp_dir;
}

/* Runs the main loop until done(window) or the timeout. */
gboolean wait_for(SpyglassWindow *window, gboolean (*done)(SpyglassWindow *), double seconds)
{
    gint64 end = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);
    while (!done(window)) {
        if (g_get_monotonic_time() > end)
            return FALSE;
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
    return TRUE;
}

void settle(double seconds)
{
    gint64 end = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);
    while (g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
}

gboolean window_is_idle(SpyglassWindow *window)
{
    SpyglassEngine *engine = NULL;
    g_object_get(window, "engine", &engine, NULL);
    gboolean idle = !spyglass_window_get_busy(window) && !spyglass_engine_get_indexing(engine);
    g_object_unref(engine);
    return idle;
}

/* Renders a window (or popover) as it is on screen into <test_app_screenshot_dir>/<name>.png and
 * checks it is not blank: the pixels must vary. */
void test_app_screenshot_widget(GtkWidget *widget, const char *name)
{
    settle(0.3);
    test_app_screenshot_now(widget, name);
}

static void painted(GdkFrameClock *clock, gboolean *done)
{
    *done = TRUE;
}

void test_app_screenshot_now(GtkWidget *widget, const char *name)
{
    /* Just after a frame, when the widgets are laid out (a widget waiting for its allocation
     * has nothing to draw). */
    GdkFrameClock *clock = gtk_widget_get_frame_clock(widget);
    gboolean done = FALSE;
    gulong handler = g_signal_connect(clock, "after-paint", G_CALLBACK(painted), &done);
    gtk_widget_queue_draw(widget);
    gint64 end = g_get_monotonic_time() + G_USEC_PER_SEC;
    while (!done && g_get_monotonic_time() < end)
        g_main_context_iteration(NULL, TRUE);
    g_signal_handler_disconnect(clock, handler);
    int w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
    g_assert_cmpint(w, >, 0);
    g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(widget);
    g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new();
    gdk_paintable_snapshot(paintable, snapshot, w, h);
    g_autoptr(GskRenderNode) node = gtk_snapshot_free_to_node(g_steal_pointer(&snapshot));
    g_assert_nonnull(node);
    GskRenderer *renderer = gtk_native_get_renderer(GTK_NATIVE(widget));
    g_autoptr(GdkTexture) texture =
        gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, w, h));
    g_autofree char *file = g_strdup_printf("%s.png", name);
    g_autofree char *path = g_build_filename(test_app_screenshot_dir, file, NULL);
    g_assert_true(gdk_texture_save_to_png(texture, path));
    g_test_message("screenshot %s", path);

    int tw = gdk_texture_get_width(texture), th = gdk_texture_get_height(texture);
    g_autofree guint8 *data = g_malloc((size_t)tw * th * 4);
    gdk_texture_download(texture, data, (size_t)tw * 4);
    double sum = 0, sum2 = 0;
    size_t n = (size_t)tw * th;
    for (size_t i = 0; i < n; i++) {
        double v = (data[i * 4] + data[i * 4 + 1] + data[i * 4 + 2]) / 3.0;
        sum += v;
        sum2 += v * v;
    }
    double mean = sum / n, variance = sum2 / n - mean * mean;
    g_test_message("%s: mean %.1f, variance %.1f", name, mean, variance);
    g_assert_cmpfloat(variance, >, 100.0);
}

void screenshot(SpyglassWindow *window, const char *name)
{
    test_app_screenshot_widget(GTK_WIDGET(window), name);
}

/* Whether a label or row inside widget contains text (and is drawn). */
gboolean widget_shows_text(GtkWidget *widget, const char *text)
{
    if (!gtk_widget_get_mapped(widget))
        return FALSE;
    const char *shown = GTK_IS_LABEL(widget) ? gtk_label_get_text(GTK_LABEL(widget)) : NULL;
    if (shown != NULL && strstr(shown, text) != NULL)
        return TRUE;
    for (GtkWidget *child = gtk_widget_get_first_child(widget); child != NULL;
         child = gtk_widget_get_next_sibling(child))
        if (widget_shows_text(child, text))
            return TRUE;
    return FALSE;
}

void test_app_write_scene(const char *path, const guint8 fg[3], const guint8 bg[3], gboolean circle)
{
    const uint32_t side = 224;
    g_autofree uint8_t *rgb = test_make_scene(side, fg, bg, circle);
    g_autoptr(GBytes) png = test_png_encode(rgb, side, side, NULL);
    g_assert_true(g_file_set_contents(path, g_bytes_get_data(png, NULL),
                                      (gssize)g_bytes_get_size(png), NULL));
}

void test_app_index_folder(const char *cli_path, const char *folder, char **out, char **err)
{
    const char *argv[] = {cli_path, "index", folder, NULL};
    int status = 0;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                               &status, &error));
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("spyglass-cli index failed: %s%s", *out, *err);
}
