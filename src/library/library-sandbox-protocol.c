/* library-sandbox-protocol.c: checking what a decode helper sent, which may be anything. */
#include "library/library-sandbox-protocol.h"

#include "clip/clip-model.h"

#include <math.h>
#include <string.h>

static const char *const known_formats[] = {
    "jpeg", "png", "webp", "heif", "avif", "gif", "tiff", "bmp", "raw",
};

size_t sandbox_reply_strings_size(const SandboxReply *reply)
{
    size_t size = 0;
    for (int i = 0; i < SANDBOX_N_STRINGS; i++)
        size += reply->string_lengths[i];
    return size;
}

size_t sandbox_reply_pixels_size(const SandboxReply *reply)
{
    return (size_t)reply->width * reply->height * 3;
}

static gboolean reply_invalid(const char *name, const char *what, GError **error)
{
    g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                "%s: the decoder sent an invalid reply (%s)", name, what);
    return FALSE;
}

gboolean sandbox_reply_check(const SandboxReply *reply, const char *name, GError **error)
{
    if (reply->magic != SANDBOX_REPLY_MAGIC)
        return reply_invalid(name, "bad magic", error);
    if (reply->status >= SANDBOX_N_STATUSES)
        return reply_invalid(name, "unknown status", error);
    for (int i = 0; i < SANDBOX_N_STRINGS; i++)
        if (reply->string_lengths[i] > SANDBOX_MAX_STRING)
            return reply_invalid(name, "string too long", error);
    if (reply->status == SANDBOX_STATUS_DECODED) {
        /* The pixel limit is the decoders' own, so a working helper never trips it. */
        g_autoptr(GError) local = NULL;
        if (!clip_rgb_image_check_size(name, reply->width, reply->height, &local))
            return reply_invalid(name, "pixel size", error);
    } else if (reply->width != 0 || reply->height != 0) {
        return reply_invalid(name, "pixels with a failure", error);
    }
    gboolean video = reply->status == SANDBOX_STATUS_VIDEO;
    if (video ? reply->n_frames == 0 || reply->n_frames > SANDBOX_MAX_FRAMES : reply->n_frames != 0)
        return reply_invalid(name, "frame count", error);
    return TRUE;
}

size_t sandbox_frame_pixels_size(const SandboxFrame *frame)
{
    return (size_t)frame->width * frame->height * 3;
}

gboolean sandbox_frame_check(const SandboxFrame *frame, const SandboxReply *reply, const char *name,
                             GError **error)
{
    if (frame->magic != SANDBOX_FRAME_MAGIC)
        return reply_invalid(name, "bad frame magic", error);
    if (frame->width == 0 || frame->height == 0 || frame->width > LIBRARY_VIDEO_FRAME_MAX_SIDE ||
        frame->height > LIBRARY_VIDEO_FRAME_MAX_SIDE)
        return reply_invalid(name, "frame size", error);
    /* A frame is shown within the video; one second of slack for
     * containers whose duration ends at the last frame's start. */
    if (!isfinite(frame->time) || frame->time < 0 || frame->time > reply->duration + 1.0)
        return reply_invalid(name, "frame time", error);
    return TRUE;
}

LibraryVideoFrame *sandbox_frame_finish(const SandboxFrame *frame, uint8_t *rgb)
{
    LibraryVideoFrame *out = g_new(LibraryVideoFrame, 1);
    *out = (LibraryVideoFrame){
        .time = frame->time,
        .image = clip_rgb_image_wrap(frame->width, frame->height, rgb),
    };
    return out;
}

/* A string of the payload as the decoder made it: valid UTF-8 without NUL;
 * NULL when empty. */
static gboolean take_string(const uint8_t **at, uint32_t length, char **out)
{
    const char *text = (const char *)*at;
    *at += length;
    *out = NULL;
    if (length == 0)
        return TRUE;
    if (memchr(text, '\0', length) != NULL || !g_utf8_validate(text, length, NULL))
        return FALSE;
    *out = g_strndup(text, length);
    return TRUE;
}

static gboolean info_is_sane(const SandboxReply *reply, char *const strings[SANDBOX_N_STRINGS])
{
    const char *format = strings[SANDBOX_STRING_FORMAT];
    gboolean known = FALSE;
    for (size_t i = 0; format != NULL && i < G_N_ELEMENTS(known_formats); i++)
        known = known || strcmp(format, known_formats[i]) == 0;
    if (!known || reply->orientation < 1 || reply->orientation > 8 || reply->info_width == 0 ||
        reply->info_height == 0 || reply->has_location > 1)
        return FALSE;
    if (reply->has_location && !(isfinite(reply->latitude) && fabs(reply->latitude) <= 90.0 &&
                                 isfinite(reply->longitude) && fabs(reply->longitude) <= 180.0))
        return FALSE;
    return TRUE;
}

/* The reply's strings, or FALSE with the reason: a failure's error, a
 * string that is not text, a status where a reply of `expected` belongs. */
static gboolean reply_take_strings(const SandboxReply *reply, const uint8_t *strings_data,
                                   SandboxStatus expected, const char *name,
                                   char *strings[SANDBOX_N_STRINGS], GError **error)
{
    const uint8_t *at = strings_data;
    gboolean valid = TRUE;
    for (int i = 0; i < SANDBOX_N_STRINGS; i++)
        valid = take_string(&at, reply->string_lengths[i], &strings[i]) && valid;

    if (!valid)
        return reply_invalid(name, "a string is not UTF-8 text", error);
    if (reply->status == SANDBOX_STATUS_OUT_OF_MEMORY)
        return reply_invalid(name, "out-of-memory notice where a reply belongs", error);
    if (reply->status == SANDBOX_STATUS_FAILED) {
        /* The helper's message already names the file, as library_decode_photo()'s do. */
        int code = reply->error_code <= CLIP_ERROR_UNSUPPORTED ? (int)reply->error_code
                                                               : CLIP_ERROR_MALFORMED;
        g_set_error(error, CLIP_ERROR, code, "%s",
                    strings[SANDBOX_STRING_ERROR] != NULL ? strings[SANDBOX_STRING_ERROR]
                                                          : "the decoder failed");
        return FALSE;
    }
    if (reply->status != expected)
        return reply_invalid(name,
                             expected == SANDBOX_STATUS_VIDEO ? "a photo where a video belongs"
                                                              : "a video where a photo belongs",
                             error);
    return TRUE;
}

static void strings_free(char *strings[SANDBOX_N_STRINGS])
{
    for (int i = 0; i < SANDBOX_N_STRINGS; i++)
        g_free(strings[i]);
}

ClipRgbImage *sandbox_reply_finish(const SandboxReply *reply, const uint8_t *strings_data,
                                   uint8_t *rgb, const char *name, LibraryPhotoInfo *info,
                                   GError **error)
{
    g_autofree uint8_t *pixels = rgb;
    if (info != NULL)
        memset(info, 0, sizeof *info);
    char *strings[SANDBOX_N_STRINGS] = {NULL};
    ClipRgbImage *image = NULL;
    if (!reply_take_strings(reply, strings_data, SANDBOX_STATUS_DECODED, name, strings, error)) {
        /* the reason is set */
    } else if (!info_is_sane(reply, strings)) {
        reply_invalid(name, "metadata out of range", error);
    } else {
        image = clip_rgb_image_wrap(reply->width, reply->height, g_steal_pointer(&pixels));
        if (info != NULL) {
            info->format = g_steal_pointer(&strings[SANDBOX_STRING_FORMAT]);
            info->taken = g_steal_pointer(&strings[SANDBOX_STRING_TAKEN]);
            info->camera_make = g_steal_pointer(&strings[SANDBOX_STRING_CAMERA_MAKE]);
            info->camera_model = g_steal_pointer(&strings[SANDBOX_STRING_CAMERA_MODEL]);
            info->width = reply->info_width;
            info->height = reply->info_height;
            info->orientation = reply->orientation;
            info->has_location = reply->has_location != 0;
            info->latitude = reply->latitude;
            info->longitude = reply->longitude;
        }
    }
    strings_free(strings);
    return image;
}

/* What library_decode_video() puts in a video's info: its format, a size,
 * a duration; a date at most; no camera or position. */
static gboolean video_info_is_sane(const SandboxReply *reply,
                                   char *const strings[SANDBOX_N_STRINGS])
{
    const char *format = strings[SANDBOX_STRING_FORMAT];
    return format != NULL && strcmp(format, "video") == 0 && reply->orientation == 1 &&
           reply->has_location == 0 && strings[SANDBOX_STRING_CAMERA_MAKE] == NULL &&
           strings[SANDBOX_STRING_CAMERA_MODEL] == NULL && isfinite(reply->duration) &&
           reply->duration >= 0 && reply->duration < 1e7 /* about 116 days */;
}

gboolean sandbox_reply_finish_video(const SandboxReply *reply, const uint8_t *strings_data,
                                    const char *name, LibraryPhotoInfo *info, GError **error)
{
    if (info != NULL)
        memset(info, 0, sizeof *info);
    char *strings[SANDBOX_N_STRINGS] = {NULL};
    gboolean ok =
        reply_take_strings(reply, strings_data, SANDBOX_STATUS_VIDEO, name, strings, error);
    if (ok && !video_info_is_sane(reply, strings))
        ok = reply_invalid(name, "video metadata out of range", error);
    if (ok && info != NULL) {
        info->format = g_steal_pointer(&strings[SANDBOX_STRING_FORMAT]);
        info->taken = g_steal_pointer(&strings[SANDBOX_STRING_TAKEN]);
        info->width = reply->info_width;
        info->height = reply->info_height;
        info->orientation = 1;
        info->duration = reply->duration;
    }
    strings_free(strings);
    return ok;
}

/* The seed corpus of tests/fuzz/fuzz-sandbox-reply.c is laid out so. */
G_STATIC_ASSERT(sizeof(SandboxReply) == 88);
G_STATIC_ASSERT(sizeof(SandboxFrame) == 24);
