/* library-sandbox.h: decoding photos and videos in confined helper processes, so that a
 * hostile file cannot hurt the library.
 *
 * A LibrarySandbox is a pool of spyglass-decode helpers (src/library/
 * spyglass-decode.c) for photos and spyglass-decode-video helpers
 * (spyglass-decode-video.c, GStreamer) for videos: each call takes an idle
 * helper of its kind or starts one, opens
 * the photo here (O_RDONLY | O_NOFOLLOW, a symbolic link resolved first, as
 * the crawler follows them), hands the helper the descriptor, and waits at
 * most the timeout for pixels and metadata. A helper is reused for the
 * next photo; after any failure, even a decoder's ordinary refusal, it is
 * ended and the next photo gets a fresh one. Calls may
 * come from several threads at once: one helper per concurrent call.
 *
 * The photo helper is SPYGLASS_DECODE_HELPER when set (tests set the build
 * tree's), else libexecdir/spyglass-decode, else, when that is not
 * installed, the build tree's (running from the tree); the video helper
 * likewise SPYGLASS_DECODE_VIDEO_HELPER or spyglass-decode-video.
 * SPYGLASS_DECODE_TIMEOUT (seconds) overrides the default timeouts (30 s a
 * photo, 120 s a video) of pools that do not set their own, for tests.
 */
#pragma once

#include "library/library-decoder.h"

#include <glib.h>

G_BEGIN_DECLS

/* Failures of the helper rather than of the decoder: every code but
 * UNAVAILABLE is the file's doing (it made the decoder crash, hang, or go
 * over a limit), so the file is failed and the run goes on. Decoders'
 * refusals keep their CLIP_ERROR codes, as library_decode_photo() gives them. */
#define LIBRARY_SANDBOX_ERROR (library_sandbox_error_quark())
GQuark library_sandbox_error_quark(void);

typedef enum {
    LIBRARY_SANDBOX_ERROR_UNAVAILABLE,   /* the helper cannot be started: no file's fault */
    LIBRARY_SANDBOX_ERROR_CRASHED,       /* died of a signal such as SIGSEGV */
    LIBRARY_SANDBOX_ERROR_FORBIDDEN,     /* killed by the sandbox (SIGSYS) */
    LIBRARY_SANDBOX_ERROR_TIMED_OUT,     /* took longer than the timeout */
    LIBRARY_SANDBOX_ERROR_OUT_OF_MEMORY, /* went over its address-space limit */
    LIBRARY_SANDBOX_ERROR_CPU_LIMIT,     /* went over its CPU-time limit */
    LIBRARY_SANDBOX_ERROR_PROTOCOL,      /* sent a reply no working helper sends */
} LibrarySandboxError;

#define LIBRARY_SANDBOX_DEFAULT_TIMEOUT 30.0  /* seconds, for a photo */
#define LIBRARY_SANDBOX_VIDEO_TIMEOUT   120.0 /* seconds, for a video's frames */

typedef struct _LibrarySandbox LibrarySandbox;

/* An empty pool; helpers start on first use. */
LibrarySandbox *library_sandbox_new(void);

/* Wall-clock seconds a photo or a video may take (the defaults are
 * LIBRARY_SANDBOX_DEFAULT_TIMEOUT and LIBRARY_SANDBOX_VIDEO_TIMEOUT, or
 * SPYGLASS_DECODE_TIMEOUT). */
void library_sandbox_set_timeout(LibrarySandbox *pool, double seconds);

/* At most max_helpers helpers at once (0, the default: one per concurrent
 * call); a call finding them all busy waits for one. */
void library_sandbox_set_max_helpers(LibrarySandbox *pool, guint max_helpers);

/* Starts photo helpers in the background until the pool runs `helpers` of them
 * (or is full), so that their start-up (exec, the decoders'
 * preparation, the filter: about 0.1 s each) overlaps other work rather
 * than delaying the first photos. Calls meanwhile wait for these helpers
 * instead of starting more. */
void library_sandbox_prestart(LibrarySandbox *pool, guint helpers);

/* The process's shared pool, started on first use and kept until the
 * process exits, of at most one helper per core: the decodes a person
 * waits for (thumbnails, the photo page, `similar` and `embed-image` on
 * files, the duplicate calibration) share its helpers. The indexer has a
 * pool of its own, ended with its run. */
LibrarySandbox *library_sandbox_get_default(void);

/* library_decode_photo() in a helper: the same image, info and decoder
 * errors, plus LIBRARY_SANDBOX_ERROR when the helper failed on the file
 * ("PATH: the decoder crashed on this file (SIGSEGV)"). A video's still
 * comes from the video helper. */
ClipRgbImage *library_sandbox_decode(LibrarySandbox *pool, const char *path,
                                     uint32_t min_short_side, LibraryPhotoInfo *info,
                                     GError **error);

/* library_decode_video() in a video helper: the same frames, times, info
 * and decoder errors, plus LIBRARY_SANDBOX_ERROR when the helper failed on
 * the file. sampling NULL: the defaults. */
GPtrArray *library_sandbox_decode_video(LibrarySandbox *pool, const char *path,
                                        const LibraryVideoSampling *sampling,
                                        LibraryPhotoInfo *info, GError **error);

/* Ends the idle helpers; no call may be in progress. Never for the default pool. */
void library_sandbox_free(LibrarySandbox *pool);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(LibrarySandbox, library_sandbox_free)

G_END_DECLS
