/* test-app-video.c: videos in the real application window under Xvfb: a generated clip's
 * grid cell shows its length, the photo page plays it from the moment a search matched
 * (from the start when opened from the library), and a file of noise named .mp4 is a
 * failed entry, not a cell.
 *
 * argv[1]: spyglass-cli. $SPYGLASS_MODEL: the model to index and search with; with the
 * demo model ($SPYGLASS_TEST_DEMO_MODEL), "a red circle" must match the clip's 6th
 * second. GTK_MEDIA=none (GTK's stand-in for a missing media backend): the page shows
 * the poster frame and says why the video does not play. $SPYGLASS_SCREENSHOT_DIR
 * (optional): where the screenshots go (docs/screenshots when refreshing the README's),
 * else the test's temporary folder.
 */
#include "spyglass-application.h"
#include "spyglass-photo-item.h"
#include "spyglass-photo-page.h"
#include "spyglass-photo-cell.h"
#include "test-app.h"
#include "spyglass-window.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <math.h>
#include <string.h>

#define CLIP_FPS      5
#define CLIP_SECONDS  10
#define CIRCLE_SECOND 5 /* [5, 6): the 6th second */
#define N_STILLS      3

static const char *cli_path;
static char *tmp_dir, *photos_dir;

static const guint8 red[3] = {220, 30, 30}, blue[3] = {30, 60, 220}, green[3] = {30, 180, 60},
                    white[3] = {240, 240, 240}, dark[3] = {30, 30, 60};

/* A 10-second WebM (VP8, a keyframe every 2 s) of blue squares whose 6th second shows a
 * red circle, encoded by GStreamer from PNG frames. */
static void write_clip(const char *path)
{
    g_autofree char *frames = g_build_filename(tmp_dir, "frames", NULL);
    g_assert_cmpint(g_mkdir_with_parents(frames, 0700), ==, 0);
    for (guint i = 0; i < CLIP_FPS * CLIP_SECONDS; i++) {
        g_autofree char *name = g_strdup_printf("frame-%03u.png", i);
        g_autofree char *frame = g_build_filename(frames, name, NULL);
        gboolean circle = i / CLIP_FPS == CIRCLE_SECOND;
        test_app_write_scene(frame, circle ? red : blue, white, circle);
    }
    g_autofree char *description = g_strdup_printf(
        "multifilesrc location=%s/frame-%%03d.png index=0 caps=image/png,framerate=%u/1"
        " ! pngdec ! videoconvert ! vp8enc keyframe-max-dist=%u deadline=1 ! webmmux"
        " ! filesink location=%s",
        frames, CLIP_FPS, 2 * CLIP_FPS, path);
    g_autoptr(GError) error = NULL;
    g_autoptr(GstElement) pipeline = gst_parse_launch(description, &error);
    g_assert_no_error(error);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
    g_autoptr(GstMessage) message =
        gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    g_assert_nonnull(message);
    g_assert_cmpint(GST_MESSAGE_TYPE(message), ==, GST_MESSAGE_EOS);
    gst_element_set_state(pipeline, GST_STATE_NULL);
}

static void make_library(void)
{
    photos_dir = g_build_filename(tmp_dir, "Pictures", NULL);
    g_assert_cmpint(g_mkdir_with_parents(photos_dir, 0700), ==, 0);
    const struct {
        const char *name;
        const guint8 *fg, *bg;
        gboolean circle;
    } stills[N_STILLS] = {
        {"green-circle.png", green, dark, TRUE},
        {"blue-square.png", blue, white, FALSE},
        {"red-square.png", red, dark, FALSE},
    };
    for (guint i = 0; i < N_STILLS; i++) {
        g_autofree char *path = g_build_filename(photos_dir, stills[i].name, NULL);
        test_app_write_scene(path, stills[i].fg, stills[i].bg, stills[i].circle);
    }
    g_autofree char *clip = g_build_filename(photos_dir, "clip.webm", NULL);
    write_clip(clip);
    g_autofree char *noise = g_build_filename(photos_dir, "noise.mp4", NULL);
    g_assert_true(g_file_set_contents(noise, "\x1a\x45\xdf\xa3 not a video at all", -1, NULL));

    g_autofree char *out = NULL, *err = NULL;
    test_app_index_folder(cli_path, photos_dir, &out, &err);
    g_test_message("spyglass-cli index: %s", out);
    /* The noise is a failed entry, with the path and a reason. */
    g_autofree char *failed = g_strdup_printf("failed: %s: ", noise);
    g_assert_nonnull(strstr(out, "failed 1\n"));
    g_assert_nonnull(strstr(out, failed));
}

/* The grid position of the clip, or -1. */
static int clip_position(SpyglassWindow *window)
{
    GListModel *photos = spyglass_window_get_photos(window);
    for (guint i = 0; i < g_list_model_get_n_items(photos); i++) {
        g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(photos, i);
        if (g_str_has_suffix(spyglass_photo_item_get_path(item), "/clip.webm"))
            return (int)i;
    }
    return -1;
}

/* Idle, the clip listed with its thumbnail made from a frame. */
static gboolean shows_clip(SpyglassWindow *window)
{
    int position = clip_position(window);
    if (!window_is_idle(window) || position < 0)
        return FALSE;
    g_autoptr(SpyglassPhotoItem) item =
        g_list_model_get_item(spyglass_window_get_photos(window), (guint)position);
    return spyglass_photo_item_get_thumbnail(item) != NULL;
}

/* Idle, showing search results (scored), the clip among them. */
static gboolean shows_clip_hit(SpyglassWindow *window)
{
    int position = clip_position(window);
    if (!window_is_idle(window) || position < 0)
        return FALSE;
    g_autoptr(SpyglassPhotoItem) item =
        g_list_model_get_item(spyglass_window_get_photos(window), (guint)position);
    return !isnan(spyglass_photo_item_get_score(item));
}

/* The cell on screen showing item (in the grid or the timeline), or NULL when none is. */
static SpyglassPhotoCell *find_cell(GtkWidget *widget, SpyglassPhotoItem *item)
{
    if (SPYGLASS_IS_PHOTO_CELL(widget) && gtk_widget_get_mapped(widget) &&
        spyglass_photo_cell_get_item(SPYGLASS_PHOTO_CELL(widget)) == item)
        return SPYGLASS_PHOTO_CELL(widget);
    for (GtkWidget *child = gtk_widget_get_first_child(widget); child != NULL;
         child = gtk_widget_get_next_sibling(child)) {
        SpyglassPhotoCell *found = find_cell(child, item);
        if (found != NULL)
            return found;
    }
    return NULL;
}

/* The badge's text when drawn, else NULL. */
static const char *badge_text(SpyglassWindow *window, SpyglassPhotoItem *item)
{
    SpyglassPhotoCell *cell = find_cell(GTK_WIDGET(window), item);
    g_assert_nonnull(cell);
    GtkLabel *label = spyglass_photo_cell_get_badge_label(cell);
    return gtk_widget_get_mapped(GTK_WIDGET(label)) ? gtk_label_get_text(label) : NULL;
}

static SpyglassPhotoPage *photo_page(SpyglassWindow *window)
{
    return SPYGLASS_PHOTO_PAGE(spyglass_window_get_photo_page(window));
}

static gboolean page_loaded(SpyglassWindow *window)
{
    return spyglass_photo_page_get_loaded(photo_page(window));
}

static gboolean no_backend(void)
{
    return g_strcmp0(g_getenv("GTK_MEDIA"), "none") == 0;
}

/* The page's stream once it is playing, past its first seek, and has said where it is:
 * then its timestamp is where playback started, give or take a frame or two. */
static gboolean video_started(SpyglassWindow *window)
{
    GtkVideo *video = spyglass_photo_page_get_video(photo_page(window));
    GtkMediaStream *stream = video != NULL ? gtk_video_get_media_stream(video) : NULL;
    return stream != NULL &&
           (gtk_media_stream_get_error(stream) != NULL ||
            (gtk_media_stream_get_playing(stream) && !gtk_media_stream_is_seeking(stream) &&
             gtk_media_stream_get_timestamp(stream) > 0));
}

/* Without a backend: the poster frame and the reason, once the details are in. */
static gboolean shows_poster_and_reason(SpyglassWindow *window)
{
    SpyglassPhotoPage *page = photo_page(window);
    return spyglass_photo_page_get_loaded(page) && spyglass_photo_page_get_message(page) != NULL;
}

/* Opens the photo page on the clip at position; returns the stream's first time (seconds)
 * while playing, or NaN without a backend (after checking the page says so). */
static double open_clip(SpyglassWindow *window, guint position)
{
    g_signal_emit_by_name(spyglass_window_get_grid_view(window), "activate", position);
    g_assert_true(spyglass_window_get_showing_photo(window));
    if (no_backend()) {
        g_assert_true(wait_for(window, shows_poster_and_reason, 60));
        const char *message = spyglass_photo_page_get_message(photo_page(window));
        g_test_message("without a media backend: %s", message);
        g_assert_nonnull(strstr(message, "media support is not installed"));
        g_assert_true(spyglass_window_get_showing_photo(window));
        return NAN;
    }
    g_assert_true(wait_for(window, video_started, 60));
    GtkVideo *video = spyglass_photo_page_get_video(photo_page(window));
    GtkMediaStream *stream = gtk_video_get_media_stream(video);
    g_assert_no_error(gtk_media_stream_get_error(stream));
    g_assert_true(gtk_widget_get_mapped(GTK_WIDGET(video)));
    double at = gtk_media_stream_get_timestamp(stream) / (double)G_USEC_PER_SEC;
    g_assert_cmpfloat_with_epsilon(gtk_media_stream_get_duration(stream) / (double)G_USEC_PER_SEC,
                                   CLIP_SECONDS, 0.5);
    g_assert_true(wait_for(window, page_loaded, 60));
    /* The details say how long it is. */
    g_assert_true(widget_shows_text(GTK_WIDGET(photo_page(window)), "0:10"));
    return at;
}

static void test_videos(void)
{
    g_autoptr(SpyglassApplication) app = spyglass_application_new();
    g_application_set_flags(G_APPLICATION(app), G_APPLICATION_NON_UNIQUE);
    g_autoptr(GError) error = NULL;
    g_assert_true(g_application_register(G_APPLICATION(app), NULL, &error));
    g_assert_no_error(error);
    g_application_activate(G_APPLICATION(app));
    SpyglassWindow *window =
        SPYGLASS_WINDOW(gtk_application_get_active_window(GTK_APPLICATION(app)));
    g_assert_nonnull(window);
    gtk_window_set_default_size(GTK_WINDOW(window), 900, 600);
    GListModel *photos = spyglass_window_get_photos(window);

    /* The library: the stills and the clip, its thumbnail a frame; the noise is no cell. */
    g_assert_true(wait_for(window, shows_clip, 120));
    g_assert_cmpuint(g_list_model_get_n_items(photos), ==, N_STILLS + 1);
    int position = clip_position(window);
    g_autoptr(SpyglassPhotoItem) clip = g_list_model_get_item(photos, (guint)position);
    g_assert_true(spyglass_photo_item_is_video(clip));
    g_assert_cmpfloat_with_epsilon(spyglass_photo_item_get_duration(clip), CLIP_SECONDS, 0.3);
    g_assert_true(isnan(spyglass_photo_item_get_time(clip)));
    settle(0.3);
    g_assert_cmpstr(badge_text(window, clip), ==, "0:10");
    for (guint i = 0; i < g_list_model_get_n_items(photos); i++) {
        g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(photos, i);
        if ((int)i != position)
            g_assert_null(badge_text(window, item));
    }
    if (!no_backend())
        screenshot(window, "video-grid");

    /* From the library, the clip plays from its start. */
    double at = open_clip(window, (guint)position);
    if (!isnan(at)) {
        g_test_message("opened from the library: playing from %.2f s", at);
        g_assert_cmpfloat(at, <, 1.0);
    }
    g_assert_true(gtk_widget_activate_action(GTK_WIDGET(window), "win.clear-search", NULL));
    g_assert_false(spyglass_window_get_showing_photo(window));
    g_assert_null(spyglass_photo_page_get_video(photo_page(window)));

    /* A search hit of the clip: it plays from the frame that matched. */
    g_object_set(window, "show-weaker", TRUE, NULL);
    gtk_editable_set_text(spyglass_window_get_search_entry(window), "a red circle");
    g_assert_true(wait_for(window, shows_clip_hit, 60));
    position = clip_position(window);
    g_assert_cmpint(position, >=, 0);
    g_autoptr(SpyglassPhotoItem) hit = g_list_model_get_item(photos, (guint)position);
    double time = spyglass_photo_item_get_time(hit);
    g_test_message("“a red circle”: the clip at %.2f s, result %d", time, position);
    g_assert_false(isnan(time));
    if (g_getenv("SPYGLASS_TEST_DEMO_MODEL") != NULL) {
        g_assert_cmpint(position, ==, 0);
        g_assert_cmpfloat(fabs(time - (CIRCLE_SECOND + 1)), <=, 1.0);
    }
    settle(0.3);
    g_assert_cmpstr(badge_text(window, hit), ==, "0:10");
    at = open_clip(window, (guint)position);
    if (!isnan(at)) {
        g_test_message("opened from the search: playing from %.2f s", at);
        g_assert_cmpfloat(fabs(at - time), <=, 1.0);
        /* Paused at the circle: a playing video relayouts its controls every frame, and a
         * widget waiting for its layout renders nothing. */
        GtkVideo *video = spyglass_photo_page_get_video(photo_page(window));
        gtk_media_stream_pause(gtk_video_get_media_stream(video));
        screenshot(window, "video-page");
    }

    gtk_window_destroy(GTK_WINDOW(window));
    settle(0.2);
}

int main(int argc, char **argv)
{
    g_assert_cmpint(argc, >=, 2);
    cli_path = argv[1];
    tmp_dir = test_app_init_home("spyglass-app-video");

    g_test_init(&argc, &argv, NULL);
    gtk_init();
    adw_init();
    gst_init(NULL, NULL);
    make_library();
    g_test_add_func("/app/video/badge-and-playback", test_videos);
    return g_test_run();
}
