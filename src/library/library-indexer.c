/* library-indexer.c: the indexing run: walk and sync, then decode → encode → store. */
#include "library-indexer.h"

#include "library-decoder.h"
#include "library-sandbox.h"
#include "library-embed.h"
#include "library-sync.h"

#include "gpu/gpu-cpu-pool.h"

#include <string.h>

#define DEFAULT_BATCH_SIZE  16
#define DEFAULT_COMMIT_SIZE 64
/* Decoded photos waiting for the encoder, per decode thread: enough to keep
 * the encoder fed, few enough to bound memory (a 224² photo is 600 KB). */
#define DECODED_PER_THREAD 2

typedef struct _Pipeline Pipeline;

/* One photo on its way through the pipeline. */
typedef struct {
    Pipeline *pipeline;
    gint64 photo_id;
    char *path;
    char *fingerprint;
    LibraryPhotoInfo info;
    guint n_images;   /* 1 for a photo; a video's frames */
    double *times;    /* (n_images) a video's frame times in seconds; NULL for a photo */
    float *pixels;    /* (n_images, 3, S, S) once decoded */
    float *embedding; /* (n_images, E) once encoded, L2-normalised */
    char *error;      /* why it could not be decoded */
    gboolean skipped; /* the run stopped before it was decoded */
    double decode_seconds;
} PhotoJob;

struct _Pipeline {
    LibraryStore *store;
    const ClipModel *model;
    ClipSession *session;
    LibraryIndexParams params;
    LibraryIndexResult *result;
    GCancellable *cancellable;
    size_t image_elements; /* 3 × S × S */
    guint dim;             /* E */

    /* The decoders: on the `cpu` device, background work of the process-wide
     * pool that the encoder's ops run on (gpu-cpu-pool.h), so decoding fills
     * the gaps between ops and never adds threads to cores already busy
     * with the encoder; on other devices the CPU is free while the encoder
     * works, and a thread pool of decode_threads decodes. */
    gboolean on_cpu_pool;
    guint decoder_count;   /* threads that decode, for the window */
    GThreadPool *decoders; /* NULL on the cpu pool */
    GAsyncQueue *decoded;  /* PhotoJob* from the decoders */
    GAsyncQueue *to_write; /* GPtrArray* of PhotoJob* per transaction, then writer_end */
    GThread *writer;
    /* Decoding happens in confined helpers; each photo is recorded as being
     * decoded, through a connection of the decoders' own, before it is
     * handed over, so that a run that dies on it fails it on restart. */
    LibrarySandbox *sandbox;
    LibraryStore *decoding_store;
    GMutex decoding_lock;  /* decoding_store is not for several threads at once */
    GError *decoder_error; /* the sandbox cannot start: the run stops (atomic set) */
    gint stopping;         /* atomic: an error or cancellation; feed no more */
    GError *writer_error;  /* set by the writer before it sets stopping */
    guint total;           /* photos to store */
    guint stored;          /* by the writer */
    gint64 start_time;
};

/* Tells the writer that nothing more will come. */
static GPtrArray writer_end;

void library_index_params_init(LibraryIndexParams *params)
{
    *params = (LibraryIndexParams){
        .decode_threads = 0,
        .batch_size = DEFAULT_BATCH_SIZE,
        .commit_size = DEFAULT_COMMIT_SIZE,
    };
    library_video_sampling_init(&params->video);
}

static void index_failure_free(LibraryIndexFailure *failure)
{
    g_free(failure->path);
    g_free(failure->error);
    g_free(failure);
}

void library_index_result_init(LibraryIndexResult *result)
{
    *result = (LibraryIndexResult){
        .failed = g_ptr_array_new_with_free_func((GDestroyNotify)index_failure_free),
        .problems = g_ptr_array_new(),
        .offline = g_ptr_array_new_with_free_func(g_free),
    };
}

void library_index_result_clear(LibraryIndexResult *result)
{
    g_clear_pointer(&result->failed, g_ptr_array_unref);
    g_clear_pointer(&result->problems, g_ptr_array_unref);
    g_clear_pointer(&result->offline, g_ptr_array_unref);
}

static void photo_job_free(PhotoJob *job)
{
    g_free(job->path);
    g_free(job->fingerprint);
    library_photo_info_clear(&job->info);
    g_free(job->times);
    g_free(job->pixels);
    g_free(job->embedding);
    g_free(job->error);
    g_free(job);
}

static gboolean pipeline_stopping(Pipeline *pipeline)
{
    return g_atomic_int_get(&pipeline->stopping) ||
           g_cancellable_is_cancelled(pipeline->cancellable);
}

/* Decode workers */

/* Records that a photo's decode begins or ended. A failure to record is
 * logged, not fatal: the photo is still decoded, only not protected. */
static void decoding_record(Pipeline *pipeline, gint64 photo_id, gboolean in_process,
                            gboolean begins)
{
    g_autoptr(GError) error = NULL;
    g_mutex_lock(&pipeline->decoding_lock);
    gboolean ok = begins ? library_store_begin_decoding(pipeline->decoding_store, photo_id,
                                                        in_process, &error)
                         : library_store_end_decoding(pipeline->decoding_store, photo_id, &error);
    g_mutex_unlock(&pipeline->decoding_lock);
    if (!ok)
        g_warning("%s", error->message);
}

/* A video's frames, preprocessed, with their times, decoded in a video
 * helper (in this process only for `bench index --in-process`). */
static gboolean decode_video(PhotoJob *job, GError **error)
{
    Pipeline *pipeline = job->pipeline;
    const ClipConfig *config = &pipeline->model->config;
    const LibraryVideoSampling *sampling = &pipeline->params.video;
    g_autoptr(GPtrArray) frames =
        pipeline->sandbox != NULL ? library_sandbox_decode_video(pipeline->sandbox, job->path,
                                                                 sampling, &job->info, error)
                                  : library_decode_video(job->path, sampling, &job->info, error);
    if (frames == NULL)
        return FALSE;
    job->n_images = frames->len;
    job->times = g_new(double, frames->len);
    job->pixels = g_new(float, pipeline->image_elements * frames->len);
    for (guint i = 0; i < frames->len; i++) {
        LibraryVideoFrame *frame = g_ptr_array_index(frames, i);
        job->times[i] = frame->time;
        clip_preprocess_for_model(frame->image, config, job->pixels + i * pipeline->image_elements);
    }
    return TRUE;
}

static gboolean decode_still(PhotoJob *job, GError **error)
{
    Pipeline *pipeline = job->pipeline;
    const ClipConfig *config = &pipeline->model->config;
    job->n_images = 1;
    job->pixels = g_new(float, pipeline->image_elements);
    if (library_embed_load_pixels(pipeline->sandbox, job->path, config, config->image_size,
                                  &job->info, job->pixels, error))
        return TRUE;
    g_clear_pointer(&job->pixels, g_free);
    return FALSE;
}

/* Fingerprints, decodes and preprocesses one photo or video (a decoder thread). */
static void decode_photo(PhotoJob *job)
{
    Pipeline *pipeline = job->pipeline;
    if (pipeline_stopping(pipeline)) {
        job->skipped = TRUE;
        g_async_queue_push(pipeline->decoded, job);
        return;
    }
    gint64 start = g_get_monotonic_time();
    g_autoptr(GError) error = NULL;
    job->fingerprint = library_fingerprint_file(job->path, &error);
    if (job->fingerprint != NULL) {
        /* In a helper, a file that kills the decoder costs that file only. */
        gboolean in_process = pipeline->sandbox == NULL;
        decoding_record(pipeline, job->photo_id, in_process, TRUE);
        if (library_is_video_name(job->path))
            decode_video(job, &error);
        else
            decode_still(job, &error);
        decoding_record(pipeline, job->photo_id, in_process, FALSE);
    }
    if (job->pixels == NULL &&
        g_error_matches(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_UNAVAILABLE)) {
        /* No file's fault: the photo stays pending and the run stops. */
        job->skipped = TRUE;
        if (!g_atomic_pointer_compare_and_exchange(&pipeline->decoder_error, NULL, error))
            g_clear_error(&error);
        else
            error = NULL;
        g_atomic_int_set(&pipeline->stopping, 1);
    } else if (job->pixels == NULL) {
        job->error = g_strdup(error->message);
    }
    job->decode_seconds = (g_get_monotonic_time() - start) / 1e6;
    g_async_queue_push(pipeline->decoded, job);
}

static void decode_on_thread_pool(gpointer data, gpointer user_data)
{
    decode_photo(data);
}

static void decode_on_cpu_pool(void *data)
{
    decode_photo(data);
}

/* The writer */

static void report_progress(Pipeline *pipeline)
{
    if (pipeline->params.progress == NULL)
        return;
    double elapsed = (g_get_monotonic_time() - pipeline->start_time) / 1e6;
    double rate = elapsed > 0 ? pipeline->stored / elapsed : 0;
    LibraryIndexProgress progress = {
        .done = pipeline->stored,
        .total = pipeline->total,
        .photos_per_second = rate,
        .eta_seconds = rate > 0 ? (pipeline->total - pipeline->stored) / rate : -1,
    };
    pipeline->params.progress(&progress, pipeline->params.progress_data);
}

/* A video's own embedding: the normalised mean of its frames'. */
static void mean_embedding(const PhotoJob *job, guint dim, float *out)
{
    memset(out, 0, dim * sizeof(float));
    for (guint i = 0; i < job->n_images; i++)
        for (guint d = 0; d < dim; d++)
            out[d] += job->embedding[(size_t)i * dim + d];
    clip_normalize_rows(out, 1, dim);
}

static gboolean write_job(Pipeline *pipeline, PhotoJob *job, GError **error)
{
    if (job->embedding == NULL)
        return library_store_set_photo_failed(pipeline->store, job->photo_id, job->fingerprint,
                                              job->error, error);
    if (job->times == NULL)
        return library_store_set_photo_embedded(pipeline->store, job->photo_id, &job->info,
                                                job->fingerprint, pipeline->model->id,
                                                pipeline->dim, job->embedding, error);
    g_autofree float *mean = g_new(float, pipeline->dim);
    mean_embedding(job, pipeline->dim, mean);
    return library_store_set_photo_embedded(pipeline->store, job->photo_id, &job->info,
                                            job->fingerprint, pipeline->model->id, pipeline->dim,
                                            mean, error) &&
           library_store_set_video_frames(pipeline->store, job->photo_id, pipeline->model->id,
                                          pipeline->dim, job->n_images, job->times, job->embedding,
                                          error);
}

/* Stores jobs in one transaction. */
static gboolean write_jobs(Pipeline *pipeline, GPtrArray *jobs, GError **error)
{
    if (!library_store_begin(pipeline->store, error))
        return FALSE;
    for (guint i = 0; i < jobs->len; i++) {
        if (!write_job(pipeline, g_ptr_array_index(jobs, i), error)) {
            library_store_rollback(pipeline->store);
            return FALSE;
        }
    }
    return library_store_commit(pipeline->store, error);
}

/* Only once committed do photos count as embedded or failed. */
static void count_written(Pipeline *pipeline, GPtrArray *jobs)
{
    LibraryIndexResult *result = pipeline->result;
    for (guint i = 0; i < jobs->len; i++) {
        PhotoJob *job = g_ptr_array_index(jobs, i);
        if (job->embedding != NULL) {
            result->embedded++;
        } else {
            LibraryIndexFailure *failure = g_new0(LibraryIndexFailure, 1);
            failure->path = g_strdup(job->path);
            failure->error = g_strdup(job->error);
            g_ptr_array_add(result->failed, failure);
        }
    }
    pipeline->stored += jobs->len;
}

/* Takes what is queued, up to a transaction's worth; FALSE once the end came. */
static gboolean writer_gather(Pipeline *pipeline, GPtrArray *jobs)
{
    GPtrArray *unit = g_async_queue_pop(pipeline->to_write);
    while (unit != &writer_end) {
        g_ptr_array_extend_and_steal(jobs, unit);
        if (jobs->len >= pipeline->params.commit_size ||
            (unit = g_async_queue_try_pop(pipeline->to_write)) == NULL)
            return TRUE;
    }
    return FALSE;
}

static gpointer writer_thread(gpointer data)
{
    Pipeline *pipeline = data;
    gboolean more = TRUE;
    while (more) {
        g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func((GDestroyNotify)photo_job_free);
        more = writer_gather(pipeline, jobs);
        /* After a failure or cancellation the rest is only drained: those
         * photos stay pending for the next run. */
        if (jobs->len == 0 || pipeline->writer_error != NULL ||
            g_cancellable_is_cancelled(pipeline->cancellable))
            continue;
        gint64 start = g_get_monotonic_time();
        if (write_jobs(pipeline, jobs, &pipeline->writer_error)) {
            count_written(pipeline, jobs);
            report_progress(pipeline);
        } else {
            g_atomic_int_set(&pipeline->stopping, TRUE);
        }
        pipeline->result->store_seconds += (g_get_monotonic_time() - start) / 1e6;
    }
    return NULL;
}

/* The encoder (the calling thread) */

/* Encodes a batch of decoded jobs and moves them to the outgoing unit: their
 * images (a video has several) in encoder calls of at most batch_size. */
static gboolean encode_batch(Pipeline *pipeline, GPtrArray *batch, GPtrArray *outgoing,
                             float *pixels, float *features, GError **error)
{
    guint batch_size = pipeline->params.batch_size;
    for (guint i = 0; i < batch->len; i++) {
        PhotoJob *job = g_ptr_array_index(batch, i);
        job->embedding = g_new(float, (size_t)job->n_images * pipeline->dim);
    }
    /* Images go in by (job, image) order; filled[k] says where row k's features go. */
    g_autofree float **filled = g_new(float *, batch_size);
    guint n = 0;
    for (guint i = 0; i < batch->len; i++) {
        PhotoJob *job = g_ptr_array_index(batch, i);
        for (guint k = 0; k < job->n_images; k++) {
            memcpy(pixels + n * pipeline->image_elements,
                   job->pixels + k * pipeline->image_elements,
                   pipeline->image_elements * sizeof(float));
            filled[n++] = job->embedding + (size_t)k * pipeline->dim;
            gboolean last = i == batch->len - 1 && k == job->n_images - 1;
            if (n < batch_size && !last)
                continue;
            gint64 start = g_get_monotonic_time();
            gboolean ok = library_embed_pixels(pipeline->session, &pipeline->model->config, pixels,
                                               n, features, error);
            pipeline->result->encode_seconds += (g_get_monotonic_time() - start) / 1e6;
            if (!ok)
                return FALSE;
            for (guint r = 0; r < n; r++)
                memcpy(filled[r], features + (size_t)r * pipeline->dim,
                       pipeline->dim * sizeof(float));
            n = 0;
        }
        g_clear_pointer(&job->pixels, g_free);
    }
    for (guint i = 0; i < batch->len; i++)
        g_ptr_array_add(outgoing, g_ptr_array_index(batch, i));
    g_free(g_ptr_array_steal(batch, NULL)); /* the jobs now belong to outgoing */
    return TRUE;
}

static GPtrArray *job_array_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)photo_job_free);
}

/* Hands the outgoing unit to the writer and starts a new one. */
static void send_to_writer(Pipeline *pipeline, GPtrArray **outgoing)
{
    if ((*outgoing)->len == 0)
        return;
    g_async_queue_push(pipeline->to_write, *outgoing);
    *outgoing = job_array_new();
}

static PhotoJob *photo_job_new(Pipeline *pipeline, const LibraryPhoto *photo)
{
    PhotoJob *job = g_new0(PhotoJob, 1);
    job->pipeline = pipeline;
    job->photo_id = photo->id;
    job->path = g_strdup(photo->path);
    return job;
}

typedef struct {
    GPtrArray *batch;    /* decoded, waiting for the encoder */
    GPtrArray *outgoing; /* encoded or failed, waiting for the writer */
    float *pixels, *features;
    guint batch_images; /* images of the jobs in batch */
    guint next, in_flight;
} EncoderState;

/* Feeds the decoders up to the window; nothing once the run is stopping. */
static void feed_decoders(Pipeline *pipeline, GPtrArray *todo, EncoderState *state, guint window)
{
    while (!pipeline_stopping(pipeline) && state->next < todo->len && state->in_flight < window) {
        PhotoJob *job = photo_job_new(pipeline, g_ptr_array_index(todo, state->next++));
        if (pipeline->on_cpu_pool)
            gpu_cpu_pool_submit(decode_on_cpu_pool, job);
        else
            g_thread_pool_push(pipeline->decoders, job, NULL);
        state->in_flight++;
    }
}

/* The next decoded job, waiting for one if need be. On the cpu pool the
 * encoder decodes queued photos itself rather than sleep: its ops are not
 * running then, so its core would idle (and with one thread nobody else
 * decodes). */
static PhotoJob *next_decoded(Pipeline *pipeline)
{
    if (!pipeline->on_cpu_pool)
        return g_async_queue_pop(pipeline->decoded);
    for (;;) {
        PhotoJob *job = g_async_queue_try_pop(pipeline->decoded);
        if (job != NULL)
            return job;
        /* Nothing queued: every photo in flight is being decoded elsewhere. */
        if (!gpu_cpu_pool_help())
            return g_async_queue_pop(pipeline->decoded);
    }
}

/* Takes one decoded job; encodes when a batch is full or nothing more will come. */
static gboolean take_decoded(Pipeline *pipeline, GPtrArray *todo, EncoderState *state,
                             GError **error)
{
    PhotoJob *job = next_decoded(pipeline);
    state->in_flight--;
    pipeline->result->decode_seconds += job->decode_seconds;
    if (job->skipped || pipeline_stopping(pipeline)) {
        photo_job_free(job);
    } else if (job->pixels == NULL) {
        g_ptr_array_add(state->outgoing, job);
    } else {
        g_ptr_array_add(state->batch, job);
        state->batch_images += job->n_images;
    }

    gboolean last =
        state->in_flight == 0 && (state->next == todo->len || pipeline_stopping(pipeline));
    if (state->batch->len > 0 && !pipeline_stopping(pipeline) &&
        (state->batch_images >= pipeline->params.batch_size || last)) {
        state->batch_images = 0;
        if (!encode_batch(pipeline, state->batch, state->outgoing, state->pixels, state->features,
                          error))
            return FALSE;
        send_to_writer(pipeline, &state->outgoing);
    } else if (state->outgoing->len >= pipeline->params.commit_size || last) {
        send_to_writer(pipeline, &state->outgoing);
    }
    return TRUE;
}

static gboolean run_encoder(Pipeline *pipeline, GPtrArray *todo, GError **error)
{
    guint batch_size = pipeline->params.batch_size;
    guint window = pipeline->decoder_count * DECODED_PER_THREAD + batch_size;
    EncoderState state = {
        .batch = job_array_new(),
        .outgoing = job_array_new(),
        .pixels = g_new(float, batch_size * pipeline->image_elements),
        .features = g_new(float, (size_t)batch_size * pipeline->dim),
    };
    gboolean ok = TRUE;
    feed_decoders(pipeline, todo, &state, window);
    while (state.in_flight > 0) {
        if (ok && !take_decoded(pipeline, todo, &state, error)) {
            ok = FALSE;
            g_atomic_int_set(&pipeline->stopping, TRUE);
        } else if (!ok) {
            photo_job_free(next_decoded(pipeline));
            state.in_flight--;
        }
        feed_decoders(pipeline, todo, &state, window);
    }
    if (ok)
        send_to_writer(pipeline, &state.outgoing);
    g_ptr_array_unref(state.batch);
    g_ptr_array_unref(state.outgoing);
    g_free(state.pixels);
    g_free(state.features);
    return ok;
}

static gboolean decodes_on_cpu_pool(ClipSession *session)
{
    return gpu_device_type(clip_session_get_device(session)) == GPU_DEVICE_TYPE_NATIVE_CPU;
}

/* Photos decoded at once: one per decode thread, or per thread of the cpu pool. */
static guint decoder_count(ClipSession *session, const LibraryIndexParams *params)
{
    if (decodes_on_cpu_pool(session))
        return gpu_cpu_pool_threads();
    return params != NULL && params->decode_threads > 0 ? params->decode_threads
                                                        : g_get_num_processors();
}

static void pipeline_init(Pipeline *pipeline, LibraryStore *store, const ClipModel *model,
                          ClipSession *session, LibrarySandbox *sandbox,
                          const LibraryIndexParams *params, LibraryIndexResult *result,
                          GCancellable *cancellable)
{
    *pipeline = (Pipeline){
        .store = store,
        .sandbox = sandbox,
        .model = model,
        .session = session,
        .result = result,
        .cancellable = cancellable,
        .image_elements = (size_t)3 * model->config.image_size * model->config.image_size,
        .dim = model->config.embed_dim,
    };
    if (params != NULL)
        pipeline->params = *params;
    else
        library_index_params_init(&pipeline->params);
    if (pipeline->params.decode_threads == 0)
        pipeline->params.decode_threads = g_get_num_processors();
    pipeline->on_cpu_pool = decodes_on_cpu_pool(session);
    pipeline->decoder_count = decoder_count(session, &pipeline->params);
    pipeline->params.batch_size = MAX(pipeline->params.batch_size, 1);
    pipeline->params.commit_size = MAX(pipeline->params.commit_size, 1);
}

/* Runs decode → encode → store over the photos in todo. */
static gboolean pipeline_run(Pipeline *pipeline, GPtrArray *todo, GError **error)
{
    pipeline->total = todo->len;
    pipeline->start_time = g_get_monotonic_time();
    if (todo->len == 0)
        return !g_cancellable_set_error_if_cancelled(pipeline->cancellable, error);

    pipeline->decoding_store = library_store_open(library_store_get_path(pipeline->store), error);
    if (pipeline->decoding_store == NULL)
        return FALSE;
    g_mutex_init(&pipeline->decoding_lock);
    pipeline->decoded = g_async_queue_new();
    pipeline->to_write = g_async_queue_new();
    if (!pipeline->on_cpu_pool)
        pipeline->decoders = g_thread_pool_new(decode_on_thread_pool, NULL,
                                               (gint)pipeline->params.decode_threads, FALSE, NULL);
    pipeline->writer = g_thread_new("spyglass-writer", writer_thread, pipeline);

    gboolean ok = run_encoder(pipeline, todo, error);

    g_async_queue_push(pipeline->to_write, &writer_end);
    g_thread_join(pipeline->writer);
    if (pipeline->decoders != NULL)
        g_thread_pool_free(pipeline->decoders, FALSE, TRUE);
    g_async_queue_unref(pipeline->decoded);
    g_async_queue_unref(pipeline->to_write);
    g_clear_pointer(&pipeline->decoding_store, library_store_free);
    g_mutex_clear(&pipeline->decoding_lock);
    pipeline->result->pipeline_seconds = (g_get_monotonic_time() - pipeline->start_time) / 1e6;

    if (ok && pipeline->decoder_error != NULL) {
        g_propagate_error(error, g_steal_pointer(&pipeline->decoder_error));
        ok = FALSE;
    }
    g_clear_error(&pipeline->decoder_error);

    if (ok && pipeline->writer_error != NULL) {
        g_propagate_error(error, g_steal_pointer(&pipeline->writer_error));
        ok = FALSE;
    }
    g_clear_error(&pipeline->writer_error);
    return ok && !g_cancellable_set_error_if_cancelled(pipeline->cancellable, error);
}

/* Keeps the photos a walk found: one it could not reach (below an
 * unreadable folder) would fail now and stay failed while unchanged. */
static void keep_walked(GPtrArray *todo, const LibraryCrawl *crawl)
{
    g_autoptr(GHashTable) walked = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < crawl->files->len; i++)
        g_hash_table_add(walked, ((LibraryCrawlFile *)g_ptr_array_index(crawl->files, i))->path);
    for (guint i = todo->len; i > 0; i--)
        if (!g_hash_table_contains(walked, ((LibraryPhoto *)g_ptr_array_index(todo, i - 1))->path))
            g_ptr_array_remove_index(todo, i - 1);
}

/* Photos a dead run was decoding go last: were one of them what killed it,
 * everything else is stored first; and a run stopped again soon after the
 * restart (the user quitting twice) does not catch the same innocent photos
 * in flight again, which would fail them. Stable, so the order is otherwise
 * the store's. */
static gboolean defer_interrupted(LibraryStore *store, GPtrArray *todo, GError **error)
{
    g_autoptr(GHashTable) suspects = library_store_list_interrupted_decoding(store, error);
    if (suspects == NULL)
        return FALSE;
    if (g_hash_table_size(suspects) == 0)
        return TRUE;
    g_autoptr(GPtrArray) last = g_ptr_array_new();
    guint kept = 0;
    for (guint i = 0; i < todo->len; i++) {
        LibraryPhoto *photo = g_ptr_array_index(todo, i);
        if (g_hash_table_contains(suspects, &photo->id))
            g_ptr_array_add(last, photo);
        else
            todo->pdata[kept++] = photo;
    }
    for (guint i = 0; i < last->len; i++)
        todo->pdata[kept++] = g_ptr_array_index(last, i);
    return TRUE;
}

/* Embeds what lacks model's embedding among what the crawl found. */
static gboolean index_unembedded(LibraryStore *store, const ClipModel *model, ClipSession *session,
                                 LibrarySandbox *sandbox, const LibraryCrawl *crawl,
                                 const LibraryIndexParams *params, LibraryIndexResult *result,
                                 GCancellable *cancellable, GError **error)
{
    g_autoptr(GPtrArray) todo = library_store_list_unembedded(store, model->id, error);
    if (todo == NULL)
        return FALSE;
    keep_walked(todo, crawl);
    if (!defer_interrupted(store, todo, error))
        return FALSE;
    Pipeline pipeline;
    pipeline_init(&pipeline, store, model, session, sandbox, params, result, cancellable);
    return pipeline_run(&pipeline, todo, error);
}

/* Walk and sync */

/* Records the model and adds the folders, in one transaction. */
static gboolean register_model_and_folders(LibraryStore *store, const ClipModel *model,
                                           const char *const *folders, GError **error)
{
    /* Absolute, so that later runs from any folder find it again. */
    g_autofree char *dir = model->dir != NULL && model->dir[0] != '\0'
                               ? g_canonicalize_filename(model->dir, NULL)
                               : NULL;
    LibraryModelRecord record = {
        .id = model->id,
        .name = model->name,
        .dir = dir,
        .dim = model->config.embed_dim,
    };
    if (!library_store_begin(store, error))
        return FALSE;
    gboolean ok = library_store_set_current_model(store, &record, error);
    for (guint i = 0; ok && folders != NULL && folders[i] != NULL; i++) {
        g_autofree char *path = g_canonicalize_filename(folders[i], NULL);
        gint64 id;
        ok = library_store_add_folder(store, path, &id, error);
    }
    if (!ok) {
        library_store_rollback(store);
        return FALSE;
    }
    return library_store_commit(store, error);
}

/* Walks every library folder and applies what changed to the store. */
static LibraryCrawl *walk_and_sync(LibraryStore *store, const ClipModel *model,
                                   LibraryIndexResult *result, GCancellable *cancellable,
                                   GError **error)
{
    g_autoptr(GPtrArray) folders = library_store_list_folders(store, error);
    if (folders == NULL)
        return NULL;
    g_autoptr(GPtrArray) roots = g_ptr_array_new();
    g_autofree gint64 *ids = g_new(gint64, folders->len + 1);
    for (guint i = 0; i < folders->len; i++) {
        LibraryFolder *folder = g_ptr_array_index(folders, i);
        g_ptr_array_add(roots, folder->path);
        ids[i] = folder->id;
    }
    g_ptr_array_add(roots, NULL);

    g_autoptr(LibraryCrawl) crawl = library_crawl((const char *const *)roots->pdata, cancellable);
    if (g_cancellable_set_error_if_cancelled(cancellable, error))
        return NULL;
    LibrarySyncResult sync;
    if (!library_sync_crawl(store, crawl, ids, model->id, &sync, cancellable, error)) {
        library_sync_result_clear(&sync);
        return NULL;
    }
    result->added = sync.added;
    result->updated = sync.updated;
    result->removed = sync.removed;
    result->unchanged = sync.unchanged;
    result->walk_complete = crawl->complete;
    g_ptr_array_extend_and_steal(result->offline, g_steal_pointer(&sync.offline));
    g_ptr_array_unref(result->problems);
    result->problems = g_ptr_array_ref(crawl->problems);
    library_sync_result_clear(&sync);
    return g_steal_pointer(&crawl);
}

gboolean library_index_folders(LibraryStore *store, const ClipModel *model, ClipSession *session,
                               const char *const *folders, const LibraryIndexParams *params,
                               LibraryIndexResult *result, GCancellable *cancellable,
                               GError **error)
{
    library_index_result_init(result);
    /* The decode helpers start now, in the background, unless the caller
     * started them earlier: their start-up
     * (about 0.1 s each) overlaps the walk rather than holding up the first
     * photos. A run that finds nothing to decode has spent about 0.03 s of
     * CPU per helper for nothing. */
    g_autoptr(LibrarySandbox) own_sandbox = NULL;
    LibrarySandbox *sandbox = params != NULL ? params->sandbox : NULL;
    if (sandbox == NULL && (params == NULL || !params->decode_in_process)) {
        sandbox = own_sandbox = library_sandbox_new();
        library_sandbox_prestart(sandbox, decoder_count(session, params));
    }
    if (!register_model_and_folders(store, model, folders, error))
        return FALSE;
    /* The walk's long queries stop on cancellation; the pipeline's commits
     * are short and should finish, so the store stops watching after. */
    /* Before the sync: a photo a dead run was decoding stays failed unless it
     * changed since, which the sync then sees. */
    if (!library_store_fail_interrupted_decoding(store, &result->interrupted, error))
        return FALSE;
    library_store_set_cancellable(store, cancellable);
    g_autoptr(LibraryCrawl) crawl = walk_and_sync(store, model, result, cancellable, error);
    library_store_set_cancellable(store, NULL);
    if (crawl == NULL || !index_unembedded(store, model, session, sandbox, crawl, params, result,
                                           cancellable, error))
        return FALSE;
    return library_store_drop_superseded_embeddings(store, &result->dropped_embeddings, error);
}
