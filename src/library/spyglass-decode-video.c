/* spyglass-decode-video.c: the confined video decoder: a descriptor in, frames out.
 *
 * Started by library-sandbox.c, as spyglass-decode is, with a Unix socket
 * as descriptor 3. It starts GStreamer (reading or refreshing its plugin
 * registry while it still may write files), confines itself
 * (spyglass-decode-video-confine.c) and then answers requests until the
 * socket closes: each brings an open video, which GStreamer reads through
 * /proc/self/fd (a file description of its own, seekable for MP4's index),
 * and the reply is the frames library_decode_video() samples, with their
 * times, and the video's metadata (library-sandbox-protocol.h). A demuxer
 * or codec that a hostile video crashes, hangs or makes allocate without
 * bound costs that one video: the parent reports it and goes on.
 *
 * SPYGLASS_DECODE_TEST_FAULTS (tests only) makes it misbehave on named
 * files (spyglass-decode-common.h); "exec" and "socket" try what the
 * deny-list forbids.
 */
#include "library/library-decoder.h"
#include "library/library-sandbox-protocol.h"
#include "library/spyglass-decode-common.h"
#include "library/spyglass-decode-confine.h"

#include "clip/clip-model.h"

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include <gst/gst.h>

/* The sampling the parent asked for, within what a reply may carry. */
static LibraryVideoSampling request_sampling(const SandboxRequest *request)
{
    LibraryVideoSampling sampling;
    library_video_sampling_init(&sampling);
    sampling.max_frames = CLAMP(request->max_frames, 1, SANDBOX_MAX_FRAMES);
    if (isfinite(request->interval_seconds) && request->interval_seconds > 0)
        sampling.interval_seconds = request->interval_seconds;
    return sampling;
}

static void send_frames(GPtrArray *frames, const LibraryPhotoInfo *info)
{
    SandboxReply reply = {
        .status = SANDBOX_STATUS_VIDEO,
        .info_width = info->width,
        .info_height = info->height,
        .orientation = 1,
        .n_frames = frames->len,
        .duration = info->duration,
    };
    char *strings[SANDBOX_N_STRINGS] = {
        [SANDBOX_STRING_FORMAT] = info->format,
        [SANDBOX_STRING_TAKEN] = info->taken,
    };
    g_autofree SandboxFrame *headers = g_new0(SandboxFrame, frames->len);
    g_autofree struct iovec *iov = g_new(struct iovec, 2 * frames->len);
    for (guint i = 0; i < frames->len; i++) {
        const LibraryVideoFrame *frame = g_ptr_array_index(frames, i);
        headers[i] = (SandboxFrame){
            .magic = SANDBOX_FRAME_MAGIC,
            .width = frame->image->width,
            .height = frame->image->height,
            .time = frame->time,
        };
        iov[2 * i] = (struct iovec){.iov_base = &headers[i], .iov_len = sizeof headers[i]};
        iov[2 * i + 1] = (struct iovec){.iov_base = frame->image->rgb,
                                        .iov_len = sandbox_frame_pixels_size(&headers[i])};
    }
    spyglass_helper_send_reply(&reply, strings, iov, (int)(2 * frames->len));
}

static void decode_request(const SandboxRequest *request, const char *name, int fd)
{
    spyglass_helper_test_fault(name);
    LibraryVideoSampling sampling = request_sampling(request);
    LibraryPhotoInfo info;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) frames = library_decode_video_fd(fd, name, &sampling, &info, &error);
    if (frames == NULL) {
        spyglass_helper_send_failure(error);
        return;
    }
    send_frames(frames, &info);
    library_photo_info_clear(&info);
}

int main(int argc, char **argv)
{
    spyglass_helper_start("spyglass-decode-video");
    /* glibc reserves 64 MiB of address space per malloc arena, up to eight
     * per core: with libav's decoder threads that alone could exceed the
     * limit on a large machine. A few arenas serve a few busy threads. */
    mallopt(M_ARENA_MAX, 4);
    /* ORC (videoconvert's and videoscale's kernels) would compile code at
     * run time into a file it creates and maps executable, which the
     * filter forbids: its portable C versions give the same pixels. */
    g_setenv("ORC_CODE", "backup", TRUE);
    /* GStreamer reads its registry (and refreshes it after the system's
     * plugins changed) here, before the file-size limit and the filter. */
    g_autoptr(GError) error = NULL;
    if (!gst_init_check(NULL, NULL, &error)) {
        fprintf(stderr, "spyglass-decode-video: GStreamer cannot start: %s\n", error->message);
        return SPYGLASS_DECODE_EXIT_UNAVAILABLE;
    }
    if (!spyglass_decode_video_confine(&error)) {
        fprintf(stderr, "spyglass-decode-video: %s\n", error->message);
        return SPYGLASS_DECODE_EXIT_UNAVAILABLE;
    }

    spyglass_helper_serve(decode_request);
}
