/* spyglass-sidebar.c: the sidebar: All Photos, auto-albums, saved searches and folders. */
#include "spyglass-sidebar.h"

#include "spyglass-thumbnail.h"

#include "library/library-store.h"

#include <glib/gi18n.h>

#define SIDEBAR_COVER 32

struct _SpyglassSidebar {
    AdwBin parent_instance;

    GtkListBox *list;

    SpyglassEngine *engine;
    GCancellable *cancellable; /* the window's: fires when it closes */
    SpyglassSidebarKind kind;  /* the user's choice */
    gint64 folder_id;          /* SPYGLASS_SIDEBAR_FOLDER */
    char *album_id;            /* SPYGLASS_SIDEBAR_ALBUM */
    char *name;                /* the album's name (SPYGLASS_SIDEBAR_ALBUM, _SMART_ALBUM) */
    gint64 smart_album_id;     /* SPYGLASS_SIDEBAR_SMART_ALBUM */
    GPtrArray *smart_albums;   /* LibrarySmartAlbum*: the library's, for "Add to Album" */
    gboolean listing_albums;   /* an album listing in flight */
};

G_DEFINE_FINAL_TYPE(SpyglassSidebar, spyglass_sidebar, ADW_TYPE_BIN)

enum {
    PROP_0,
    PROP_BUSY,
    N_PROPS,
};

static GParamSpec *properties[N_PROPS];

enum {
    SOURCE_CHANGED,
    FOLDERS_LISTED,
    ERROR,
    N_SIGNALS,
};

static guint signals[N_SIGNALS];

static void set_listing_albums(SpyglassSidebar *self, gboolean listing)
{
    if (self->listing_albums == listing)
        return;
    self->listing_albums = listing;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_BUSY]);
}

/* A failure the window shows as a toast; a cancelled call is none. */
static void report(SpyglassSidebar *self, const GError *error)
{
    if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_signal_emit(self, signals[ERROR], 0, error->message);
}

/* ---- rows ---- */

static SpyglassSidebarKind row_kind(GtkListBoxRow *row)
{
    return GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(row), "sidebar-kind"));
}

static GtkWidget *sidebar_row(SpyglassSidebarKind kind, GtkWidget *prefix, const char *label,
                              const char *tooltip)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
    gtk_box_append(GTK_BOX(box), prefix);
    GtkWidget *text = gtk_label_new(label);
    gtk_label_set_ellipsize(GTK_LABEL(text), PANGO_ELLIPSIZE_MIDDLE);
    gtk_label_set_xalign(GTK_LABEL(text), 0);
    gtk_widget_set_hexpand(text, TRUE);
    gtk_box_append(GTK_BOX(box), text);
    GtkWidget *row = gtk_list_box_row_new();
    gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
    gtk_widget_set_tooltip_text(row, tooltip);
    g_object_set_data(G_OBJECT(row), "sidebar-kind", GUINT_TO_POINTER(kind));
    g_object_set_data_full(G_OBJECT(row), "name", g_strdup(label), g_free);
    return row;
}

static GtkWidget *icon_row(SpyglassSidebarKind kind, const char *icon, const char *label,
                           const char *tooltip)
{
    return sidebar_row(kind, gtk_image_new_from_icon_name(icon), label, tooltip);
}

static gboolean row_is_current(SpyglassSidebar *self, GtkListBoxRow *row)
{
    switch (row_kind(row)) {
    case SPYGLASS_SIDEBAR_ALL_PHOTOS:
        return self->kind == SPYGLASS_SIDEBAR_ALL_PHOTOS;
    case SPYGLASS_SIDEBAR_FOLDER:
        return self->kind == SPYGLASS_SIDEBAR_FOLDER &&
               *(gint64 *)g_object_get_data(G_OBJECT(row), "folder-id") == self->folder_id;
    case SPYGLASS_SIDEBAR_ALBUM:
        return self->kind == SPYGLASS_SIDEBAR_ALBUM &&
               g_strcmp0(g_object_get_data(G_OBJECT(row), "album"), self->album_id) == 0;
    case SPYGLASS_SIDEBAR_SMART_ALBUM:
        return self->kind == SPYGLASS_SIDEBAR_SMART_ALBUM &&
               g_strcmp0(g_object_get_data(G_OBJECT(row), "name"), self->name) == 0;
    default:
        return FALSE;
    }
}

/* Selects the row of what the grid shows, without reloading it; none when it is gone. */
static void select_current_row(SpyglassSidebar *self)
{
    GtkListBoxRow *selected = NULL;
    for (GtkWidget *w = gtk_widget_get_first_child(GTK_WIDGET(self->list));
         w != NULL && selected == NULL; w = gtk_widget_get_next_sibling(w))
        if (GTK_IS_LIST_BOX_ROW(w) && row_is_current(self, GTK_LIST_BOX_ROW(w)))
            selected = GTK_LIST_BOX_ROW(w);
    g_signal_handlers_block_matched(self->list, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
    if (selected != NULL)
        gtk_list_box_select_row(self->list, selected);
    else
        gtk_list_box_unselect_all(self->list);
    g_signal_handlers_unblock_matched(self->list, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
}

static void remove_rows_of_kind(SpyglassSidebar *self, SpyglassSidebarKind kind)
{
    GtkWidget *w = gtk_widget_get_first_child(GTK_WIDGET(self->list));
    while (w != NULL) {
        GtkWidget *next = gtk_widget_get_next_sibling(w);
        if (GTK_IS_LIST_BOX_ROW(w) && row_kind(GTK_LIST_BOX_ROW(w)) == kind)
            gtk_list_box_remove(self->list, w);
        w = next;
    }
}

/* The position of the first row of a kind, or -1 (the end) when there is none. */
static int first_row_of_kind(SpyglassSidebar *self, SpyglassSidebarKind kind)
{
    for (int i = 0;; i++) {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index(self->list, i);
        if (row == NULL)
            return -1;
        if (row_kind(row) == kind)
            return i;
    }
}

/* ---- auto-albums ---- */

static void cover_loaded(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GtkPicture) picture = user_data;
    g_autoptr(GdkTexture) texture = spyglass_thumbnail_load_finish(result, NULL);
    if (texture != NULL)
        gtk_picture_set_paintable(picture, GDK_PAINTABLE(texture));
}

static GtkWidget *album_row(SpyglassSidebar *self, const SpyglassAlbum *album)
{
    GtkWidget *cover = gtk_picture_new();
    gtk_picture_set_content_fit(GTK_PICTURE(cover), GTK_CONTENT_FIT_COVER);
    gtk_picture_set_can_shrink(GTK_PICTURE(cover), TRUE);
    gtk_widget_set_size_request(cover, SIDEBAR_COVER, SIDEBAR_COVER);
    gtk_widget_set_overflow(cover, GTK_OVERFLOW_HIDDEN);
    gtk_widget_add_css_class(cover, "card");
    if (album->cover_path != NULL)
        spyglass_thumbnail_load_async(album->cover_path, self->cancellable, cover_loaded,
                                      g_object_ref(cover));
    GtkWidget *row = sidebar_row(SPYGLASS_SIDEBAR_ALBUM, cover, album->name, NULL);
    GtkWidget *count = gtk_label_new(NULL);
    g_autofree char *n = g_strdup_printf("%u", album->n_photos);
    gtk_label_set_text(GTK_LABEL(count), n);
    gtk_widget_add_css_class(count, "dim-label");
    gtk_box_append(GTK_BOX(gtk_list_box_row_get_child(GTK_LIST_BOX_ROW(row))), count);
    g_object_set_data_full(G_OBJECT(row), "album", g_strdup(album->id), g_free);
    return row;
}

static void albums_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassSidebar) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) albums =
        spyglass_engine_list_albums_finish(SPYGLASS_ENGINE(source), result, &error);
    set_listing_albums(self, FALSE);
    if (albums == NULL) {
        report(self, error);
        return;
    }
    remove_rows_of_kind(self, SPYGLASS_SIDEBAR_ALBUM);
    for (guint i = 0; i < albums->len; i++)
        gtk_list_box_insert(self->list, album_row(self, g_ptr_array_index(albums, i)), 1 + (int)i);
    select_current_row(self);
}

/* ---- saved searches ---- */

static void smart_album_deleted(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassSidebar) self = user_data;
    g_autoptr(GError) error = NULL;
    if (!spyglass_engine_delete_smart_album_finish(SPYGLASS_ENGINE(source), result, &error))
        g_signal_emit(self, signals[ERROR], 0, error->message);
    spyglass_sidebar_reload(self);
}

static void remove_smart_album(GtkButton *button, SpyglassSidebar *self)
{
    gint64 id = *(gint64 *)g_object_get_data(G_OBJECT(button), "album-id");
    spyglass_engine_delete_smart_album_async(self->engine, id, self->cancellable,
                                             smart_album_deleted, g_object_ref(self));
}

static GtkWidget *smart_album_row(SpyglassSidebar *self, const LibrarySmartAlbum *album)
{
    GtkWidget *row = icon_row(SPYGLASS_SIDEBAR_SMART_ALBUM, "folder-saved-search-symbolic",
                              album->name, album->description);
    GtkWidget *remove = gtk_button_new_from_icon_name("user-trash-symbolic");
    gtk_widget_add_css_class(remove, "flat");
    gtk_widget_set_tooltip_text(remove, _("Remove Album"));
    g_object_set_data_full(G_OBJECT(remove), "album-id", g_memdup2(&album->id, sizeof album->id),
                           g_free);
    g_signal_connect(remove, "clicked", G_CALLBACK(remove_smart_album), self);
    gtk_box_append(GTK_BOX(gtk_list_box_row_get_child(GTK_LIST_BOX_ROW(row))), remove);
    g_object_set_data_full(G_OBJECT(row), "album-id", g_memdup2(&album->id, sizeof album->id),
                           g_free);
    return row;
}

static void smart_albums_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassSidebar) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) albums =
        spyglass_engine_list_smart_albums_finish(SPYGLASS_ENGINE(source), result, &error);
    if (albums == NULL) {
        report(self, error);
        return;
    }
    g_clear_pointer(&self->smart_albums, g_ptr_array_unref);
    self->smart_albums = g_ptr_array_ref(albums);
    remove_rows_of_kind(self, SPYGLASS_SIDEBAR_SMART_ALBUM);
    int position = first_row_of_kind(self, SPYGLASS_SIDEBAR_FOLDER);
    for (guint i = 0; i < albums->len; i++) {
        gtk_list_box_insert(self->list, smart_album_row(self, g_ptr_array_index(albums, i)),
                            position);
        if (position >= 0)
            position++;
    }
    select_current_row(self);
}

/* ---- folders ---- */

static void folders_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassSidebar) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) folders =
        spyglass_engine_list_folders_finish(SPYGLASS_ENGINE(source), result, &error);
    if (folders == NULL) {
        report(self, error);
        return;
    }
    GtkWidget *child;
    while ((child = gtk_widget_get_first_child(GTK_WIDGET(self->list))) != NULL)
        gtk_list_box_remove(self->list, child);
    gtk_list_box_append(self->list, icon_row(SPYGLASS_SIDEBAR_ALL_PHOTOS,
                                             "image-x-generic-symbolic", _("All Photos"), NULL));
    for (guint i = 0; i < folders->len; i++) {
        const LibraryFolder *folder = g_ptr_array_index(folders, i);
        g_autofree char *name = g_path_get_basename(folder->path);
        GtkWidget *row = icon_row(SPYGLASS_SIDEBAR_FOLDER,
                                  folder->state == LIBRARY_FOLDER_ONLINE ? "folder-symbolic"
                                                                         : "folder-remote-symbolic",
                                  name, folder->path);
        g_object_set_data_full(G_OBJECT(row), "folder-id",
                               g_memdup2(&folder->id, sizeof folder->id), g_free);
        gtk_list_box_append(self->list, row);
    }
    select_current_row(self);
    g_signal_emit(self, signals[FOLDERS_LISTED], 0, folders);
    spyglass_engine_list_smart_albums_async(self->engine, self->cancellable, smart_albums_listed,
                                            g_object_ref(self));
    if (!self->listing_albums) {
        set_listing_albums(self, TRUE);
        spyglass_engine_list_albums_async(self->engine, self->cancellable, albums_listed,
                                          g_object_ref(self));
    }
}

/* Section titles above the first row of each kind. */
static void sidebar_header(GtkListBoxRow *row, GtkListBoxRow *before, gpointer user_data)
{
    SpyglassSidebarKind kind = row_kind(row);
    if (before != NULL && row_kind(before) == kind) {
        gtk_list_box_row_set_header(row, NULL);
        return;
    }
    const char *title = kind == SPYGLASS_SIDEBAR_ALBUM         ? _("Albums")
                        : kind == SPYGLASS_SIDEBAR_SMART_ALBUM ? _("Saved Searches")
                        : kind == SPYGLASS_SIDEBAR_FOLDER      ? _("Folders")
                                                               : NULL;
    if (title == NULL) {
        gtk_list_box_row_set_header(row, NULL);
        return;
    }
    GtkWidget *label = gtk_label_new(title);
    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_widget_set_margin_start(label, 12);
    gtk_widget_set_margin_top(label, 12);
    gtk_widget_set_margin_bottom(label, 3);
    gtk_widget_add_css_class(label, "heading");
    gtk_widget_add_css_class(label, "dim-label");
    gtk_list_box_row_set_header(row, label);
}

static void row_selected(GtkListBox *list, GtkListBoxRow *row, SpyglassSidebar *self)
{
    if (row == NULL)
        return;
    g_free(self->name);
    self->name = g_strdup(g_object_get_data(G_OBJECT(row), "name"));
    self->kind = row_kind(row);
    switch (self->kind) {
    case SPYGLASS_SIDEBAR_FOLDER:
        self->folder_id = *(gint64 *)g_object_get_data(G_OBJECT(row), "folder-id");
        break;
    case SPYGLASS_SIDEBAR_ALBUM:
        g_free(self->album_id);
        self->album_id = g_strdup(g_object_get_data(G_OBJECT(row), "album"));
        break;
    case SPYGLASS_SIDEBAR_SMART_ALBUM:
        self->smart_album_id = *(gint64 *)g_object_get_data(G_OBJECT(row), "album-id");
        break;
    default:
        self->kind = SPYGLASS_SIDEBAR_ALL_PHOTOS;
        break;
    }
    g_signal_emit(self, signals[SOURCE_CHANGED], 0);
}

/* ---- GObject ---- */

static void spyglass_sidebar_dispose(GObject *object)
{
    SpyglassSidebar *self = SPYGLASS_SIDEBAR(object);
    gtk_widget_dispose_template(GTK_WIDGET(self), SPYGLASS_TYPE_SIDEBAR);
    G_OBJECT_CLASS(spyglass_sidebar_parent_class)->dispose(object);
}

static void spyglass_sidebar_finalize(GObject *object)
{
    SpyglassSidebar *self = SPYGLASS_SIDEBAR(object);
    g_clear_object(&self->engine);
    g_clear_object(&self->cancellable);
    g_clear_pointer(&self->smart_albums, g_ptr_array_unref);
    g_free(self->album_id);
    g_free(self->name);
    G_OBJECT_CLASS(spyglass_sidebar_parent_class)->finalize(object);
}

static void spyglass_sidebar_get_property(GObject *object, guint prop_id, GValue *value,
                                          GParamSpec *pspec)
{
    SpyglassSidebar *self = SPYGLASS_SIDEBAR(object);
    switch (prop_id) {
    case PROP_BUSY:
        g_value_set_boolean(value, self->listing_albums);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void spyglass_sidebar_class_init(SpyglassSidebarClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    object_class->dispose = spyglass_sidebar_dispose;
    object_class->finalize = spyglass_sidebar_finalize;
    object_class->get_property = spyglass_sidebar_get_property;

    properties[PROP_BUSY] =
        g_param_spec_boolean("busy", NULL, NULL, FALSE,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    /* The user chose another row: the grid lists what the getters say. */
    signals[SOURCE_CHANGED] = g_signal_new("source-changed", G_TYPE_FROM_CLASS(klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
    /* The library's folders (a GPtrArray of LibraryFolder*), as the sidebar lists them. */
    signals[FOLDERS_LISTED] =
        g_signal_new("folders-listed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 1, G_TYPE_PTR_ARRAY);
    /* A listing or a removal failed: the message is for the user. */
    signals[ERROR] = g_signal_new("error", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                  NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/io/github/spyglass/Spyglass/spyglass-sidebar.ui");
    gtk_widget_class_bind_template_child(widget_class, SpyglassSidebar, list);
}

static void spyglass_sidebar_init(SpyglassSidebar *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    self->kind = SPYGLASS_SIDEBAR_ALL_PHOTOS;
    self->folder_id = -1;
    g_signal_connect(self->list, "row-selected", G_CALLBACK(row_selected), self);
    gtk_list_box_set_header_func(self->list, sidebar_header, NULL, NULL);
}

void spyglass_sidebar_set_engine(SpyglassSidebar *sidebar, SpyglassEngine *engine,
                                 GCancellable *cancellable)
{
    g_return_if_fail(SPYGLASS_IS_SIDEBAR(sidebar));
    g_set_object(&sidebar->engine, engine);
    g_set_object(&sidebar->cancellable, cancellable);
}

void spyglass_sidebar_reload(SpyglassSidebar *sidebar)
{
    g_return_if_fail(SPYGLASS_IS_SIDEBAR(sidebar));
    spyglass_engine_list_folders_async(sidebar->engine, sidebar->cancellable, folders_listed,
                                       g_object_ref(sidebar));
}

gboolean spyglass_sidebar_get_busy(SpyglassSidebar *sidebar)
{
    g_return_val_if_fail(SPYGLASS_IS_SIDEBAR(sidebar), FALSE);
    return sidebar->listing_albums;
}

SpyglassSidebarKind spyglass_sidebar_get_kind(SpyglassSidebar *sidebar)
{
    g_return_val_if_fail(SPYGLASS_IS_SIDEBAR(sidebar), SPYGLASS_SIDEBAR_NONE);
    return sidebar->kind;
}

gint64 spyglass_sidebar_get_folder_id(SpyglassSidebar *sidebar)
{
    g_return_val_if_fail(SPYGLASS_IS_SIDEBAR(sidebar), -1);
    return sidebar->folder_id;
}

const char *spyglass_sidebar_get_album_id(SpyglassSidebar *sidebar)
{
    g_return_val_if_fail(SPYGLASS_IS_SIDEBAR(sidebar), NULL);
    return sidebar->album_id;
}

const char *spyglass_sidebar_get_name(SpyglassSidebar *sidebar)
{
    g_return_val_if_fail(SPYGLASS_IS_SIDEBAR(sidebar), NULL);
    return sidebar->name;
}

gint64 spyglass_sidebar_get_smart_album_id(SpyglassSidebar *sidebar)
{
    g_return_val_if_fail(SPYGLASS_IS_SIDEBAR(sidebar), -1);
    return sidebar->smart_album_id;
}

void spyglass_sidebar_choose_all_photos(SpyglassSidebar *sidebar)
{
    g_return_if_fail(SPYGLASS_IS_SIDEBAR(sidebar));
    sidebar->kind = SPYGLASS_SIDEBAR_ALL_PHOTOS;
}

GPtrArray *spyglass_sidebar_get_smart_albums(SpyglassSidebar *sidebar)
{
    g_return_val_if_fail(SPYGLASS_IS_SIDEBAR(sidebar), NULL);
    return sidebar->smart_albums;
}

GtkListBox *spyglass_sidebar_get_list(SpyglassSidebar *sidebar)
{
    g_return_val_if_fail(SPYGLASS_IS_SIDEBAR(sidebar), NULL);
    return sidebar->list;
}

SpyglassSidebarKind spyglass_sidebar_row_kind(GtkListBoxRow *row)
{
    g_return_val_if_fail(GTK_IS_LIST_BOX_ROW(row), SPYGLASS_SIDEBAR_NONE);
    return row_kind(row);
}
