/* test-app.c: the real application window under Xvfb: a generated library indexed with
 * spyglass-cli, the library grid, a typed search, the photo menu's Find Similar, an album
 * from the sidebar, the photo page, the unreadable files, preferences and a photo added
 * while the app runs; each state screenshotted.
 *
 * argv[1]: spyglass-cli. $SPYGLASS_MODEL: the model to index and search with.
 * $SPYGLASS_SCREENSHOT_DIR (optional): where the PNGs go (docs/screenshots when
 * refreshing the README's), else the test's temporary folder.
 */
#include "spyglass-application.h"
#include "spyglass-photo-item.h"
#include "spyglass-photo-page.h"
#include "spyglass-preferences-window.h"
#include "test-app.h"
#include "spyglass-window.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <utime.h>

static const char *cli_path;
static char *tmp_dir, *photos_dir;

typedef struct {
    const char *name;
    guint8 fg[3], bg[3];
    gboolean circle;
    const char *taken; /* the file's time (UTC, the test's local clock): the timeline's date */
} Scene;

/* Newest first, as the timeline lists them. */
static const Scene scenes[] = {
    {"red-circle", {220, 30, 30}, {240, 240, 240}, TRUE, "2025-07-12T10:00:00Z"},
    {"red-square", {220, 30, 30}, {30, 30, 60}, FALSE, "2025-07-12T09:00:00Z"},
    {"blue-circle", {30, 60, 220}, {240, 240, 240}, TRUE, "2025-03-02T18:00:00Z"},
    {"blue-square", {30, 60, 220}, {250, 230, 120}, FALSE, "2024-12-24T20:00:00Z"},
    {"green-circle", {30, 180, 60}, {40, 40, 40}, TRUE, "2019-03-15T12:00:00Z"},
    {"green-square", {30, 180, 60}, {240, 240, 240}, FALSE, "2019-03-03T12:00:00Z"},
    {"yellow-circle", {240, 220, 40}, {30, 60, 160}, TRUE, "2015-08-01T12:00:00Z"},
    {"yellow-square", {240, 220, 40}, {20, 20, 20}, FALSE, "2015-06-20T12:00:00Z"},
};

static void write_scene(const Scene *scene, const char *path)
{
    test_app_write_scene(path, scene->fg, scene->bg, scene->circle);
}

static void make_library(void)
{
    photos_dir = g_build_filename(tmp_dir, "Pictures", NULL);
    g_assert_cmpint(g_mkdir_with_parents(photos_dir, 0700), ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(scenes); i++) {
        g_autofree char *name = g_strdup_printf("%s.png", scenes[i].name);
        g_autofree char *path = g_build_filename(photos_dir, name, NULL);
        write_scene(&scenes[i], path);
        g_autoptr(GDateTime) taken = g_date_time_new_from_iso8601(scenes[i].taken, NULL);
        struct utimbuf times = {g_date_time_to_unix(taken), g_date_time_to_unix(taken)};
        g_assert_cmpint(utime(path, &times), ==, 0);
    }
    /* A file the decoder cannot read: listed with its reason, not in the grid. */
    g_autofree char *broken = g_build_filename(photos_dir, "broken.jpg", NULL);
    g_assert_true(g_file_set_contents(broken, "not a JPEG at all", -1, NULL));
    g_autofree char *out = NULL, *err = NULL;
    test_app_index_folder(cli_path, photos_dir, &out, &err);
    /* The first index with a model encodes the album taxonomy's prompts, and says so. */
    g_test_message("spyglass-cli index: %s", err);
    g_assert_true(g_regex_match_simple("^preparing albums: ([0-9]+)/\\1 prompts$", err,
                                       G_REGEX_MULTILINE, 0));
}

/* Idle, with the thumbnails of the first photos loaded. */
static gboolean shows_thumbnails(SpyglassWindow *window)
{
    if (!window_is_idle(window))
        return FALSE;
    GListModel *photos = spyglass_window_get_photos(window);
    guint n = MIN(g_list_model_get_n_items(photos), 4u);
    if (n == 0)
        return FALSE;
    for (guint i = 0; i < n; i++) {
        g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(photos, i);
        if (spyglass_photo_item_get_thumbnail(item) == NULL)
            return FALSE;
    }
    return TRUE;
}

static gboolean has_results(SpyglassWindow *window)
{
    return window_is_idle(window) &&
           g_list_model_get_n_items(spyglass_window_get_photos(window)) > 0;
}

/* The target of the menu item with this action, searched through sections. */
static GVariant *find_menu_target(GMenuModel *model, const char *action)
{
    for (int i = 0; i < g_menu_model_get_n_items(model); i++) {
        g_autofree char *name = NULL;
        if (g_menu_model_get_item_attribute(model, i, G_MENU_ATTRIBUTE_ACTION, "s", &name) &&
            g_str_equal(name, action))
            return g_menu_model_get_item_attribute_value(model, i, G_MENU_ATTRIBUTE_TARGET, NULL);
        const char *links[] = {G_MENU_LINK_SECTION, G_MENU_LINK_SUBMENU};
        for (size_t l = 0; l < G_N_ELEMENTS(links); l++) {
            g_autoptr(GMenuModel) link = g_menu_model_get_item_link(model, i, links[l]);
            GVariant *target = link != NULL ? find_menu_target(link, action) : NULL;
            if (target != NULL)
                return target;
        }
    }
    return NULL;
}

/* Whether the menu (or a section of it) has an item with this action. */
gboolean menu_has_action(GMenuModel *model, const char *action)
{
    for (int i = 0; i < g_menu_model_get_n_items(model); i++) {
        g_autofree char *name = NULL;
        if (g_menu_model_get_item_attribute(model, i, G_MENU_ATTRIBUTE_ACTION, "s", &name) &&
            g_str_equal(name, action))
            return TRUE;
        g_autoptr(GMenuModel) section = g_menu_model_get_item_link(model, i, G_MENU_LINK_SECTION);
        if (section != NULL && menu_has_action(section, action))
            return TRUE;
    }
    return FALSE;
}

/* The grid position of the photo whose path ends so, or -1. */
static int position_of(GListModel *photos, const char *suffix)
{
    for (guint i = 0; i < g_list_model_get_n_items(photos); i++) {
        g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(photos, i);
        if (g_str_has_suffix(spyglass_photo_item_get_path(item), suffix))
            return (int)i;
    }
    return -1;
}

static gboolean shows_blue_square(SpyglassWindow *window)
{
    return window_is_idle(window) &&
           position_of(spyglass_window_get_photos(window), "/blue-square.png") >= 0;
}

static gboolean lacks_blue_square(SpyglassWindow *window)
{
    return window_is_idle(window) &&
           position_of(spyglass_window_get_photos(window), "/blue-square.png") < 0;
}

static GtkListBoxRow *find_sidebar_row(SpyglassWindow *window, SpyglassSidebarKind kind)
{
    GtkListBox *sidebar = spyglass_sidebar_get_list(spyglass_window_get_sidebar(window));
    for (int i = 0;; i++) {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index(sidebar, i);
        if (row == NULL || spyglass_sidebar_row_kind(row) == kind)
            return row;
    }
}

static gboolean is_indexing(SpyglassWindow *window)
{
    SpyglassEngine *engine = NULL;
    g_object_get(window, "engine", &engine, NULL);
    gboolean indexing = spyglass_engine_get_indexing(engine);
    g_object_unref(engine);
    return indexing;
}

static gboolean is_not_indexing(SpyglassWindow *window)
{
    return !is_indexing(window);
}

/* The library, the photo added while running and the six of the batch. */
static gboolean shows_all_batches(SpyglassWindow *window)
{
    return window_is_idle(window) && g_list_model_get_n_items(spyglass_window_get_photos(window)) ==
                                         G_N_ELEMENTS(scenes) + 1 + 6;
}

/* …and the two photos of a second folder. */
static gboolean shows_extra_folder(SpyglassWindow *window)
{
    return window_is_idle(window) && g_list_model_get_n_items(spyglass_window_get_photos(window)) ==
                                         G_N_ELEMENTS(scenes) + 1 + 6 + 2;
}

/* The Preferences' remove button of a library folder. */
static GtkWidget *find_remove_button(GtkWidget *widget, const char *path)
{
    if (GTK_IS_BUTTON(widget) && g_strcmp0(g_object_get_data(G_OBJECT(widget), "path"), path) == 0)
        return widget;
    for (GtkWidget *child = gtk_widget_get_first_child(widget); child != NULL;
         child = gtk_widget_get_next_sibling(child)) {
        GtkWidget *found = find_remove_button(child, path);
        if (found != NULL)
            return found;
    }
    return NULL;
}

static gboolean has_smart_album(SpyglassWindow *window)
{
    return find_sidebar_row(window, SPYGLASS_SIDEBAR_SMART_ALBUM) != NULL;
}

gboolean photo_loaded(SpyglassWindow *window)
{
    return spyglass_photo_page_get_loaded(
        SPYGLASS_PHOTO_PAGE(spyglass_window_get_photo_page(window)));
}

static gboolean shows_one_more(SpyglassWindow *window)
{
    return window_is_idle(window) &&
           g_list_model_get_n_items(spyglass_window_get_photos(window)) == G_N_ELEMENTS(scenes) + 1;
}

/* The window of a type the main window opened, once it is mapped. */
static GtkWindow *wait_for_toplevel(SpyglassWindow *window, GType type)
{
    gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < end) {
        GListModel *toplevels = gtk_window_get_toplevels(); /* owned by GTK */
        for (guint i = 0; i < g_list_model_get_n_items(toplevels); i++) {
            g_autoptr(GtkWindow) toplevel = g_list_model_get_item(toplevels, i);
            if (toplevel != GTK_WINDOW(window) && G_TYPE_CHECK_INSTANCE_TYPE(toplevel, type) &&
                gtk_widget_get_mapped(GTK_WIDGET(toplevel)) && window_is_idle(window)) {
                settle(0.3);
                return toplevel;
            }
        }
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
    return NULL;
}

/* Activates a window action and returns the toplevel of type it opens. */
static GtkWindow *open_window(SpyglassWindow *window, const char *action, GType type)
{
    g_assert_true(gtk_widget_activate_action(GTK_WIDGET(window), action, NULL));
    GtkWindow *opened = wait_for_toplevel(window, type);
    g_assert_nonnull(opened);
    return opened;
}

/* Selects a sidebar section and waits (up to seconds) until ready holds. */
static void show_section(SpyglassWindow *window, SpyglassSidebarKind kind,
                         gboolean (*ready)(SpyglassWindow *), double seconds)
{
    gtk_list_box_select_row(spyglass_sidebar_get_list(spyglass_window_get_sidebar(window)),
                            find_sidebar_row(window, kind));
    g_assert_true(wait_for(window, ready, seconds));
}

/* The message dialog that parent opened, once it is mapped. */
static GtkWindow *wait_for_dialog_of(GtkWindow *parent)
{
    gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < end) {
        GListModel *toplevels = gtk_window_get_toplevels(); /* owned by GTK */
        for (guint i = 0; i < g_list_model_get_n_items(toplevels); i++) {
            g_autoptr(GtkWindow) toplevel = g_list_model_get_item(toplevels, i);
            if (ADW_IS_MESSAGE_DIALOG(toplevel) &&
                gtk_window_get_transient_for(toplevel) == parent &&
                gtk_widget_get_mapped(GTK_WIDGET(toplevel))) {
                settle(0.3);
                return toplevel;
            }
        }
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
    return NULL;
}

/* After the window's own handler: the indexing status shows what happens. */
static void note_preparing_albums(gboolean *shown, SpyglassEngine *engine)
{
    GListModel *toplevels = gtk_window_get_toplevels();
    for (guint i = 0; i < g_list_model_get_n_items(toplevels); i++) {
        g_autoptr(GtkWidget) toplevel = g_list_model_get_item(toplevels, i);
        if (SPYGLASS_IS_WINDOW(toplevel) && widget_shows_text(toplevel, "Preparing albums…"))
            *shown = TRUE;
    }
}

static gboolean shows_demo_notice(SpyglassWindow *window)
{
    return widget_shows_text(GTK_WIDGET(window), "demo model");
}

static void test_window(void)
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

    /* The library, indexed by spyglass-cli, opens with every photo. */
    g_assert_true(wait_for(window, shows_thumbnails, 120));
    GListModel *photos = spyglass_window_get_photos(window);
    g_assert_cmpuint(g_list_model_get_n_items(photos), ==, G_N_ELEMENTS(scenes));
    screenshot(window, "library");
    const char *newest_first[G_N_ELEMENTS(scenes)];
    for (guint i = 0; i < G_N_ELEMENTS(scenes); i++)
        newest_first[i] = scenes[i].name;
    test_app_check_timeline(window, newest_first, G_N_ELEMENTS(scenes));
    test_app_check_timeline_drag(window);

    /* The demo model is in use: the notice says so, Get a Model… opens the models page. */
    if (g_getenv("SPYGLASS_TEST_DEMO_MODEL") != NULL) {
        g_assert_true(wait_for(window, shows_demo_notice, 10));
        GtkWindow *models =
            open_window(window, "win.preferences-model", SPYGLASS_TYPE_PREFERENCES_WINDOW);
        g_assert_cmpstr(
            adw_preferences_window_get_visible_page_name(ADW_PREFERENCES_WINDOW(models)), ==,
            "models");
        gtk_window_destroy(models);
    }

    /* A typed description: results, best first. */
    gtk_editable_set_text(spyglass_window_get_search_entry(window), "a red circle");
    settle(0.3); /* past the debounce */
    g_assert_true(wait_for(window, has_results, 60));
    guint n = g_list_model_get_n_items(photos);
    g_assert_cmpuint(n, >, 0);
    float previous = INFINITY;
    for (guint i = 0; i < n; i++) {
        g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(photos, i);
        float score = spyglass_photo_item_get_score(item);
        g_assert_false(isnan(score));
        g_assert_cmpfloat(score, <=, previous);
        previous = score;
    }
    g_autoptr(SpyglassPhotoItem) first = g_list_model_get_item(photos, 0);
    g_test_message("first result for “a red circle”: %s", spyglass_photo_item_get_path(first));
    if (g_getenv("SPYGLASS_TEST_DEMO_MODEL") != NULL)
        g_assert_true(g_str_has_suffix(spyglass_photo_item_get_path(first), "red-circle.png"));
    g_assert_true(wait_for(window, shows_thumbnails, 30));
    screenshot(window, "search");

    /* The toggles: weaker matches add photos, newest first keeps the same photos. */
    guint strong = g_list_model_get_n_items(photos);
    g_object_set(window, "show-weaker", TRUE, NULL);
    g_assert_cmpuint(g_list_model_get_n_items(photos), >=, strong);
    g_object_set(window, "sort-by-date", TRUE, NULL);
    g_assert_cmpuint(g_list_model_get_n_items(photos), >=, strong);
    g_object_set(window, "sort-by-date", FALSE, "show-weaker", FALSE, NULL);
    g_assert_cmpuint(g_list_model_get_n_items(photos), ==, strong);

    /* Save as Album: the search becomes a smart album in the sidebar. */
    GtkWindow *save = open_window(window, "win.save-album", ADW_TYPE_MESSAGE_DIALOG);
    adw_message_dialog_response(ADW_MESSAGE_DIALOG(save), "save");
    g_assert_true(wait_for(window, has_smart_album, 30));

    /* The photo menu of the first result, as the Menu key opens it, then its Find Similar:
     * other photos, the photo itself excluded. */
    gint64 id = spyglass_photo_item_get_id(first);
    GtkWidget *menu = spyglass_window_popup_photo_menu(window, 0);
    g_assert_true(GTK_IS_POPOVER_MENU(menu));
    settle(0.3);
    g_assert_true(gtk_widget_get_mapped(menu));
    test_app_screenshot_widget(menu, "menu");
    GVariant *target = find_menu_target(gtk_popover_menu_get_menu_model(GTK_POPOVER_MENU(menu)),
                                        "win.find-similar");
    g_assert_nonnull(target);
    g_assert_cmpint(g_variant_get_int64(target), ==, id);
    g_assert_true(gtk_widget_activate_action_variant(menu, "win.find-similar", target));
    g_variant_unref(target);
    gtk_popover_popdown(GTK_POPOVER(menu));
    settle(0.1);
    g_assert_true(wait_for(window, has_results, 60));
    g_assert_cmpuint(g_list_model_get_n_items(photos), >, 0);
    g_assert_cmpuint(g_list_model_get_n_items(photos), <=, G_N_ELEMENTS(scenes) - 1);
    for (guint i = 0; i < g_list_model_get_n_items(photos); i++) {
        g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(photos, i);
        g_assert_cmpint(spyglass_photo_item_get_id(item), !=, id);
    }
    g_assert_true(wait_for(window, shows_thumbnails, 30));
    screenshot(window, "similar");

    /* Escape returns to the library. */
    g_assert_true(gtk_widget_activate_action(GTK_WIDGET(window), "win.clear-search", NULL));
    settle(0.1);
    g_assert_true(wait_for(window, shows_thumbnails, 30));
    g_assert_cmpuint(g_list_model_get_n_items(photos), ==, G_N_ELEMENTS(scenes));

    /* An auto-album from the sidebar: its photos, fewer than the library's. */
    GtkListBoxRow *album = find_sidebar_row(window, SPYGLASS_SIDEBAR_ALBUM);
    g_assert_nonnull(album);
    gtk_list_box_select_row(spyglass_sidebar_get_list(spyglass_window_get_sidebar(window)), album);
    settle(0.1);
    g_assert_true(wait_for(window, shows_thumbnails, 60));
    guint in_album = g_list_model_get_n_items(photos);
    g_test_message("first album: %u photos", in_album);
    g_assert_cmpuint(in_album, >, 0);
    g_assert_cmpuint(in_album, <, G_N_ELEMENTS(scenes));
    screenshot(window, "album");

    /* The saved search: its photos, the red circle first. */
    gtk_list_box_select_row(spyglass_sidebar_get_list(spyglass_window_get_sidebar(window)),
                            find_sidebar_row(window, SPYGLASS_SIDEBAR_SMART_ALBUM));
    settle(0.1);
    g_assert_true(wait_for(window, has_results, 60));
    g_autoptr(SpyglassPhotoItem) saved_first = g_list_model_get_item(photos, 0);
    if (g_getenv("SPYGLASS_TEST_DEMO_MODEL") != NULL)
        g_assert_true(
            g_str_has_suffix(spyglass_photo_item_get_path(saved_first), "red-circle.png"));
    gtk_list_box_select_row(spyglass_sidebar_get_list(spyglass_window_get_sidebar(window)), album);
    settle(0.1);
    g_assert_true(wait_for(window, shows_thumbnails, 60));
    g_assert_cmpuint(g_list_model_get_n_items(photos), ==, in_album);

    /* Enter on a photo: the photo page, then the next photo, then back. */
    g_signal_emit_by_name(spyglass_window_get_grid_view(window), "activate", 0);
    g_assert_true(spyglass_window_get_showing_photo(window));
    g_assert_true(wait_for(window, photo_loaded, 30));
    SpyglassPhotoPage *page = SPYGLASS_PHOTO_PAGE(spyglass_window_get_photo_page(window));
    g_autoptr(SpyglassPhotoItem) shown = g_list_model_get_item(photos, 0);
    g_assert_cmpint(spyglass_photo_page_get_photo_id(page), ==, spyglass_photo_item_get_id(shown));
    screenshot(window, "photo");
    if (in_album > 1) {
        g_assert_true(gtk_widget_activate_action(GTK_WIDGET(page), "photo.next", NULL));
        g_assert_cmpuint(spyglass_photo_page_get_position(page), ==, 1);
        g_assert_true(wait_for(window, photo_loaded, 30));
    }
    g_assert_true(gtk_widget_activate_action(GTK_WIDGET(window), "win.clear-search", NULL));
    g_assert_false(spyglass_window_get_showing_photo(window));
    g_assert_cmpuint(g_list_model_get_n_items(photos), ==, in_album);

    /* The file that could not be read, with its reason. */
    show_section(window, SPYGLASS_SIDEBAR_ALL_PHOTOS, shows_thumbnails, 30);
    GtkWindow *failures = open_window(window, "win.show-failures", ADW_TYPE_WINDOW);
    g_assert_true(widget_shows_text(GTK_WIDGET(failures), "broken.jpg"));
    test_app_screenshot_widget(GTK_WIDGET(failures), "failures");
    gtk_window_destroy(failures);

    /* Add to Album from the photo menu: the blue square joins the saved search (an
     * example photo); Remove from Album there takes it out again. */
    int blue = position_of(photos, "/blue-square.png");
    g_assert_cmpint(blue, >=, 0);
    GtkWidget *add_menu = spyglass_window_popup_photo_menu(window, (guint)blue);
    settle(0.2);
    GVariant *album_id = find_menu_target(
        gtk_popover_menu_get_menu_model(GTK_POPOVER_MENU(add_menu)), "win.add-to-album");
    g_assert_nonnull(album_id);
    g_assert_true(gtk_widget_activate_action_variant(add_menu, "win.add-to-album", album_id));
    g_variant_unref(album_id);
    gtk_popover_popdown(GTK_POPOVER(add_menu));
    settle(0.3);
    show_section(window, SPYGLASS_SIDEBAR_SMART_ALBUM, shows_blue_square, 60);
    blue = position_of(photos, "/blue-square.png");
    GtkWidget *remove_menu = spyglass_window_popup_photo_menu(window, (guint)blue);
    settle(0.2);
    g_assert_true(menu_has_action(gtk_popover_menu_get_menu_model(GTK_POPOVER_MENU(remove_menu)),
                                  "win.remove-from-album"));
    g_assert_true(gtk_widget_activate_action(remove_menu, "win.remove-from-album", NULL));
    gtk_popover_popdown(GTK_POPOVER(remove_menu));
    g_assert_true(wait_for(window, lacks_blue_square, 60));
    show_section(window, SPYGLASS_SIDEBAR_ALL_PHOTOS, shows_thumbnails, 30);

    /* Preferences (Ctrl+,), and its models page. */
    GtkWindow *preferences =
        open_window(window, "win.preferences", SPYGLASS_TYPE_PREFERENCES_WINDOW);
    g_assert_true(widget_shows_text(GTK_WIDGET(preferences), "Pictures"));
    test_app_screenshot_widget(GTK_WIDGET(preferences), "preferences");
    spyglass_preferences_window_show_models(SPYGLASS_PREFERENCES_WINDOW(preferences));
    settle(0.2);
    g_assert_true(widget_shows_text(GTK_WIDGET(preferences), "Demo Model"));
    test_app_screenshot_widget(GTK_WIDGET(preferences), "preferences-models");
    gtk_window_destroy(preferences);

    /* Dismissed, the demo notice stays away. */
    if (g_getenv("SPYGLASS_TEST_DEMO_MODEL") != NULL) {
        g_assert_true(
            gtk_widget_activate_action(GTK_WIDGET(window), "win.dismiss-demo-notice", NULL));
        settle(0.5);
        g_assert_false(widget_shows_text(GTK_WIDGET(window), "demo model"));
    }

    /* A photo saved into the folder while the app runs appears without a restart. With the
     * album vectors' cache gone, sorting it into albums encodes the prompts again, and the
     * indexing status says so. */
    g_autofree char *album_cache = g_build_filename(tmp_dir, "cache", "spyglass", "albums", NULL);
    g_autoptr(GFile) album_cache_dir = g_file_new_for_path(album_cache);
    g_autoptr(GFileEnumerator) cached = g_file_enumerate_children(
        album_cache_dir, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NONE, NULL, NULL);
    g_assert_nonnull(cached);
    GFileInfo *info;
    while ((info = g_file_enumerator_next_file(cached, NULL, NULL)) != NULL) {
        g_autoptr(GFile) child = g_file_get_child(album_cache_dir, g_file_info_get_name(info));
        g_assert_true(g_file_delete(child, NULL, NULL));
        g_object_unref(info);
    }
    SpyglassEngine *engine = NULL;
    g_object_get(window, "engine", &engine, NULL);
    gboolean preparing_shown = FALSE;
    gulong preparing_handler =
        g_signal_connect_data(engine, "preparing-albums", G_CALLBACK(note_preparing_albums),
                              &preparing_shown, NULL, G_CONNECT_AFTER | G_CONNECT_SWAPPED);
    g_autofree char *added = g_build_filename(photos_dir, "late-red-circle.png", NULL);
    write_scene(&scenes[0], added);
    g_assert_true(wait_for(window, shows_one_more, 90));
    g_signal_handler_disconnect(engine, preparing_handler);
    g_object_unref(engine);
    g_assert_true(preparing_shown);

    /* More photos arrive; pausing stops the run and says so, resuming finishes it. */
    for (guint i = 0; i < 6; i++) {
        const Scene *scene = &scenes[i % G_N_ELEMENTS(scenes)];
        g_autofree char *name = g_strdup_printf("batch-%u-%s.png", i, scene->name);
        g_autofree char *path = g_build_filename(photos_dir, name, NULL);
        write_scene(scene, path);
    }
    g_assert_true(wait_for(window, is_indexing, 60));
    g_assert_true(gtk_widget_activate_action(GTK_WIDGET(window), "win.pause-indexing", NULL));
    g_assert_true(wait_for(window, is_not_indexing, 60));
    settle(0.2);
    if (widget_shows_text(GTK_WIDGET(window), "Indexing paused")) {
        screenshot(window, "paused");
        g_assert_true(gtk_widget_activate_action(GTK_WIDGET(window), "win.pause-indexing", NULL));
        g_assert_true(wait_for(window, is_indexing, 30));
    } else {
        g_test_message("the run finished before the pause reached it");
    }
    g_assert_true(wait_for(window, shows_all_batches, 90));
    g_assert_false(widget_shows_text(GTK_WIDGET(window), "Indexing paused"));

    /* A second folder joins the library (the settings add it), then leaves it from
     * Preferences: the confirmation counts its photos, the grid loses them, the files stay. */
    g_autofree char *extra = g_build_filename(tmp_dir, "Extra", NULL);
    g_assert_cmpint(g_mkdir_with_parents(extra, 0700), ==, 0);
    g_autofree char *extra_a = g_build_filename(extra, "extra-a.png", NULL);
    g_autofree char *extra_b = g_build_filename(extra, "extra-b.png", NULL);
    write_scene(&scenes[2], extra_a);
    write_scene(&scenes[5], extra_b);
    g_autoptr(GSettings) folder_settings = g_settings_new("io.github.spyglass.Spyglass");
    const char *with_extra[] = {extra, NULL};
    g_settings_set_strv(folder_settings, "folders", with_extra);
    g_assert_true(wait_for(window, shows_extra_folder, 90));
    preferences = open_window(window, "win.preferences", SPYGLASS_TYPE_PREFERENCES_WINDOW);
    GtkWidget *remove = NULL;
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while ((remove = find_remove_button(GTK_WIDGET(preferences), extra)) == NULL &&
           g_get_monotonic_time() < end)
        settle(0.05);
    g_assert_nonnull(remove);
    g_signal_emit_by_name(remove, "clicked");
    GtkWindow *confirm = wait_for_dialog_of(preferences);
    g_assert_nonnull(confirm);
    const char *body = adw_message_dialog_get_body(ADW_MESSAGE_DIALOG(confirm));
    g_test_message("removal dialog: %s", body);
    g_assert_nonnull(strstr(body, "2 photos leave the library"));
    g_assert_nonnull(strstr(body, "nothing is deleted"));
    test_app_screenshot_widget(GTK_WIDGET(confirm), "remove-folder");
    adw_message_dialog_response(ADW_MESSAGE_DIALOG(confirm), "remove");
    g_assert_true(wait_for(window, shows_all_batches, 60));
    g_assert_true(g_file_test(extra_a, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(extra_b, G_FILE_TEST_EXISTS));
    g_auto(GStrv) folders_left = g_settings_get_strv(folder_settings, "folders");
    g_assert_cmpuint(g_strv_length(folders_left), ==, 0);
    gtk_window_destroy(preferences);

    /* Another compute device (Preferences write the setting): the engine switches and
     * search goes on, a red circle (one of three now) still first. */
    g_autoptr(GSettings) settings = g_settings_new("io.github.spyglass.Spyglass");
    g_settings_set_string(settings, "device", "reference");
    settle(0.1);
    g_assert_true(wait_for(window, window_is_idle, 60));
    gtk_editable_set_text(spyglass_window_get_search_entry(window), "a red circle");
    settle(0.3);
    g_assert_true(wait_for(window, has_results, 60));
    g_autoptr(SpyglassPhotoItem) on_reference = g_list_model_get_item(photos, 0);
    g_test_message("first result on the reference device: %s",
                   spyglass_photo_item_get_path(on_reference));
    if (g_getenv("SPYGLASS_TEST_DEMO_MODEL") != NULL)
        g_assert_true(
            g_str_has_suffix(spyglass_photo_item_get_path(on_reference), "red-circle.png"));
    g_settings_reset(settings, "device");
    settle(0.1);
    g_assert_true(wait_for(window, window_is_idle, 60));

    gtk_window_destroy(GTK_WINDOW(window));
    settle(0.2);
}

/* First run: no library yet, the welcome page offers the Pictures folder. */
static void test_welcome(void)
{
    g_autofree char *db = g_build_filename(tmp_dir, "empty.db", NULL);
    g_setenv("SPYGLASS_DB", db, TRUE);
    g_autoptr(SpyglassApplication) app = spyglass_application_new();
    g_application_set_flags(G_APPLICATION(app), G_APPLICATION_NON_UNIQUE);
    /* The first test's application still holds its object path on this bus connection. */
    g_application_set_application_id(G_APPLICATION(app), "io.github.spyglass.Spyglass.Welcome");
    g_assert_true(g_application_register(G_APPLICATION(app), NULL, NULL));
    g_application_activate(G_APPLICATION(app));
    SpyglassWindow *window =
        SPYGLASS_WINDOW(gtk_application_get_active_window(GTK_APPLICATION(app)));
    gtk_window_set_default_size(GTK_WINDOW(window), 900, 600);
    g_assert_true(wait_for(window, window_is_idle, 60));
    screenshot(window, "welcome");
    gtk_window_destroy(GTK_WINDOW(window));
    settle(0.2);
    g_unsetenv("SPYGLASS_DB");
}

int main(int argc, char **argv)
{
    g_assert_cmpint(argc, >=, 2);
    cli_path = argv[1];
    tmp_dir = test_app_init_home("spyglass-app");
    /* The scenes' file times are the timeline's dates: on a UTC clock, the same days anywhere;
     * and English day and month names. */
    g_setenv("TZ", "UTC", TRUE);
    g_setenv("LC_ALL", "C.UTF-8", TRUE);

    g_test_init(&argc, &argv, NULL);
    gtk_init();
    adw_init();
    make_library();
    g_test_add_func("/app/window/search-similar", test_window);
    g_test_add_func("/app/window/welcome", test_welcome);
    return g_test_run();
}
