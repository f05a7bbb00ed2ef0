/* spyglass-decode-confine.h: how the decode helper shuts itself in before reading any photo. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* The helper's address-space limit: decoding a photo the library accepts
 * (CLIP_RGB_IMAGE_MAX_PIXELS) fits; a decoder asking for more is refused. */
#define SPYGLASS_DECODE_MEMORY_LIMIT ((guint64)1 << 30)
/* CPU seconds for the helper's whole life; the parent retires a helper
 * well before (library-sandbox.c), so only a runaway decoder reaches it. */
#define SPYGLASS_DECODE_CPU_LIMIT 600
/* The video helper's (spyglass-decode-video): GStreamer, its demuxers and
 * libav's decoder threads on a 1080p clip fit with room to spare
 * (docs/security.md has the measurement). */
#define SPYGLASS_DECODE_VIDEO_MEMORY_LIMIT ((guint64)2 << 30)
#define SPYGLASS_DECODE_VIDEO_CPU_LIMIT    3600
/* The helper's exit status when it cannot start or confine itself: no
 * file's fault, so the parent does not blame the photo. */
#define SPYGLASS_DECODE_EXIT_UNAVAILABLE 2

/* Does what the decoders would otherwise do on first use and the sandbox
 * forbids: libheif's plugin scan, gdk-pixbuf's loaders.cache and the
 * dlopen() of its GIF, TIFF and BMP loaders. */
void spyglass_decode_prepare_decoders(void);

/* Resource limits, PR_SET_NO_NEW_PRIVS and the seccomp allow-list; from
 * then on any other system call kills the process with SIGSYS. */
gboolean spyglass_decode_confine(GError **error);

/* The parts: rlimits on address space (beyond what is mapped already
 * under AddressSanitizer), CPU seconds, file size (0) and core dumps (0);
 * PR_SET_NO_NEW_PRIVS. */
gboolean spyglass_decode_set_limits(guint64 memory, int cpu_seconds, GError **error);
gboolean spyglass_decode_no_new_privs(GError **error);

/* A libseccomp filter (scmp_filter_ctx) with that default action, or NULL
 * with the error; then, after the rules are added (rc: the first
 * seccomp_rule_add() failure, 0 if none), clone3 answering ENOSYS (glibc
 * then falls back to clone, whose flags a filter can check), loaded and
 * released. */
void *spyglass_decode_filter_new(uint32_t default_action, GError **error);
gboolean spyglass_decode_filter_load(void *filter, int rc, GError **error);

/* The video helper's confinement (spyglass-decode-video-confine.c): the
 * same limits at the video sizes and a seccomp deny-list, weaker than the
 * photo helper's allow-list (docs/security.md says what it blocks and why). */
gboolean spyglass_decode_video_confine(GError **error);

G_END_DECLS
