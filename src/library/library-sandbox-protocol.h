/* library-sandbox-protocol.h: what the indexer and the decode helpers (spyglass-decode for
 * photos, spyglass-decode-video for videos) say to each other.
 *
 * One request per file over a Unix stream socket: a SandboxRequest whose
 * SCM_RIGHTS control message carries the file's open descriptor,
 * followed by the file's name (for error messages only). One reply: a
 * SandboxReply, its strings (format, taken, camera make, camera model,
 * error message, in that order, without NULs), then for a photo width ×
 * height × 3 bytes of RGB; for a video (SANDBOX_STATUS_VIDEO) n_frames
 * frames, each a SandboxFrame and its width × height × 3 bytes of RGB.
 * Both ends are the same build on the same machine, so integers are in
 * host order.
 *
 * The parent trusts nothing in a reply: a helper that a hostile file took
 * over may write anything. sandbox_reply_check() and sandbox_reply_finish()
 * are the only readers of a reply, and the fuzz harness tests/fuzz/
 * fuzz-sandbox-reply.c runs them on arbitrary bytes.
 */
#pragma once

#include "library/library-decoder.h"

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define SANDBOX_REQUEST_MAGIC 0x51444753u /* "SGDQ" */
#define SANDBOX_REPLY_MAGIC   0x52444753u /* "SGDR" */
/* The longest name sent with a request and the longest string in a reply. */
#define SANDBOX_MAX_STRING 4096u

typedef struct {
    uint32_t magic;
    uint32_t min_short_side; /* as library_decode_photo() takes it */
    uint64_t size;           /* bytes in the file, from the parent's fstat() */
    uint32_t name_length;    /* bytes of name after the request */
    uint32_t max_frames;     /* a video's LibraryVideoSampling; 1 for a still */
    double interval_seconds;
} SandboxRequest;

typedef enum {
    SANDBOX_STATUS_DECODED, /* pixels and metadata follow */
    SANDBOX_STATUS_FAILED,  /* the decoder refused the file: error_code and the message */
    /* The helper ran out of its address space and is about to abort; sent
     * from its GLib log writer so that the parent can say so. */
    SANDBOX_STATUS_OUT_OF_MEMORY,
    SANDBOX_STATUS_VIDEO, /* a video's metadata, then n_frames frames */
    SANDBOX_N_STATUSES,
} SandboxStatus;

enum {
    SANDBOX_STRING_FORMAT,
    SANDBOX_STRING_TAKEN,
    SANDBOX_STRING_CAMERA_MAKE,
    SANDBOX_STRING_CAMERA_MODEL,
    SANDBOX_STRING_ERROR,
    SANDBOX_N_STRINGS,
};

typedef struct {
    uint32_t magic;
    uint32_t status;        /* SandboxStatus */
    uint32_t error_code;    /* a ClipError, for SANDBOX_STATUS_FAILED */
    uint32_t width, height; /* of the pixels that follow */
    uint32_t info_width, info_height;
    int32_t orientation;
    uint32_t has_location;
    uint32_t string_lengths[SANDBOX_N_STRINGS];
    double latitude, longitude;
    uint32_t n_frames; /* for SANDBOX_STATUS_VIDEO: 1 to SANDBOX_MAX_FRAMES */
    uint32_t padding;
    double duration; /* a video's, in seconds */
} SandboxReply;

/* More frames than any sampling asks for (LibraryVideoSampling's default is 16). */
#define SANDBOX_MAX_FRAMES 1024u

/* One frame of a video reply: its time, then width × height × 3 bytes of
 * RGB, at most LIBRARY_VIDEO_FRAME_MAX_SIDE on either side. */
typedef struct {
    uint32_t magic; /* SANDBOX_FRAME_MAGIC */
    uint32_t width, height;
    uint32_t padding;
    double time; /* seconds from the start */
} SandboxFrame;

#define SANDBOX_FRAME_MAGIC 0x46444753u /* "SGDF" */

/* Bytes of the strings that follow a reply that passed sandbox_reply_check(),
 * and of the pixels after them. */
size_t sandbox_reply_strings_size(const SandboxReply *reply);
size_t sandbox_reply_pixels_size(const SandboxReply *reply);

/* FALSE (with a message naming `name`) when the header cannot come from a
 * working helper: a wrong magic or status, strings too long, pixels absent
 * or beyond CLIP_RGB_IMAGE_MAX_PIXELS, a video's frame count out of range. */
gboolean sandbox_reply_check(const SandboxReply *reply, const char *name, GError **error);

/* Turns a checked reply, its strings (sandbox_reply_strings_size() bytes)
 * and its pixels (sandbox_reply_pixels_size() bytes, g_malloc'ed, taken in
 * every case; NULL when there are none) into what library_decode_photo()
 * gives: the image and info, or NULL with the helper's error, or an error
 * when a string or a value is not what a decoder produces. info may be NULL. */
ClipRgbImage *sandbox_reply_finish(const SandboxReply *reply, const uint8_t *strings, uint8_t *rgb,
                                   const char *name, LibraryPhotoInfo *info, GError **error);

/* For a reply to a video request: TRUE with the info when it is a video's
 * (SANDBOX_STATUS_VIDEO, sane metadata); FALSE with the helper's error or
 * the reason the reply is invalid. The frames are read after it. */
gboolean sandbox_reply_finish_video(const SandboxReply *reply, const uint8_t *strings,
                                    const char *name, LibraryPhotoInfo *info, GError **error);

/* FALSE (with a message naming `name`) when a frame header cannot come
 * from a working helper: a wrong magic, a size beyond
 * LIBRARY_VIDEO_FRAME_MAX_SIDE or empty, a time outside the video. */
gboolean sandbox_frame_check(const SandboxFrame *frame, const SandboxReply *reply, const char *name,
                             GError **error);
size_t sandbox_frame_pixels_size(const SandboxFrame *frame);

/* A checked frame and its pixels (taken) as a LibraryVideoFrame. */
LibraryVideoFrame *sandbox_frame_finish(const SandboxFrame *frame, uint8_t *rgb);

G_END_DECLS
