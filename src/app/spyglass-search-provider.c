/* spyglass-search-provider.c: org.gnome.Shell.SearchProvider2 over the app's engine: the Shell's
 * terms run as one query of the app's syntax, strong matches only; metas carry the photo's
 * freedesktop.org thumbnail; activating opens the window on the search or the photo. */
#include "spyglass-search-provider.h"

#include "spyglass-photo-item.h"
#include "spyglass-photo-list.h"
#include "spyglass-search-provider-generated.h"
#include "spyglass-thumbnail.h"
#include "spyglass-window.h"

#include "library/library-store.h"
#include "search/search-query.h"

#include <glib/gi18n.h>

/* The Shell shows a few results per provider; more would only cost thumbnails. */
#define MAX_RESULTS 5
/* An activation waits this long at most for the window to open the library and search. */
#define WINDOW_REQUEST_TIMEOUT_S 60

typedef enum {
    ENGINE_CLOSED,
    ENGINE_OPENING,
    ENGINE_OPEN,
} EngineState;

/* What GetResultMetas needs of a photo a result set returned. */
typedef struct {
    char *path;
    char *taken; /* "YYYY-MM-DDTHH:MM:SS" or NULL */
} ResultPhoto;

struct _SpyglassSearchProvider {
    GObject parent_instance;
    SpyglassApplication *application; /* not referenced: it owns the provider */
    SpyglassShellSearchProvider2 *skeleton;
    GSettings *settings;
    GCancellable *cancellable; /* replaced at each export */
    EngineState engine_state;
    GPtrArray *waiting_open; /* SearchRequest*: queued while the engine opens */
    GPtrArray *searching;    /* SearchRequest*: every result set request not yet answered */
    GHashTable *results;     /* id string → ResultPhoto: every result returned so far */
};

G_DEFINE_FINAL_TYPE(SpyglassSearchProvider, spyglass_search_provider, G_TYPE_OBJECT)

static void result_photo_free(ResultPhoto *photo)
{
    g_free(photo->path);
    g_free(photo->taken);
    g_free(photo);
}

/* Each request holds the application, so that a Shell search does not leave a process behind
 * yet the process outlives the request by the inactivity timeout. */
static void hold(SpyglassSearchProvider *self)
{
    g_application_hold(G_APPLICATION(self->application));
}

static void release(SpyglassSearchProvider *self)
{
    g_application_release(G_APPLICATION(self->application));
}

static gboolean enabled(SpyglassSearchProvider *self)
{
    return g_settings_get_boolean(self->settings, "search-provider");
}

/* The Shell splits what was typed on spaces: joined back, it is one query of the app's syntax. */
static char *join_terms(const char *const *terms)
{
    g_autofree char *joined = g_strjoinv(" ", (char **)terms);
    return g_strstrip(g_steal_pointer(&joined));
}

/* ---- result sets ---- */

typedef struct {
    SpyglassSearchProvider *self; /* referenced */
    GDBusMethodInvocation *invocation;
    GCancellable *cancellable; /* cancelled when the same caller asks again */
    char *query;
    GHashTable *previous; /* subsearch: the ids it narrows; NULL for an initial search */
    GArray *entries;      /* SpyglassPhotoEntry, once searched */
} SearchRequest;

static void search_request_free(SearchRequest *request)
{
    g_ptr_array_remove_fast(request->self->searching, request);
    g_object_unref(request->invocation);
    g_object_unref(request->cancellable);
    g_free(request->query);
    g_clear_pointer(&request->previous, g_hash_table_unref);
    g_clear_pointer(&request->entries, g_array_unref);
    release(request->self);
    g_object_unref(request->self);
    g_free(request);
}

static void complete_results(SearchRequest *request, const char *const *ids)
{
    g_dbus_method_invocation_return_value(request->invocation,
                                          g_variant_new("(^as)", (char **)ids));
    search_request_free(request);
}

/* A request its caller has superseded gets no results: the Shell drops the answer to a search
 * once the user typed on. */
static void fail_request(SearchRequest *request, const GError *error)
{
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
        !g_cancellable_is_cancelled(request->self->cancellable)) {
        const char *none[] = {NULL};
        complete_results(request, none);
        return;
    }
    g_dbus_method_invocation_return_gerror(request->invocation, error);
    search_request_free(request);
}

/* Whether path lies inside one of the library's folders (a GPtrArray of LibraryFolder*). */
static gboolean in_library_folders(const char *path, GPtrArray *folders)
{
    for (guint i = 0; i < folders->len; i++) {
        const LibraryFolder *folder = g_ptr_array_index(folders, i);
        size_t n = strlen(folder->path);
        if (strncmp(path, folder->path, n) == 0 &&
            (path[n] == '/' || (n > 0 && folder->path[n - 1] == '/')))
            return TRUE;
    }
    return FALSE;
}

/* The results as the Shell gets them: only photos inside the library's folders as they are
 * now (another process may have removed a folder since this one loaded the embeddings),
 * among the previous results for a subsearch, best first, a handful. */
static void folders_listed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    SearchRequest *request = user_data;
    SpyglassSearchProvider *self = request->self;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) folders =
        spyglass_engine_list_folders_finish(SPYGLASS_ENGINE(source), result, &error);
    if (folders == NULL) {
        fail_request(request, error);
        return;
    }
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < request->entries->len && ids->len < MAX_RESULTS; i++) {
        const SpyglassPhotoEntry *entry = &g_array_index(request->entries, SpyglassPhotoEntry, i);
        char *id = g_strdup_printf("%" G_GINT64_FORMAT, entry->id);
        if (!in_library_folders(entry->path, folders) ||
            (request->previous != NULL && !g_hash_table_contains(request->previous, id))) {
            g_free(id);
            continue;
        }
        ResultPhoto *photo = g_new0(ResultPhoto, 1);
        photo->path = g_strdup(entry->path);
        photo->taken = g_strdup(entry->taken);
        g_hash_table_replace(self->results, g_strdup(id), photo);
        g_ptr_array_add(ids, id);
    }
    g_ptr_array_add(ids, NULL);
    complete_results(request, (const char *const *)ids->pdata);
}

static void searched(GObject *source, GAsyncResult *result, gpointer user_data)
{
    SearchRequest *request = user_data;
    g_autoptr(GError) error = NULL;
    request->entries = spyglass_engine_search_finish(SPYGLASS_ENGINE(source), result, &error);
    if (request->entries == NULL) {
        /* What the Shell typed is not a query of ours ("after:2019" alone): no results. */
        if (error->domain == SEARCH_QUERY_ERROR) {
            const char *none[] = {NULL};
            complete_results(request, none);
        } else {
            fail_request(request, error);
        }
        return;
    }
    spyglass_engine_list_folders_async(SPYGLASS_ENGINE(source), request->cancellable,
                                       folders_listed, request);
}

static void run_search(SearchRequest *request)
{
    SpyglassEngine *engine = spyglass_application_get_engine(request->self->application);
    spyglass_engine_search_async(engine, request->query, TRUE, request->cancellable, searched,
                                 request);
}

static void engine_opened(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(SpyglassSearchProvider) self = user_data;
    g_autoptr(GError) error = NULL;
    gboolean ok = spyglass_engine_open_finish(SPYGLASS_ENGINE(source), result, &error);
    self->engine_state = ok ? ENGINE_OPEN : ENGINE_CLOSED;
    g_autoptr(GPtrArray) waiting = g_steal_pointer(&self->waiting_open);
    self->waiting_open = g_ptr_array_new();
    for (guint i = 0; i < waiting->len; i++) {
        if (ok)
            run_search(g_ptr_array_index(waiting, i));
        else
            fail_request(g_ptr_array_index(waiting, i), error);
    }
}

/* The first request of a process opens the library and the model (the window's opening of the
 * same engine is cheap after it); later ones search at once. The Shell asks again at each key
 * the user types: the same caller's requests still waiting for the engine are answered with no
 * results, so that the newest does not wait behind searches nobody will read. */
static void start_search(SpyglassSearchProvider *self, GDBusMethodInvocation *invocation,
                         const char *const *terms, const char *const *previous)
{
    g_autofree char *query = join_terms(terms);
    if (!enabled(self) || *query == '\0') {
        g_dbus_method_invocation_return_value(invocation, g_variant_new("(as)", NULL));
        return;
    }
    hold(self);
    SearchRequest *request = g_new0(SearchRequest, 1);
    request->self = g_object_ref(self);
    request->invocation = g_object_ref(invocation);
    request->query = g_steal_pointer(&query);
    request->cancellable = g_cancellable_new();
    const char *sender = g_dbus_method_invocation_get_sender(invocation);
    for (guint i = 0; i < self->searching->len; i++) {
        SearchRequest *older = g_ptr_array_index(self->searching, i);
        if (g_strcmp0(g_dbus_method_invocation_get_sender(older->invocation), sender) == 0)
            g_cancellable_cancel(older->cancellable);
    }
    g_ptr_array_add(self->searching, request);
    if (previous != NULL) {
        request->previous = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (const char *const *id = previous; *id != NULL; id++)
            g_hash_table_add(request->previous, g_strdup(*id));
    }
    switch (self->engine_state) {
    case ENGINE_OPEN:
        run_search(request);
        break;
    case ENGINE_OPENING:
        g_ptr_array_add(self->waiting_open, request);
        break;
    case ENGINE_CLOSED:
        g_ptr_array_add(self->waiting_open, request);
        self->engine_state = ENGINE_OPENING;
        spyglass_engine_open_async(spyglass_application_get_engine(self->application),
                                   self->cancellable, engine_opened, g_object_ref(self));
        break;
    }
}

static gboolean handle_get_initial_result_set(SpyglassShellSearchProvider2 *skeleton,
                                              GDBusMethodInvocation *invocation,
                                              const char *const *terms,
                                              SpyglassSearchProvider *self)
{
    start_search(self, invocation, terms, NULL);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean handle_get_subsearch_result_set(SpyglassShellSearchProvider2 *skeleton,
                                                GDBusMethodInvocation *invocation,
                                                const char *const *previous,
                                                const char *const *terms,
                                                SpyglassSearchProvider *self)
{
    start_search(self, invocation, terms, previous);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- metas ---- */

typedef struct {
    char *id;
    char *path; /* NULL: not a result this process returned */
    char *taken;
} MetaRequest;

static void meta_request_free(MetaRequest *meta)
{
    g_free(meta->id);
    g_free(meta->path);
    g_free(meta->taken);
}

/* "12 March 2021 · ~/Pictures/Holidays": when and where, as the Shell's second line. */
static char *describe(const char *path, const char *taken)
{
    g_autofree char *dir = g_path_get_dirname(path);
    const char *home = g_get_home_dir();
    size_t n = strlen(home);
    g_autofree char *folder = strncmp(dir, home, n) == 0 && (dir[n] == '/' || dir[n] == '\0')
                                  ? g_strconcat("~", dir + n, NULL)
                                  : g_filename_display_name(dir);
    int year, month, day;
    if (taken == NULL || sscanf(taken, "%d-%d-%d", &year, &month, &day) != 3)
        return g_steal_pointer(&folder);
    g_autoptr(GDateTime) time = g_date_time_new_local(year, month, day, 0, 0, 0);
    if (time == NULL)
        return g_steal_pointer(&folder);
    /* Translators: the date a photo was taken, see g_date_time_format() */
    g_autofree char *date = g_date_time_format(time, _("%-d %B %Y"));
    /* Translators: a search result's description: the date a photo was taken, its folder */
    return g_strdup_printf(_("%s · %s"), date, folder);
}

/* Builds the metas (aa{sv}) in a worker thread: a missing thumbnail is made here, never on
 * the main loop the Shell's other requests wait for. */
static void metas_thread(GTask *task, gpointer source, gpointer task_data,
                         GCancellable *cancellable)
{
    GArray *metas = task_data;
    GVariantBuilder builder;
    g_variant_builder_init(&builder, G_VARIANT_TYPE("aa{sv}"));
    for (guint i = 0; i < metas->len; i++) {
        const MetaRequest *meta = &g_array_index(metas, MetaRequest, i);
        g_variant_builder_open(&builder, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&builder, "{sv}", "id", g_variant_new_string(meta->id));
        /* The Shell wants one meta per id; an unknown one gets its id as its name. */
        if (meta->path == NULL) {
            g_variant_builder_add(&builder, "{sv}", "name", g_variant_new_string(meta->id));
            g_variant_builder_close(&builder);
            continue;
        }
        g_autofree char *name = g_filename_display_basename(meta->path);
        g_autofree char *description = describe(meta->path, meta->taken);
        g_variant_builder_add(&builder, "{sv}", "name", g_variant_new_string(name));
        g_variant_builder_add(&builder, "{sv}", "description", g_variant_new_string(description));
        g_autoptr(GError) error = NULL;
        g_autofree char *thumbnail =
            spyglass_thumbnail_ensure_file(meta->path, cancellable, &error);
        if (thumbnail != NULL) {
            g_autoptr(GFile) file = g_file_new_for_path(thumbnail);
            g_autoptr(GIcon) icon = g_file_icon_new(file);
            g_variant_builder_add(&builder, "{sv}", "icon", g_icon_serialize(icon));
        } else {
            g_debug("no thumbnail for %s: %s", meta->path, error->message);
        }
        g_variant_builder_close(&builder);
    }
    g_task_return_pointer(task, g_variant_ref_sink(g_variant_builder_end(&builder)),
                          (GDestroyNotify)g_variant_unref);
}

static void metas_built(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GDBusMethodInvocation) invocation = user_data;
    SpyglassSearchProvider *self = SPYGLASS_SEARCH_PROVIDER(source);
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) metas = g_task_propagate_pointer(G_TASK(result), &error);
    if (metas == NULL)
        g_dbus_method_invocation_return_gerror(invocation, error);
    else
        g_dbus_method_invocation_return_value(invocation, g_variant_new("(@aa{sv})", metas));
    release(self);
}

static gboolean handle_get_result_metas(SpyglassShellSearchProvider2 *skeleton,
                                        GDBusMethodInvocation *invocation, const char *const *ids,
                                        SpyglassSearchProvider *self)
{
    if (!enabled(self)) {
        g_dbus_method_invocation_return_value(invocation, g_variant_new("(aa{sv})", NULL));
        return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
    GArray *metas = g_array_new(FALSE, TRUE, sizeof(MetaRequest));
    g_array_set_clear_func(metas, (GDestroyNotify)meta_request_free);
    for (const char *const *id = ids; *id != NULL; id++) {
        const ResultPhoto *photo = g_hash_table_lookup(self->results, *id);
        MetaRequest meta = {g_strdup(*id), NULL, NULL};
        if (photo != NULL) {
            meta.path = g_strdup(photo->path);
            meta.taken = g_strdup(photo->taken);
        }
        g_array_append_val(metas, meta);
    }
    hold(self);
    g_autoptr(GTask) task =
        g_task_new(self, self->cancellable, metas_built, g_object_ref(invocation));
    g_task_set_source_tag(task, handle_get_result_metas);
    g_task_set_task_data(task, metas, (GDestroyNotify)g_array_unref);
    g_task_run_in_thread(task, metas_thread);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- opening the window ---- */

/* Drives the window through its public face: once it has opened the library, types the
 * search, and once that has run, opens the photo's page (photo_id >= 0). */
typedef struct {
    SpyglassWindow *window; /* weak */
    char *query;
    gint64 photo_id;
    gboolean typed, search_seen;
    gulong busy_handler;
    guint idle_id, timeout_id;
} WindowRequest;

static void window_request_finish(WindowRequest *request)
{
    if (request->window != NULL) {
        g_signal_handler_disconnect(request->window, request->busy_handler);
        g_object_remove_weak_pointer(G_OBJECT(request->window), (gpointer *)&request->window);
    }
    g_clear_handle_id(&request->idle_id, g_source_remove);
    g_clear_handle_id(&request->timeout_id, g_source_remove);
    g_free(request->query);
    g_free(request);
}

static gint64 photo_position(GListModel *photos, gint64 id)
{
    guint n = g_list_model_get_n_items(photos);
    for (guint i = 0; i < n; i++) {
        g_autoptr(SpyglassPhotoItem) item = g_list_model_get_item(photos, i);
        if (spyglass_photo_item_get_id(item) == id)
            return i;
    }
    return -1;
}

/* Called on the main loop whenever the window may have become idle. */
static gboolean window_request_step(gpointer user_data)
{
    WindowRequest *request = user_data;
    request->idle_id = 0;
    SpyglassWindow *window = request->window;
    if (window == NULL) {
        window_request_finish(request);
        return G_SOURCE_REMOVE;
    }
    if (spyglass_window_get_busy(window))
        return G_SOURCE_REMOVE;
    if (!request->typed) {
        request->typed = TRUE;
        GtkEditable *entry = spyglass_window_get_search_entry(window);
        g_autofree char *shown = g_strstrip(g_strdup(gtk_editable_get_text(entry)));
        if (!g_str_equal(shown, request->query)) {
            gtk_editable_set_text(entry, request->query);
            gtk_editable_set_position(entry, -1);
            return G_SOURCE_REMOVE; /* the search starts after the entry's delay */
        }
        request->search_seen = TRUE; /* the window already shows these results */
    }
    if (!request->search_seen)
        return G_SOURCE_REMOVE;
    if (request->photo_id >= 0) {
        gint64 position = photo_position(spyglass_window_get_photos(window), request->photo_id);
        if (position >= 0)
            gtk_widget_activate_action(GTK_WIDGET(window), "win.show-photo", "u",
                                       (guint32)position);
        else
            g_debug("photo %" G_GINT64_FORMAT " is not among the window's results",
                    request->photo_id);
    }
    window_request_finish(request);
    return G_SOURCE_REMOVE;
}

/* Busy goes off and on within one dispatch as the window chains its loads: look once the
 * main loop is idle. */
static void window_busy_changed(SpyglassWindow *window, GParamSpec *pspec, WindowRequest *request)
{
    if (spyglass_window_get_busy(window)) {
        if (request->typed)
            request->search_seen = TRUE;
        return;
    }
    if (request->idle_id == 0)
        request->idle_id = g_idle_add(window_request_step, request);
}

static gboolean window_request_timed_out(gpointer user_data)
{
    WindowRequest *request = user_data;
    request->timeout_id = 0;
    g_debug("the window did not open the search “%s” in time", request->query);
    window_request_finish(request);
    return G_SOURCE_REMOVE;
}

static void open_window(SpyglassSearchProvider *self, const char *const *terms, gint64 photo_id,
                        guint32 timestamp)
{
    g_autofree char *query = join_terms(terms);
    g_application_activate(G_APPLICATION(self->application));
    GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(self->application));
    if (!SPYGLASS_IS_WINDOW(window))
        return;
    gtk_window_present_with_time(window, timestamp);
    if (*query == '\0')
        return;
    WindowRequest *request = g_new0(WindowRequest, 1);
    request->window = SPYGLASS_WINDOW(window);
    g_object_add_weak_pointer(G_OBJECT(window), (gpointer *)&request->window);
    request->query = g_steal_pointer(&query);
    request->photo_id = photo_id;
    request->busy_handler =
        g_signal_connect(window, "notify::busy", G_CALLBACK(window_busy_changed), request);
    request->idle_id = g_idle_add(window_request_step, request);
    request->timeout_id =
        g_timeout_add_seconds(WINDOW_REQUEST_TIMEOUT_S, window_request_timed_out, request);
}

static gboolean handle_activate_result(SpyglassShellSearchProvider2 *skeleton,
                                       GDBusMethodInvocation *invocation, const char *id,
                                       const char *const *terms, guint timestamp,
                                       SpyglassSearchProvider *self)
{
    char *end = NULL;
    gint64 photo_id = g_ascii_strtoll(id, &end, 10);
    if (end == id || *end != '\0' || photo_id < 0) {
        g_dbus_method_invocation_return_error(invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                              "not a Spyglass result id: “%s”", id);
        return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
    open_window(self, terms, photo_id, timestamp);
    spyglass_shell_search_provider2_complete_activate_result(skeleton, invocation);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean handle_launch_search(SpyglassShellSearchProvider2 *skeleton,
                                     GDBusMethodInvocation *invocation, const char *const *terms,
                                     guint timestamp, SpyglassSearchProvider *self)
{
    open_window(self, terms, -1, timestamp);
    spyglass_shell_search_provider2_complete_launch_search(skeleton, invocation);
    return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- object ---- */

/* Results of a library that changed (a folder removed) must not come back through metas. */
static void library_changed(SpyglassSearchProvider *self)
{
    g_hash_table_remove_all(self->results);
}

gboolean spyglass_search_provider_export(SpyglassSearchProvider *self, GDBusConnection *connection,
                                         const char *object_path, GError **error)
{
    g_return_val_if_fail(SPYGLASS_IS_SEARCH_PROVIDER(self), FALSE);
    g_clear_object(&self->cancellable);
    self->cancellable = g_cancellable_new();
    return g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(self->skeleton), connection,
                                            object_path, error);
}

void spyglass_search_provider_unexport(SpyglassSearchProvider *self)
{
    g_return_if_fail(SPYGLASS_IS_SEARCH_PROVIDER(self));
    g_cancellable_cancel(self->cancellable);
    for (guint i = 0; i < self->searching->len; i++)
        g_cancellable_cancel(((SearchRequest *)g_ptr_array_index(self->searching, i))->cancellable);
    g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(self->skeleton));
}

static void spyglass_search_provider_dispose(GObject *object)
{
    SpyglassSearchProvider *self = SPYGLASS_SEARCH_PROVIDER(object);
    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->skeleton);
    g_clear_object(&self->settings);
    G_OBJECT_CLASS(spyglass_search_provider_parent_class)->dispose(object);
}

static void spyglass_search_provider_finalize(GObject *object)
{
    SpyglassSearchProvider *self = SPYGLASS_SEARCH_PROVIDER(object);
    g_clear_object(&self->cancellable);
    g_ptr_array_unref(self->waiting_open);
    g_ptr_array_unref(self->searching);
    g_hash_table_unref(self->results);
    G_OBJECT_CLASS(spyglass_search_provider_parent_class)->finalize(object);
}

static void spyglass_search_provider_class_init(SpyglassSearchProviderClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = spyglass_search_provider_dispose;
    G_OBJECT_CLASS(klass)->finalize = spyglass_search_provider_finalize;
}

static void spyglass_search_provider_init(SpyglassSearchProvider *self)
{
    self->settings = g_settings_new("io.github.spyglass.Spyglass");
    self->cancellable = g_cancellable_new();
    self->waiting_open = g_ptr_array_new();
    self->searching = g_ptr_array_new();
    self->results =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)result_photo_free);
    self->skeleton = spyglass_shell_search_provider2_skeleton_new();
    g_signal_connect(self->skeleton, "handle-get-initial-result-set",
                     G_CALLBACK(handle_get_initial_result_set), self);
    g_signal_connect(self->skeleton, "handle-get-subsearch-result-set",
                     G_CALLBACK(handle_get_subsearch_result_set), self);
    g_signal_connect(self->skeleton, "handle-get-result-metas", G_CALLBACK(handle_get_result_metas),
                     self);
    g_signal_connect(self->skeleton, "handle-activate-result", G_CALLBACK(handle_activate_result),
                     self);
    g_signal_connect(self->skeleton, "handle-launch-search", G_CALLBACK(handle_launch_search),
                     self);
}

SpyglassSearchProvider *spyglass_search_provider_new(SpyglassApplication *application)
{
    SpyglassSearchProvider *self = g_object_new(SPYGLASS_TYPE_SEARCH_PROVIDER, NULL);
    self->application = application;
    g_signal_connect_object(spyglass_application_get_engine(application), "library-changed",
                            G_CALLBACK(library_changed), self, G_CONNECT_SWAPPED);
    return self;
}
