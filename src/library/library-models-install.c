/* library-models-install.c: installing a catalogue model: under a per-model
 * lock, each file downloaded into a partial folder and verified, a manifest
 * written, the folder checked as a model and moved into place; and removal. */
#include "library-models-private.h"

#include "clip/clip-model.h"
#include "clip/clip-tokenizer.h"
#include "spyglass-config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_NAME "manifest.json"

void library_model_set_errno_error(GError **error, int saved_errno, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *what = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved_errno), "%s: %s", what,
                saved_errno == ENOSPC ? "disk full" : g_strerror(saved_errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static gboolean remove_tree(const char *name, const char *dir, GError **error)
{
    if (!g_file_test(dir, G_FILE_TEST_EXISTS))
        return TRUE;
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        library_model_set_errno_error(error, errno, "%s: cannot delete %s", name, dir);
        return FALSE;
    }
    return TRUE;
}

/* Holds an exclusive flock on models/.NAME.lock; the kernel drops it when
 * the process dies, so a killed install never blocks the next one. Waits
 * for another holder, checking the cancellable. Returns the fd or -1. */
static int lock_model(const char *models_dir, const char *name, GCancellable *cancellable,
                      GError **error)
{
    g_autofree char *lock_name = g_strdup_printf(".%s.lock", name);
    g_autofree char *path = g_build_filename(models_dir, lock_name, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        library_model_set_errno_error(error, errno, "%s: cannot create %s", name, path);
        return -1;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            library_model_set_errno_error(error, errno, "%s: cannot lock %s", name, path);
            close(fd);
            return -1;
        }
        if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
            close(fd);
            return -1;
        }
        g_usleep(100 * 1000);
    }
    return fd;
}

guint64 library_model_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (guint64)st.st_size : 0;
}

gboolean library_model_check_free_space(const char *name, const char *dir, guint64 needed,
                                        GCancellable *cancellable, GError **error)
{
    g_autoptr(GFile) file = g_file_new_for_path(dir);
    g_autoptr(GFileInfo) info =
        g_file_query_filesystem_info(file, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, cancellable, NULL);
    /* A file system that does not say how much is free is not refused. */
    if (info == NULL || !g_file_info_has_attribute(info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
        return TRUE;
    guint64 free_bytes = g_file_info_get_attribute_uint64(info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
    if (free_bytes >= needed)
        return TRUE;
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                "%s: not enough disk space in %s: needs %.1f MB, %.1f MB free", name, dir,
                needed / 1e6, free_bytes / 1e6);
    return FALSE;
}

/* What the manifest records of a file. */
typedef struct {
    char *name;
    guint64 size;
    char *sha256;
    const char *verified_by; /* "catalogue", "hub", "earlier install" or "none" */
} FileRecord;

static void file_record_free(gpointer data)
{
    FileRecord *record = data;
    g_free(record->name);
    g_free(record->sha256);
    g_free(record);
}

/* Downloads (or resumes) one file into the partial folder and verifies it. */
static FileRecord *install_file(LibraryModelInstall *install, const LibraryModelFile *file,
                                GError **error)
{
    const char *name = install->entry->name;
    g_autofree char *path = g_build_filename(install->partial_dir, file->name, NULL);
    g_autofree char *part_path = g_strconcat(path, ".part", NULL);
    LibraryModelHubInfo info = {.sha256 = NULL, .size = -1};
    const char *verified_by = "earlier install";
    /* A file without .part was verified by an earlier, interrupted install. */
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        if (!library_model_fetch_file(install, file, part_path, &info, error)) {
            g_free(info.sha256);
            return NULL;
        }
        verified_by = file->sha256 != NULL ? "catalogue" : info.sha256 != NULL ? "hub" : "none";
    }
    const char *on_disk = g_file_test(path, G_FILE_TEST_IS_REGULAR) ? path : part_path;
    g_autofree char *hub_sha256 = info.sha256;
    g_autofree char *actual = library_model_file_sha256(name, on_disk, install->cancellable, error);
    if (actual == NULL)
        return NULL;
    const char *expected = file->sha256 != NULL ? file->sha256 : hub_sha256;
    if (expected != NULL && strcmp(expected, actual) != 0) {
        unlink(on_disk);
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                    "%s: %s: checksum mismatch (expected sha256 %s, got %s); the file was deleted",
                    name, file->name, expected, actual);
        return NULL;
    }
    if (on_disk == part_path && rename(part_path, path) != 0) {
        library_model_set_errno_error(error, errno, "%s: cannot rename %s", name, part_path);
        return NULL;
    }
    FileRecord *record = g_new0(FileRecord, 1);
    record->name = g_strdup(file->name);
    record->size = library_model_file_size(path);
    record->sha256 = g_steal_pointer(&actual);
    record->verified_by = verified_by;
    return record;
}

static gboolean write_manifest(LibraryModelInstall *install, GPtrArray *records, GError **error)
{
    g_autoptr(JsonBuilder) builder = json_builder_new();
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "name");
    json_builder_add_string_value(builder, install->entry->name);
    json_builder_set_member_name(builder, "repo");
    json_builder_add_string_value(builder, install->entry->repo);
    json_builder_set_member_name(builder, "revision");
    json_builder_add_string_value(builder, install->entry->revision);
    json_builder_set_member_name(builder, "source");
    json_builder_add_string_value(builder, install->catalogue->base_url);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *installed = g_date_time_format_iso8601(now);
    json_builder_set_member_name(builder, "installed");
    json_builder_add_string_value(builder, installed);
    json_builder_set_member_name(builder, "files");
    json_builder_begin_array(builder);
    for (guint i = 0; i < records->len; i++) {
        const FileRecord *record = g_ptr_array_index(records, i);
        json_builder_begin_object(builder);
        json_builder_set_member_name(builder, "name");
        json_builder_add_string_value(builder, record->name);
        json_builder_set_member_name(builder, "size");
        json_builder_add_int_value(builder, (gint64)record->size);
        json_builder_set_member_name(builder, "sha256");
        json_builder_add_string_value(builder, record->sha256);
        json_builder_set_member_name(builder, "verified_by");
        json_builder_add_string_value(builder, record->verified_by);
        json_builder_end_object(builder);
    }
    json_builder_end_array(builder);
    json_builder_end_object(builder);

    g_autoptr(JsonGenerator) generator = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(builder);
    json_generator_set_root(generator, root);
    json_generator_set_pretty(generator, TRUE);
    g_autofree char *path = g_build_filename(install->partial_dir, MANIFEST_NAME, NULL);
    if (!json_generator_to_file(generator, path, error)) {
        g_prefix_error(error, "%s: ", install->entry->name);
        return FALSE;
    }
    return TRUE;
}

/* A verified download can still be a folder the engine cannot use (a
 * catalogue listing the wrong files): never install that. */
static gboolean validate_model(const char *name, const char *dir, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(ClipModel) model = clip_model_load(dir, &local);
    g_autoptr(ClipTokenizer) tokenizer =
        model != NULL ? clip_tokenizer_new_from_dir(dir, &local) : NULL;
    if (tokenizer != NULL)
        return TRUE;
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "%s: the downloaded model does not load: %s", name, local->message);
    return FALSE;
}

static guint64 known_bytes_left(LibraryModelInstall *install)
{
    guint64 left = 0;
    for (guint i = 0; i < install->entry->files->len; i++) {
        const LibraryModelFile *file = g_ptr_array_index(install->entry->files, i);
        g_autofree char *path = g_build_filename(install->partial_dir, file->name, NULL);
        g_autofree char *part_path = g_strconcat(path, ".part", NULL);
        if (file->size < 0 || g_file_test(path, G_FILE_TEST_IS_REGULAR))
            continue;
        left += (guint64)file->size - MIN(library_model_file_size(part_path), (guint64)file->size);
    }
    return left;
}

/* Called with the model's lock held. */
static gboolean install_locked(LibraryModelInstall *install, const char *final_dir, GError **error)
{
    const char *name = install->entry->name;
    if (g_mkdir_with_parents(install->partial_dir, 0755) != 0) {
        library_model_set_errno_error(error, errno, "%s: cannot create %s", name,
                                      install->partial_dir);
        return FALSE;
    }
    if (!library_model_check_free_space(name, install->partial_dir, known_bytes_left(install),
                                        install->cancellable, error))
        return FALSE;
    g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func(file_record_free);
    for (guint i = 0; i < install->entry->files->len; i++) {
        install->file_index = i;
        FileRecord *record =
            install_file(install, g_ptr_array_index(install->entry->files, i), error);
        if (record == NULL)
            return FALSE;
        g_ptr_array_add(records, record);
    }
    if (!write_manifest(install, records, error))
        return FALSE;
    if (!validate_model(name, install->partial_dir, error)) {
        remove_tree(name, install->partial_dir, NULL);
        return FALSE;
    }
    if (rename(install->partial_dir, final_dir) != 0) {
        library_model_set_errno_error(error, errno, "%s: cannot rename %s", name,
                                      install->partial_dir);
        return FALSE;
    }
    return TRUE;
}

static SoupSession *new_session(void)
{
    /* The default proxy resolver is the system's (GNOME settings or the
     * *_proxy variables); the timeout makes a stalled transfer an
     * interruption that resumes rather than a hang. */
    return soup_session_new_with_options("user-agent", "Spyglass/" SPYGLASS_VERSION, "timeout", 60,
                                         NULL);
}

char *library_model_install(LibraryModelCatalogue *catalogue, const char *name,
                            LibraryModelProgressFunc progress, gpointer user_data,
                            GCancellable *cancellable, GError **error)
{
    const LibraryModelEntry *entry = library_model_catalogue_find(catalogue, name);
    if (entry == NULL) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                    "%s: not in the model catalogue (see spyglass-cli model list)", name);
        return NULL;
    }
    g_autofree char *models_dir = library_models_dir();
    g_autofree char *final_dir = g_build_filename(models_dir, name, NULL);
    if (g_file_test(final_dir, G_FILE_TEST_IS_DIR))
        return g_steal_pointer(&final_dir);
    if (g_mkdir_with_parents(models_dir, 0755) != 0) {
        library_model_set_errno_error(error, errno, "%s: cannot create %s", name, models_dir);
        return NULL;
    }
    int lock = lock_model(models_dir, name, cancellable, error);
    if (lock < 0)
        return NULL;
    /* Another process may have installed it while this one waited. */
    gboolean ok = g_file_test(final_dir, G_FILE_TEST_IS_DIR);
    if (!ok) {
        LibraryModelInstall install = {
            .catalogue = catalogue,
            .entry = entry,
            .session = new_session(),
            .partial_dir = g_strconcat(final_dir, LIBRARY_MODEL_PARTIAL_SUFFIX, NULL),
            .progress = progress,
            .user_data = user_data,
            .cancellable = cancellable,
            .started_us = g_get_monotonic_time(),
        };
        ok = install_locked(&install, final_dir, error);
        g_object_unref(install.session);
        g_free(install.partial_dir);
    }
    close(lock);
    return ok ? g_steal_pointer(&final_dir) : NULL;
}

gboolean library_model_remove(const char *name, GError **error)
{
    g_autofree char *models_dir = library_models_dir();
    g_autofree char *dir = g_build_filename(models_dir, name, NULL);
    g_autofree char *partial = g_strconcat(dir, LIBRARY_MODEL_PARTIAL_SUFFIX, NULL);
    if (!library_model_is_safe_name(name) ||
        (!g_file_test(dir, G_FILE_TEST_IS_DIR) && !g_file_test(partial, G_FILE_TEST_IS_DIR))) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: not installed", name);
        return FALSE;
    }
    int lock = lock_model(models_dir, name, NULL, error);
    if (lock < 0)
        return FALSE;
    /* Renamed first so that no reader ever sees a half-deleted model. */
    g_autofree char *doomed_name = g_strdup_printf(".%s.removing", name);
    g_autofree char *doomed = g_build_filename(models_dir, doomed_name, NULL);
    gboolean ok = remove_tree(name, doomed, error);
    if (ok && g_file_test(dir, G_FILE_TEST_IS_DIR) && rename(dir, doomed) != 0) {
        library_model_set_errno_error(error, errno, "%s: cannot remove %s", name, dir);
        ok = FALSE;
    }
    ok = ok && remove_tree(name, doomed, error) && remove_tree(name, partial, error);
    close(lock);
    return ok;
}

/* Async */

typedef struct {
    LibraryModelCatalogue *catalogue;
    char *name;
    LibraryModelProgressFunc progress;
    gpointer user_data;
    GMainContext *context;
} InstallTaskData;

static void install_task_data_free(gpointer data)
{
    InstallTaskData *task_data = data;
    g_free(task_data->name);
    g_main_context_unref(task_data->context);
    g_free(task_data);
}

typedef struct {
    LibraryModelProgress progress;
    char *model, *file;
    LibraryModelProgressFunc func;
    gpointer user_data;
} ProgressEvent;

static void progress_event_free(gpointer data)
{
    ProgressEvent *event = data;
    g_free(event->model);
    g_free(event->file);
    g_free(event);
}

static gboolean deliver_progress(gpointer data)
{
    ProgressEvent *event = data;
    event->func(&event->progress, event->user_data);
    return G_SOURCE_REMOVE;
}

static void forward_progress(const LibraryModelProgress *progress, gpointer data)
{
    InstallTaskData *task_data = data;
    ProgressEvent *event = g_new0(ProgressEvent, 1);
    event->progress = *progress;
    event->progress.model = event->model = g_strdup(progress->model);
    event->progress.file = event->file = g_strdup(progress->file);
    event->func = task_data->progress;
    event->user_data = task_data->user_data;
    g_main_context_invoke_full(task_data->context, G_PRIORITY_DEFAULT, deliver_progress, event,
                               progress_event_free);
}

static void install_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    InstallTaskData *task_data = data;
    GError *error = NULL;
    char *dir = library_model_install(task_data->catalogue, task_data->name,
                                      task_data->progress != NULL ? forward_progress : NULL,
                                      task_data, cancellable, &error);
    if (dir != NULL)
        g_task_return_pointer(task, dir, g_free);
    else
        g_task_return_error(task, error);
}

void library_model_install_async(LibraryModelCatalogue *catalogue, const char *name,
                                 LibraryModelProgressFunc progress, gpointer user_data,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer callback_data)
{
    InstallTaskData *task_data = g_new0(InstallTaskData, 1);
    task_data->catalogue = catalogue;
    task_data->name = g_strdup(name);
    task_data->progress = progress;
    task_data->user_data = user_data;
    task_data->context = g_main_context_ref_thread_default();
    g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, callback_data);
    g_task_set_source_tag(task, library_model_install_async);
    g_task_set_task_data(task, task_data, install_task_data_free);
    g_task_run_in_thread(task, install_thread);
}

char *library_model_install_finish(GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}
