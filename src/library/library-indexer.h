/* library-indexer.h: indexing the library: walk, sync, then the embedding pipeline.
 *
 * The pipeline: decode workers decode, fingerprint and preprocess photos
 * (a GThreadPool, one thread per core; when the encoder runs on the `cpu`
 * device, background work on the process-wide pool its ops use instead,
 * gpu-cpu-pool.h, so decode and encode share the cores without
 * oversubscribing them); the calling thread gathers them into
 * batches for the image encoder (it alone uses the ClipSession); one writer
 * thread stores each photo's metadata and embedding, committing a
 * transaction per batch. A photo that cannot be decoded is stored as failed
 * with the reason and the run goes on. Photos are added as pending before
 * the pipeline starts and become embedded together with their embedding in
 * one transaction, so a run killed at any moment loses nothing committed,
 * and the next run finishes what is still pending.
 *
 * A video is one job of several images, its sampled frames: each frame is
 * embedded, and stored with its time (library_store_set_video_frames)
 * beside the video's own embedding, the normalised mean of its frames', in
 * the same transaction.
 */
#pragma once

#include "clip/clip-encoder.h"
#include "library/library-crawler.h"
#include "library/library-sandbox.h"
#include "library/library-store.h"

G_BEGIN_DECLS

typedef struct {
    guint done;               /* photos stored by this run (embedded or failed) */
    guint total;              /* photos this run has to store */
    double photos_per_second; /* since the pipeline started */
    double eta_seconds;       /* < 0 while unknown */
} LibraryIndexProgress;

/* Called from the writer thread after each commit. */
typedef void (*LibraryIndexProgressFunc)(const LibraryIndexProgress *progress, gpointer user_data);

typedef struct {
    guint decode_threads;       /* 0: one per core; unused on the `cpu` device (its pool) */
    guint batch_size;           /* images per encoder call */
    guint commit_size;          /* most photos per transaction */
    LibraryVideoSampling video; /* which frames of a video are embedded */
    LibraryIndexProgressFunc progress;
    gpointer progress_data;
    /* Benchmarks only (`bench index` measuring the sandbox's cost): photos
     * decode in this process, unconfined, as if no helper existed. */
    gboolean decode_in_process;
    /* The pool to decode in, borrowed: a caller that can start it early
     * (library_sandbox_prestart() before loading the model) hides the
     * helpers' start-up. NULL: the run starts its own when it begins. */
    LibrarySandbox *sandbox;
} LibraryIndexParams;

void library_index_params_init(LibraryIndexParams *params);

typedef struct {
    char *path;
    char *error;
} LibraryIndexFailure;

typedef struct {
    guint added, updated, removed, unchanged; /* as LibrarySyncResult counts them */
    guint embedded;                           /* photos embedded by this run */
    /* photos failed because the last run died while decoding them */
    guint interrupted;
    GPtrArray *failed;   /* LibraryIndexFailure*: photos this run could not decode */
    GPtrArray *problems; /* LibraryCrawlProblem*: what the walk could not read */
    GPtrArray *offline;  /* char*: folders found missing or empty, marked offline */
    gboolean walk_complete;
    guint dropped_embeddings; /* other models' embeddings dropped once this one was complete */
    /* Seconds: the pipeline's wall time, and the time each stage spent on
     * its work summed over its threads (decode runs on several). */
    double pipeline_seconds, decode_seconds, encode_seconds, store_seconds;
} LibraryIndexResult;

void library_index_result_init(LibraryIndexResult *result);
void library_index_result_clear(LibraryIndexResult *result);

/* Adds `folders` (may be NULL or empty) to the library, walks every library
 * folder, syncs the store with the walk (library-sync.h), embeds every photo
 * the walk found that lacks `model`'s embedding and, when the run
 * completes, drops the embeddings of models this one supersedes. model and session are used by the
 * calling thread only. FALSE on a store or encoder error or on cancellation (G_IO_ERROR_CANCELLED);
 * what was committed stays. */
gboolean library_index_folders(LibraryStore *store, const ClipModel *model, ClipSession *session,
                               const char *const *folders, const LibraryIndexParams *params,
                               LibraryIndexResult *result, GCancellable *cancellable,
                               GError **error);

G_END_DECLS
