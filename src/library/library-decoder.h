/* library-decoder.h: every photo format the library reads, with its metadata.
 *
 * JPEG and PNG decode through libjpeg and libpng as PIL does; WebP through libwebp;
 * HEIC and AVIF through libheif; GIF, TIFF and BMP through gdk-pixbuf; camera
 * RAW files (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2, PEF…) through LibRaw,
 * from their embedded preview when it is large enough. EXIF
 * (libexif) gives orientation, date taken, camera and GPS. Every decoder
 * checks the declared size against CLIP_RGB_IMAGE_MAX_PIXELS before
 * allocating, and every failure is one GError naming the file and the reason.
 *
 * library_decode_photo() is the one entry point; library-decode-private.h
 * lists the files behind it.
 *
 * Errors are in CLIP_ERROR (clip/clip-model.h), as clip-image.h's:
 * CLIP_ERROR_IO when the file cannot be read, CLIP_ERROR_MALFORMED for a
 * file that is empty, truncated, corrupt, too large or in no format we know,
 * CLIP_ERROR_UNSUPPORTED for a known format in a variant we cannot decode.
 *
 * EXIF comes from JPEG's APP1, PNG's eXIf, WebP's EXIF chunk and HEIF's Exif
 * item; GIF, BMP and TIFF give no metadata beyond TIFF's orientation. HEIF
 * orients with its own irot/imir boxes, which libheif applies; its EXIF
 * orientation is not applied again, and orientation reads 1.
 */
#pragma once

#include "clip/clip-image.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    char *format;           /* "jpeg", "png", "webp", "heif", "avif", "gif", "tiff", "bmp", "raw" */
    uint32_t width, height; /* full size, after applying the orientation */
    int orientation;        /* EXIF 1..8; 1 when absent */
    char *taken; /* EXIF DateTimeOriginal (else DateTime) as "YYYY-MM-DDTHH:MM:SS", or NULL */
    char *camera_make, *camera_model; /* or NULL */
    gboolean has_location;
    double latitude, longitude; /* degrees, north and east positive */
    double duration;            /* seconds, for videos; 0 for photos */
} LibraryPhotoInfo;

/* TRUE when the name's extension is one of the photo formats above or a
 * video's (case-insensitive): such a file that fails to decode is reported
 * as failed; any other file is not a photo and is ignored. Videos are
 * photos of the library too, with frames (below). */
gboolean library_is_photo_name(const char *name);

/* TRUE for the extensions of camera RAW files (DNG, CR2, CR3, NEF, ARW,
 * RAF, ORF, RW2, PEF and others LibRaw reads), case-insensitive. Many are
 * TIFF inside: the name, not the content, sends them to LibRaw. */
gboolean library_is_raw_name(const char *name);

/* Decodes a photo, orientation applied (for a video, its middle frame), at the smallest size whose
 * shorter side is still ≥ min_short_side where the format can scale while decoding (JPEG's DCT
 * scaling); 0 decodes at full size. info (may be NULL) receives the metadata; clear it with
 * library_photo_info_clear(). */
ClipRgbImage *library_decode_photo(const char *path, uint32_t min_short_side,
                                   LibraryPhotoInfo *info, GError **error);

/* library_decode_photo() of a file already in memory (the sandboxed helper
 * reads it from a descriptor it was given); name stands for it in errors. */
ClipRgbImage *library_decode_photo_data(const uint8_t *data, size_t size, const char *name,
                                        uint32_t min_short_side, LibraryPhotoInfo *info,
                                        GError **error);

void library_photo_info_clear(LibraryPhotoInfo *info);

/* Videos: MP4, MOV, MKV and WebM through GStreamer (the codecs of the
 * plugins installed: VP8/VP9 and others in plugins-good, H.264/HEVC in
 * gstreamer1.0-libav). info's format is "video", its size the decoded
 * frame's, taken the container's creation date, duration set. A file
 * that no decoder opens fails with the reason; a missing codec plugin is
 * named. */
gboolean library_is_video_name(const char *name);

typedef struct {
    guint max_frames;        /* at most this many frames a video (16) */
    double interval_seconds; /* one frame per this many seconds (1.0), spread evenly */
} LibraryVideoSampling;

void library_video_sampling_init(LibraryVideoSampling *sampling);
/* sampling, or the defaults when it is NULL. */
const LibraryVideoSampling *library_video_sampling_or_default(const LibraryVideoSampling *sampling);

/* Frames are converted no larger than this on either side: enough for
 * thumbnails and the model, a fraction of a 4K frame's memory. */
#define LIBRARY_VIDEO_FRAME_MAX_SIDE 1280

typedef struct {
    double time; /* seconds from the start */
    ClipRgbImage *image;
} LibraryVideoFrame;

void library_video_frame_free(LibraryVideoFrame *frame);

/* A video's still (thumbnails, the photo page): one frame, from the middle. */
extern const LibraryVideoSampling library_video_still_sampling;
/* The still out of frames decoded with that sampling, taken from them;
 * NULL when frames is NULL. */
ClipRgbImage *library_video_take_still(GPtrArray *frames);

/* Frames at evenly spread times (the middle of each of n equal spans), in
 * time order: a GPtrArray of LibraryVideoFrame*,
 * at least one. sampling NULL: the defaults. */
GPtrArray *library_decode_video(const char *path, const LibraryVideoSampling *sampling,
                                LibraryPhotoInfo *info, GError **error);

/* library_decode_video() of a video already open (the sandboxed helper is
 * handed a descriptor, read through /proc/self/fd so that it stays
 * seekable); name stands for it in errors. */
GPtrArray *library_decode_video_fd(int fd, const char *name, const LibraryVideoSampling *sampling,
                                   LibraryPhotoInfo *info, GError **error);

G_END_DECLS
