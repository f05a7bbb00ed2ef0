/* library-models.h: the model catalogue, and installing and removing models.
 *
 * The catalogue (data/models.json, or $SPYGLASS_MODEL_CATALOGUE) lists the
 * models Spyglass supports, best first. Installing downloads each file from
 * {base}/{repo}/resolve/{revision}/{file} (base: $SPYGLASS_MODEL_BASE_URL or
 * https://huggingface.co) with libsoup into $XDG_DATA_HOME/spyglass/models/
 * NAME.partial/, resuming .part files with Range requests, verifies each
 * against the catalogue's SHA-256 or the one the hub reports, loads the
 * folder with clip_model_load, and only then renames it to NAME/: a folder
 * named NAME is always complete. A lock file keeps two processes from
 * installing or removing the same model at once.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
    char *name;
    gint64 size;  /* bytes, -1 when the catalogue does not pin it */
    char *sha256; /* lower-case hex, NULL when not pinned */
} LibraryModelFile;

typedef struct {
    char *name; /* the install name: models/NAME, --model NAME */
    char *title;
    char *repo;
    char *revision;
    char *layout; /* "hf" or "openclip" */
    char *licence;
    char *good_for;
    char *languages;   /* "English", "many languages"; NULL when not said */
    guint download_mb; /* approximate download, MB; 0 when not said */
    guint embedding_dim;
    guint image_size;
    gboolean recommended;
    GPtrArray *files; /* LibraryModelFile* */
} LibraryModelEntry;

typedef struct _LibraryModelCatalogue LibraryModelCatalogue;

/* $SPYGLASS_MODEL_CATALOGUE, else models.json in the installed data folder. */
LibraryModelCatalogue *library_model_catalogue_load_default(GError **error);
LibraryModelCatalogue *library_model_catalogue_load(const char *path, GError **error);
void library_model_catalogue_free(LibraryModelCatalogue *catalogue);
/* Best first. */
GPtrArray *library_model_catalogue_entries(LibraryModelCatalogue *catalogue);
const LibraryModelEntry *library_model_catalogue_find(LibraryModelCatalogue *catalogue,
                                                      const char *name);
/* Where files come from: $SPYGLASS_MODEL_BASE_URL at load, or the hub. */
void library_model_catalogue_set_base_url(LibraryModelCatalogue *catalogue, const char *base_url);

/* $XDG_DATA_HOME/spyglass/models */
char *library_models_dir(void);
/* The folder of an installed model NAME, or NULL when it is not installed. */
char *library_model_installed_dir(const char *name);
/* The first installed catalogue entry's folder (the catalogue is best first),
 * or NULL. */
char *library_model_best_installed_dir(LibraryModelCatalogue *catalogue);

typedef struct {
    const char *model;
    const char *file;
    guint file_index, n_files;
    guint64 done;            /* bytes of this file on disk */
    guint64 total;           /* 0 when unknown */
    double bytes_per_second; /* this session's transfer rate */
    double seconds_left;     /* -1 when unknown */
} LibraryModelProgress;

typedef void (*LibraryModelProgressFunc)(const LibraryModelProgress *progress, gpointer user_data);

/* Installs the catalogue entry NAME and returns its folder. Blocks: call it
 * from a worker thread (or use the _async variant). Returns the folder at
 * once when NAME is already installed; waits while another process installs
 * it. Errors are one line starting with NAME: G_IO_ERROR_NOT_FOUND (unknown
 * name, HTTP 404), G_IO_ERROR_INVALID_DATA (checksum mismatch; the file is
 * deleted), G_IO_ERROR_NO_SPACE, G_IO_ERROR_PERMISSION_DENIED,
 * G_IO_ERROR_CANCELLED, or the network's error. progress (may be NULL) is
 * called from the calling thread. */
char *library_model_install(LibraryModelCatalogue *catalogue, const char *name,
                            LibraryModelProgressFunc progress, gpointer user_data,
                            GCancellable *cancellable, GError **error);

/* The same in a worker thread; progress is delivered on the calling thread's
 * main context. The catalogue must outlive the call. */
void library_model_install_async(LibraryModelCatalogue *catalogue, const char *name,
                                 LibraryModelProgressFunc progress, gpointer user_data,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer callback_data);
char *library_model_install_finish(GAsyncResult *result, GError **error);

/* Deletes an installed model's folder (and any partial download of it). */
gboolean library_model_remove(const char *name, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(LibraryModelCatalogue, library_model_catalogue_free)

/* Spyglass's data folder (models.json, albums/, models/demo): $SPYGLASS_DATADIR,
 * else the installed one; a program of the build tree run before any install
 * (the installed folder missing) reads the source tree's data/. */
char *library_data_dir(void);
/* The bundled demo model's folder (it may be missing). */
char *library_demo_model_dir(void);

/* The model folder to use, in this order: requested (a folder, or the name of
 * an installed model; NULL or "" means $SPYGLASS_MODEL), the library's current
 * model (db_path may be NULL), the best installed model, the bundled demo. */
char *library_resolve_model_dir(const char *requested, const char *db_path, GError **error);

/* What resolution found about the library's own model. */
typedef struct {
    /* The library's model folder is gone (the model was removed while in
     * use): the best installed model, or the demo, was chosen instead. */
    gboolean fallback;
    char *missing_model; /* the removed model's name, when fallback */
    char *notice;        /* one line for the user, when fallback; else NULL */
} LibraryModelResolution;

/* library_resolve_model_dir, telling the caller (the app shows notice, the
 * CLI prints it on stderr) when the library's model had to be replaced.
 * resolution may be NULL; clear it with library_model_resolution_clear. */
char *library_resolve_model_dir_full(const char *requested, const char *db_path,
                                     LibraryModelResolution *resolution, GError **error);
void library_model_resolution_clear(LibraryModelResolution *resolution);

G_END_DECLS
