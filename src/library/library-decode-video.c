/* library-decode-video.c: videos through GStreamer: duration, size, creation date and frames
 * sampled across the video (library-decoder.h). */
#include "library/library-decode-private.h"

#include "clip/clip-model.h"

#include <math.h>
#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/pbutils/missing-plugins.h>

/* How long one step (preroll, a seek) may take before the file is given up. */
#define STEP_TIMEOUT (20 * GST_SECOND)

static const char *const video_extensions[] = {"mp4", "m4v", "mov", "mkv", "webm"};

gboolean library_is_video_name(const char *name)
{
    const char *base = strrchr(name, G_DIR_SEPARATOR);
    base = base != NULL ? base + 1 : name;
    const char *dot = strrchr(base, '.');
    if (dot == NULL || dot == base)
        return FALSE;
    for (size_t i = 0; i < G_N_ELEMENTS(video_extensions); i++)
        if (g_ascii_strcasecmp(dot + 1, video_extensions[i]) == 0)
            return TRUE;
    return FALSE;
}

void library_video_sampling_init(LibraryVideoSampling *sampling)
{
    *sampling = *library_video_sampling_or_default(NULL);
}

const LibraryVideoSampling *library_video_sampling_or_default(const LibraryVideoSampling *sampling)
{
    static const LibraryVideoSampling defaults = {.max_frames = 16, .interval_seconds = 1.0};
    return sampling != NULL ? sampling : &defaults;
}

void library_video_frame_free(LibraryVideoFrame *frame)
{
    if (frame == NULL)
        return;
    clip_rgb_image_free(frame->image);
    g_free(frame);
}

static gboolean video_init(const char *name, GError **error)
{
    static gsize initialized = 0;
    static char *failure = NULL;
    if (g_once_init_enter(&initialized)) {
        GError *local = NULL;
        /* Never undone: the registry stays loaded for the process. */
        if (!gst_init_check(NULL, NULL, &local)) {
            failure = g_strdup(local->message);
            g_error_free(local);
        }
        g_once_init_leave(&initialized, 1);
    }
    if (failure != NULL)
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED, "%s: GStreamer cannot start: %s",
                    name, failure);
    return failure == NULL;
}

/* The pipeline: filesrc ! decodebin, whose video pad is linked to
 * videoconvert ! videoscale ! RGB caps ! appsink. */
typedef struct {
    GstElement *pipeline, *convert, *sink;
    gint linked; /* atomic: a video pad was linked */
} VideoPipeline;

static void on_pad_added(GstElement *decodebin, GstPad *pad, gpointer user_data)
{
    VideoPipeline *video = user_data;
    g_autoptr(GstCaps) caps = gst_pad_query_caps(pad, NULL);
    const GstStructure *structure =
        gst_caps_get_size(caps) > 0 ? gst_caps_get_structure(caps, 0) : NULL;
    if (structure == NULL || !g_str_has_prefix(gst_structure_get_name(structure), "video/") ||
        g_atomic_int_get(&video->linked))
        return; /* audio, subtitles, a second video track: left unlinked */
    g_autoptr(GstPad) sink_pad = gst_element_get_static_pad(video->convert, "sink");
    if (gst_pad_link(pad, sink_pad) == GST_PAD_LINK_OK)
        g_atomic_int_set(&video->linked, TRUE);
}

/* libav's decoders (max-threads) start a thread per core by default, each
 * with its stack and frame context: held to a few, the address space a
 * decode needs does not grow with the machine (the video helper's limit,
 * docs/security.md). Decoding is exact whatever the thread count. */
#define DECODER_MAX_THREADS 4

static void on_element_added(GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer user_data)
{
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(element), "max-threads") != NULL)
        g_object_set(element, "max-threads", (int)MIN(g_get_num_processors(), DECODER_MAX_THREADS),
                     NULL);
}

/* decodebin found every stream: without a video one, preroll would wait forever. */
static void on_no_more_pads(GstElement *decodebin, gpointer user_data)
{
    VideoPipeline *video = user_data;
    if (!g_atomic_int_get(&video->linked))
        gst_element_post_message(
            video->pipeline,
            gst_message_new_application(GST_OBJECT(video->pipeline),
                                        gst_structure_new_empty("spyglass-no-video")));
}

static gboolean video_pipeline_build(VideoPipeline *video, const char *path, const char *name,
                                     GError **error)
{
    video->pipeline = gst_pipeline_new(NULL);
    GstElement *source = gst_element_factory_make("filesrc", NULL);
    GstElement *decode = gst_element_factory_make("decodebin", NULL);
    video->convert = gst_element_factory_make("videoconvert", NULL);
    GstElement *scale = gst_element_factory_make("videoscale", NULL);
    GstElement *filter = gst_element_factory_make("capsfilter", NULL);
    video->sink = gst_element_factory_make("appsink", NULL);
    GstElement *elements[] = {source, decode, video->convert, scale, filter, video->sink};
    for (size_t i = 0; i < G_N_ELEMENTS(elements); i++) {
        if (elements[i] == NULL) {
            static const char *const names[] = {"filesrc",    "decodebin",  "videoconvert",
                                                "videoscale", "capsfilter", "appsink"};
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED,
                        "%s: missing GStreamer element %s (gstreamer1.0-plugins-base)", name,
                        names[i]);
            for (size_t k = 0; k < G_N_ELEMENTS(elements); k++)
                if (elements[k] != NULL)
                    gst_object_unref(gst_object_ref_sink(elements[k]));
            return FALSE;
        }
        gst_bin_add(GST_BIN(video->pipeline), elements[i]);
    }
    g_object_set(source, "location", path, NULL);
    g_autoptr(GstCaps) caps = gst_caps_new_simple(
        "video/x-raw", "format", G_TYPE_STRING, "RGB", "pixel-aspect-ratio", GST_TYPE_FRACTION, 1,
        1, "width", GST_TYPE_INT_RANGE, 1, LIBRARY_VIDEO_FRAME_MAX_SIDE, "height",
        GST_TYPE_INT_RANGE, 1, LIBRARY_VIDEO_FRAME_MAX_SIDE, NULL);
    g_object_set(filter, "caps", caps, NULL);
    g_object_set(video->sink, "sync", FALSE, "max-buffers", 1, NULL);
    g_signal_connect(decode, "pad-added", G_CALLBACK(on_pad_added), video);
    g_signal_connect(decode, "no-more-pads", G_CALLBACK(on_no_more_pads), video);
    g_signal_connect(decode, "deep-element-added", G_CALLBACK(on_element_added), NULL);
    gst_element_link(source, decode);
    gst_element_link_many(video->convert, scale, filter, video->sink, NULL);
    return TRUE;
}

static void video_pipeline_clear(VideoPipeline *video)
{
    if (video->pipeline == NULL)
        return;
    gst_element_set_state(video->pipeline, GST_STATE_NULL);
    gst_clear_object(&video->pipeline);
}

/* GStreamer's messages, which may span lines, on one line. */
static char *one_line(const char *message)
{
    char *line = g_strdup(message != NULL ? message : "unknown error");
    g_strdelimit(line, "\r\n", ' ');
    return g_strstrip(line);
}

/* The creation date of a DATE_TIME tag, in local time as EXIF dates are. */
static char *video_date_from_tags(const GstTagList *tags)
{
    GstDateTime *date = NULL;
    if (!gst_tag_list_get_date_time(tags, GST_TAG_DATE_TIME, &date))
        return NULL;
    char *taken = NULL;
    if (gst_date_time_has_second(date)) {
        g_autoptr(GDateTime) utc = gst_date_time_to_g_date_time(date);
        g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local(utc) : NULL;
        if (local != NULL)
            taken = g_date_time_format(local, "%Y-%m-%dT%H:%M:%S");
    }
    gst_date_time_unref(date);
    return taken;
}

/* Runs the bus until the pipeline prerolled: FALSE with the reason (a
 * missing plugin named) when it cannot. Tags seen on the way give the date. */
static gboolean video_preroll(VideoPipeline *video, const char *name, char **taken, GError **error)
{
    /* A failure to change state is on the bus as an error, with its reason. */
    gst_element_set_state(video->pipeline, GST_STATE_PAUSED);
    g_autoptr(GstBus) bus = gst_element_get_bus(video->pipeline);
    g_autofree char *missing = NULL;
    for (;;) {
        g_autoptr(GstMessage) message = gst_bus_timed_pop_filtered(
            bus, STEP_TIMEOUT,
            GST_MESSAGE_ERROR | GST_MESSAGE_ASYNC_DONE | GST_MESSAGE_TAG | GST_MESSAGE_ELEMENT |
                GST_MESSAGE_APPLICATION);
        if (message == NULL) {
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                        "%s: the video did not start decoding in time", name);
            return FALSE;
        }
        switch (GST_MESSAGE_TYPE(message)) {
        case GST_MESSAGE_ASYNC_DONE:
            return TRUE;
        case GST_MESSAGE_TAG: {
            GstTagList *tags = NULL;
            gst_message_parse_tag(message, &tags);
            if (*taken == NULL)
                *taken = video_date_from_tags(tags);
            gst_tag_list_unref(tags);
            break;
        }
        case GST_MESSAGE_ELEMENT:
            if (gst_is_missing_plugin_message(message) && missing == NULL)
                missing = gst_missing_plugin_message_get_description(message);
            break;
        case GST_MESSAGE_APPLICATION:
            if (missing != NULL)
                break; /* the error that follows names the plugin */
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: no video stream in the file",
                        name);
            return FALSE;
        case GST_MESSAGE_ERROR: {
            g_autoptr(GError) failure = NULL;
            gst_message_parse_error(message, &failure, NULL);
            g_autofree char *reason = one_line(failure != NULL ? failure->message : NULL);
            if (missing != NULL)
                g_set_error(error, CLIP_ERROR, CLIP_ERROR_UNSUPPORTED,
                            "%s: no GStreamer plugin for %s (install gstreamer1.0-libav or "
                            "gstreamer1.0-plugins-good/-bad)",
                            name, missing);
            else
                g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: invalid video data: %s",
                            name, reason);
            return FALSE;
        }
        default:
            break;
        }
    }
}

/* An RGB sample as a ClipRgbImage; its stream time into *time. */
static ClipRgbImage *video_sample_to_image(GstSample *sample, const char *name, double *time,
                                           GError **error)
{
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    GstCaps *caps = gst_sample_get_caps(sample);
    const GstStructure *structure = caps != NULL ? gst_caps_get_structure(caps, 0) : NULL;
    int width = 0, height = 0;
    GstMapInfo map;
    if (buffer == NULL || structure == NULL || !gst_structure_get_int(structure, "width", &width) ||
        !gst_structure_get_int(structure, "height", &height) || width <= 0 || height <= 0 ||
        !gst_buffer_map(buffer, &map, GST_MAP_READ)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: a video frame has no pixels",
                    name);
        return NULL;
    }
    /* GStreamer pads RGB rows to 4 bytes. */
    size_t stride = GST_ROUND_UP_4((size_t)width * 3);
    uint8_t *rgb = NULL;
    if (map.size < stride * (size_t)(height - 1) + (size_t)width * 3)
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: a video frame is smaller than its size", name);
    else if ((rgb = clip_rgb_pixels_try_alloc(name, (uint32_t)width, (uint32_t)height, 3, error)))
        for (int y = 0; y < height; y++)
            memcpy(rgb + (size_t)y * width * 3, map.data + y * stride, (size_t)width * 3);
    gst_buffer_unmap(buffer, &map);
    if (rgb == NULL)
        return NULL;
    const GstSegment *segment = gst_sample_get_segment(sample);
    GstClockTime pts = GST_BUFFER_PTS(buffer);
    GstClockTime stream = segment != NULL && GST_CLOCK_TIME_IS_VALID(pts)
                              ? gst_segment_to_stream_time(segment, GST_FORMAT_TIME, pts)
                              : pts;
    *time = GST_CLOCK_TIME_IS_VALID(stream) ? (double)stream / GST_SECOND : 0.0;
    return clip_rgb_image_wrap((uint32_t)width, (uint32_t)height, rgb);
}

/* The decoded size before scaling: videoconvert's input. */
static void video_source_size(VideoPipeline *video, LibraryPhotoInfo *info)
{
    g_autoptr(GstPad) pad = gst_element_get_static_pad(video->convert, "sink");
    g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
    const GstStructure *structure = caps != NULL ? gst_caps_get_structure(caps, 0) : NULL;
    int width = 0, height = 0;
    if (structure != NULL && gst_structure_get_int(structure, "width", &width) &&
        gst_structure_get_int(structure, "height", &height)) {
        info->width = (uint32_t)MAX(width, 0);
        info->height = (uint32_t)MAX(height, 0);
    }
}

/* Seeks to each sample time and takes the frame shown then. Accurate
 * seeks decode from the keyframe before: a moment between two keyframes
 * (phones write one every second or two) is still found, at the cost of
 * decoding up to a group of pictures per sample. */
static gboolean video_sample_frames(VideoPipeline *video, const char *name, double duration,
                                    const LibraryVideoSampling *sampling, GPtrArray *frames,
                                    GError **error)
{
    double interval = sampling->interval_seconds > 0 ? sampling->interval_seconds : 1.0;
    guint n = duration > 0 ? (guint)ceil(duration / interval) : 1;
    n = CLAMP(n, 1, MAX(sampling->max_frames, 1));
    for (guint i = 0; i < n; i++) {
        double at = duration > 0 ? (i + 0.5) * duration / n : 0.0;
        if (i > 0 || at > 0) {
            GstSeekFlags flags = GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE;
            if (!gst_element_seek_simple(video->pipeline, GST_FORMAT_TIME, flags,
                                         (gint64)(at * GST_SECOND))) {
                g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                            "%s: the video cannot seek to %.1f s", name, at);
                return FALSE;
            }
        }
        g_autoptr(GstSample) sample =
            gst_app_sink_try_pull_preroll(GST_APP_SINK(video->sink), STEP_TIMEOUT);
        if (sample == NULL) {
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                        "%s: no video frame could be decoded at %.1f s", name, at);
            return FALSE;
        }
        double time = 0;
        ClipRgbImage *image = video_sample_to_image(sample, name, &time, error);
        if (image == NULL)
            return FALSE;
        /* A video of fewer frames than samples shows one frame twice: keep it once. */
        if (frames->len > 0 &&
            fabs(((LibraryVideoFrame *)g_ptr_array_index(frames, frames->len - 1))->time - time) <
                1e-3) {
            clip_rgb_image_free(image);
            continue;
        }
        LibraryVideoFrame *frame = g_new(LibraryVideoFrame, 1);
        *frame = (LibraryVideoFrame){.time = time, .image = image};
        g_ptr_array_add(frames, frame);
    }
    return TRUE;
}

/* The frames of the video GStreamer reads at location; name in errors. */
static GPtrArray *decode_video_at(const char *location, const char *name,
                                  const LibraryVideoSampling *sampling, LibraryPhotoInfo *info,
                                  GError **error)
{
    sampling = library_video_sampling_or_default(sampling);
    if (info != NULL)
        memset(info, 0, sizeof *info);
    if (!video_init(name, error))
        return NULL;

    VideoPipeline video = {0};
    g_autofree char *taken = NULL;
    g_autoptr(GPtrArray) frames =
        g_ptr_array_new_with_free_func((GDestroyNotify)library_video_frame_free);
    gboolean ok = video_pipeline_build(&video, location, name, error) &&
                  video_preroll(&video, name, &taken, error);
    gint64 duration = -1;
    if (ok && !gst_element_query_duration(video.pipeline, GST_FORMAT_TIME, &duration))
        duration = -1;
    double seconds = duration > 0 ? (double)duration / GST_SECOND : 0.0;
    ok = ok && video_sample_frames(&video, name, seconds, sampling, frames, error);
    if (ok && info != NULL) {
        info->format = g_strdup("video");
        info->orientation = 1;
        info->duration = seconds;
        info->taken = g_steal_pointer(&taken);
        video_source_size(&video, info);
    }
    video_pipeline_clear(&video);
    return ok ? g_steal_pointer(&frames) : NULL;
}

GPtrArray *library_decode_video(const char *path, const LibraryVideoSampling *sampling,
                                LibraryPhotoInfo *info, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    /* GStreamer's own "resource not found" says less than errno. */
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        if (info != NULL)
            memset(info, 0, sizeof *info);
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: not a regular file or missing", path);
        return NULL;
    }
    return decode_video_at(path, path, sampling, info, error);
}

GPtrArray *library_decode_video_fd(int fd, const char *name, const LibraryVideoSampling *sampling,
                                   LibraryPhotoInfo *info, GError **error)
{
    g_return_val_if_fail(fd >= 0 && name != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    /* filesrc opens this afresh: a file description of its own, seekable. */
    g_autofree char *location = g_strdup_printf("/proc/self/fd/%d", fd);
    return decode_video_at(location, name, sampling, info, error);
}

const LibraryVideoSampling library_video_still_sampling = {.max_frames = 1,
                                                           .interval_seconds = 1.0};

ClipRgbImage *library_video_take_still(GPtrArray *frames)
{
    if (frames == NULL)
        return NULL;
    LibraryVideoFrame *frame = g_ptr_array_index(frames, 0);
    return g_steal_pointer(&frame->image);
}

ClipRgbImage *library_decode_video_still(const char *path, LibraryPhotoInfo *info, GError **error)
{
    g_autoptr(GPtrArray) frames =
        library_decode_video(path, &library_video_still_sampling, info, error);
    return library_video_take_still(frames);
}
