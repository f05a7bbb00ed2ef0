/* library-sandbox.c: the pool of decode helpers (spyglass-decode for photos,
 * spyglass-decode-video for videos) and the reasons a person reads when one fails. */
#include "library/library-sandbox.h"

#include "library/library-sandbox-protocol.h"
#include "library/spyglass-decode-confine.h"

#include "clip/clip-model.h"

#include "spyglass-config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define HELPER_SOCKET_FD 3
/* As clip_image_file_read(): larger files are not photos we decode. */
#define MAX_FILE_SIZE ((uint64_t)1 << 30)

typedef enum {
    HELPER_PHOTO,
    HELPER_VIDEO,
    N_HELPER_KINDS,
} HelperKind;

/* What differs between the photo and the video helper. */
typedef struct {
    const char *program;    /* installed in libexecdir */
    const char *path_env;   /* overrides it (tests) */
    const char *build_path; /* the build tree's, for runs from the tree */
    const char *what;       /* in messages: "the photo decoder" */
    guint64 memory_limit;   /* its RLIMIT_AS, for the message */
    int cpu_limit;          /* its RLIMIT_CPU, for the message */
    /* A helper is replaced after this much decoding (wall-clock seconds),
     * far below its lifetime CPU limit even when its decoder runs on
     * every core. */
    double retire_seconds;
    double default_timeout;
} HelperKindInfo;

static const HelperKindInfo helper_kinds[N_HELPER_KINDS] = {
    [HELPER_PHOTO] = {"spyglass-decode", "SPYGLASS_DECODE_HELPER", SPYGLASS_BUILD_DECODE_HELPER,
                      "the photo decoder", SPYGLASS_DECODE_MEMORY_LIMIT, SPYGLASS_DECODE_CPU_LIMIT,
                      SPYGLASS_DECODE_CPU_LIMIT / 8.0, LIBRARY_SANDBOX_DEFAULT_TIMEOUT},
    [HELPER_VIDEO] = {"spyglass-decode-video", "SPYGLASS_DECODE_VIDEO_HELPER",
                      SPYGLASS_BUILD_DECODE_VIDEO_HELPER, "the video decoder",
                      SPYGLASS_DECODE_VIDEO_MEMORY_LIMIT, SPYGLASS_DECODE_VIDEO_CPU_LIMIT,
                      SPYGLASS_DECODE_VIDEO_CPU_LIMIT / 60.0, LIBRARY_SANDBOX_VIDEO_TIMEOUT},
};
/* How long a helper may take to exit once its socket is closed, or once it
 * closed it, before it is killed. */
#define EXIT_GRACE_US (2 * G_USEC_PER_SEC)
/* The helper's send buffer: a reply at the sizes the indexer and the
 * thumbnails ask for (0.56 MB for a 12-megapixel JPEG at 1/8 scale) is
 * written in one go, so the helper goes back to waiting for its next
 * request at once and the caller wakes up once per reply rather than once
 * per 200 KB of the default buffer. The kernel caps it at net.core.wmem_max
 * (4 MiB on Debian 12); larger replies still arrive, in pieces. */
#define HELPER_SEND_BUFFER (4 << 20)

/* clang-format would space out the quark name, which is stringified. */
// clang-format off
G_DEFINE_QUARK(library-sandbox-error-quark, library_sandbox_error)
// clang-format on

typedef struct {
    LibrarySandbox *pool;
    HelperKind kind;
    GPid pid;
    int socket;
    double busy_seconds;
} Helper;

/* A helper to start, asked of the spawner thread and waited for. */
typedef struct {
    HelperKind kind;
    Helper *helper; /* the answer, or NULL with error */
    GError *error;
    GMutex lock;
    GCond done_cond;
    gboolean done;
} SpawnRequest;

struct _LibrarySandbox {
    char *helper_paths[N_HELPER_KINDS];
    double timeouts[N_HELPER_KINDS];
    GMutex lock;
    GPtrArray *idle;   /* Helper*, of both kinds */
    guint live;        /* helpers started and not yet reaped, idle or busy */
    guint max_helpers; /* 0: one per concurrent caller */
    GCond reaped;      /* a helper was reaped or a start failed: a place for another */
    /* Helpers die with the thread that started them (PR_SET_PDEATHSIG is
     * per thread), so one thread that lives as long as the pool starts
     * them all: decode threads come and go. */
    GThread *spawner;
    /* SpawnRequest*, &prestart_request (photo helpers for the idle list,
     * not waited for), then the pool itself to stop. */
    GAsyncQueue *spawn_requests;
    guint prestart_wanted; /* running helpers prestart asks for, under lock */
    gboolean prestarting;  /* a prestart is queued or running: callers wait for its helpers */
};

/* The address alone says "prestart" in the spawner's queue. */
static char prestart_request;

static int helper_reap(Helper *helper, gboolean kill_now);
static Helper *helper_start(LibrarySandbox *pool, HelperKind kind, GError **error);

/* Starts helpers into the idle list until prestart_wanted are running
 * (idle or already taken by a call) or the pool is full. A start that fails is left for the decode
 * that would have used it to retry and report. */
static void prestart_helpers(LibrarySandbox *pool)
{
    for (;;) {
        g_mutex_lock(&pool->lock);
        gboolean room = pool->max_helpers == 0 || pool->live < pool->max_helpers;
        if (!room || pool->live >= pool->prestart_wanted) {
            pool->prestarting = FALSE;
            g_cond_broadcast(&pool->reaped);
            g_mutex_unlock(&pool->lock);
            return;
        }
        pool->live++;
        g_mutex_unlock(&pool->lock);
        Helper *helper = helper_start(pool, HELPER_PHOTO, NULL);
        g_mutex_lock(&pool->lock);
        if (helper != NULL)
            g_ptr_array_add(pool->idle, helper);
        else
            pool->live--;
        if (helper == NULL) {
            pool->prestarting = FALSE;
            g_cond_broadcast(&pool->reaped);
        } else {
            g_cond_signal(&pool->reaped);
        }
        g_mutex_unlock(&pool->lock);
        if (helper == NULL)
            return;
    }
}

static gpointer spawner_main(gpointer data)
{
    LibrarySandbox *pool = data;
    for (;;) {
        gpointer item = g_async_queue_pop(pool->spawn_requests);
        if (item == pool)
            return NULL;
        if (item == &prestart_request) {
            prestart_helpers(pool);
            continue;
        }
        SpawnRequest *request = item;
        Helper *helper = helper_start(pool, request->kind, &request->error);
        g_mutex_lock(&request->lock);
        request->helper = helper;
        request->done = TRUE;
        g_cond_signal(&request->done_cond);
        g_mutex_unlock(&request->lock);
    }
}

static Helper *helper_spawn(LibrarySandbox *pool, HelperKind kind, GError **error)
{
    SpawnRequest request = {.kind = kind};
    g_mutex_init(&request.lock);
    g_cond_init(&request.done_cond);
    g_async_queue_push(pool->spawn_requests, &request);
    g_mutex_lock(&request.lock);
    while (!request.done)
        g_cond_wait(&request.done_cond, &request.lock);
    g_mutex_unlock(&request.lock);
    g_mutex_clear(&request.lock);
    g_cond_clear(&request.done_cond);
    if (request.error != NULL)
        g_propagate_error(error, request.error);
    return request.helper;
}

static char *helper_path_default(const HelperKindInfo *kind)
{
    const char *path = g_getenv(kind->path_env);
    if (path != NULL && path[0] != '\0')
        return g_strdup(path);
    g_autofree char *installed = g_build_filename(SPYGLASS_LIBEXECDIR, kind->program, NULL);
    /* Uninstalled (tools/run.sh, benchmarks from the tree): the build's own. */
    if (!g_file_test(installed, G_FILE_TEST_IS_EXECUTABLE) &&
        g_file_test(kind->build_path, G_FILE_TEST_IS_EXECUTABLE))
        return g_strdup(kind->build_path);
    return g_steal_pointer(&installed);
}

LibrarySandbox *library_sandbox_new(void)
{
    LibrarySandbox *pool = g_new0(LibrarySandbox, 1);
    const char *timeout = g_getenv("SPYGLASS_DECODE_TIMEOUT");
    for (int k = 0; k < N_HELPER_KINDS; k++) {
        pool->helper_paths[k] = helper_path_default(&helper_kinds[k]);
        pool->timeouts[k] = timeout != NULL && g_ascii_strtod(timeout, NULL) > 0
                                ? g_ascii_strtod(timeout, NULL)
                                : helper_kinds[k].default_timeout;
    }
    g_mutex_init(&pool->lock);
    g_cond_init(&pool->reaped);
    pool->idle = g_ptr_array_new();
    pool->spawn_requests = g_async_queue_new();
    pool->spawner = g_thread_new("spyglass-decode-spawner", spawner_main, pool);
    return pool;
}

LibrarySandbox *library_sandbox_get_default(void)
{
    static LibrarySandbox *shared = NULL;
    if (g_once_init_enter(&shared)) {
        LibrarySandbox *pool = library_sandbox_new();
        /* Its callers are GTask threads, of which GLib starts more while
         * tasks wait: more helpers than cores would not decode faster. */
        library_sandbox_set_max_helpers(pool, g_get_num_processors());
        g_once_init_leave(&shared, pool);
    }
    return shared;
}

void library_sandbox_set_max_helpers(LibrarySandbox *pool, guint max_helpers)
{
    g_mutex_lock(&pool->lock);
    pool->max_helpers = max_helpers;
    g_cond_broadcast(&pool->reaped);
    g_mutex_unlock(&pool->lock);
}

void library_sandbox_set_timeout(LibrarySandbox *pool, double seconds)
{
    g_return_if_fail(seconds > 0);
    for (int k = 0; k < N_HELPER_KINDS; k++)
        pool->timeouts[k] = seconds;
}

void library_sandbox_prestart(LibrarySandbox *pool, guint helpers)
{
    g_return_if_fail(pool != NULL);
    g_mutex_lock(&pool->lock);
    pool->prestart_wanted = helpers;
    pool->prestarting = TRUE;
    g_mutex_unlock(&pool->lock);
    g_async_queue_push(pool->spawn_requests, &prestart_request);
}

void library_sandbox_free(LibrarySandbox *pool)
{
    if (pool == NULL)
        return;
    /* The spawner first, so that no helper it prestarts comes after. */
    g_async_queue_push(pool->spawn_requests, pool);
    g_thread_join(pool->spawner);
    g_async_queue_unref(pool->spawn_requests);
    /* Closing its socket makes an idle helper exit. */
    for (guint i = 0; i < pool->idle->len; i++)
        helper_reap(g_ptr_array_index(pool->idle, i), FALSE);
    g_ptr_array_unref(pool->idle);
    g_cond_clear(&pool->reaped);
    g_mutex_clear(&pool->lock);
    for (int k = 0; k < N_HELPER_KINDS; k++)
        g_free(pool->helper_paths[k]);
    g_free(pool);
}

static Helper *helper_start(LibrarySandbox *pool, HelperKind kind, GError **error)
{
    const char *what = helper_kinds[kind].what;
    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
        int saved = errno;
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_UNAVAILABLE,
                    "cannot start %s: %s", what, g_strerror(saved));
        return NULL;
    }
    int send_buffer = HELPER_SEND_BUFFER;
    setsockopt(sockets[1], SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
    const char *argv[] = {pool->helper_paths[kind], NULL};
    int source_fds[] = {sockets[1]}, target_fds[] = {HELPER_SOCKET_FD};
    GPid pid = 0;
    g_autoptr(GError) local = NULL;
    gboolean started = g_spawn_async_with_pipes_and_fds(
        NULL, argv, NULL,
        G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
        NULL, -1, -1, -1, source_fds, target_fds, 1, &pid, NULL, NULL, NULL, &local);
    close(sockets[1]);
    if (!started) {
        close(sockets[0]);
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_UNAVAILABLE,
                    "cannot start %s %s: %s", what, pool->helper_paths[kind], local->message);
        return NULL;
    }
    Helper *helper = g_new0(Helper, 1);
    helper->pool = pool;
    helper->kind = kind;
    helper->pid = pid;
    helper->socket = sockets[0];
    return helper;
}

/* The first idle helper of that kind, taken from the list; NULL if none. Under the lock. */
static Helper *idle_take(LibrarySandbox *pool, HelperKind kind, gboolean of_kind)
{
    for (guint i = 0; i < pool->idle->len; i++) {
        Helper *helper = g_ptr_array_index(pool->idle, i);
        if ((helper->kind == kind) == of_kind)
            return g_ptr_array_steal_index_fast(pool->idle, i);
    }
    return NULL;
}

/* An idle helper of that kind, else a new one, waiting for a place when
 * the pool is full (or making one by ending an idle helper of the other
 * kind), and for the prestarted helpers rather than starting more. */
static Helper *pool_take(LibrarySandbox *pool, HelperKind kind, GError **error)
{
    g_mutex_lock(&pool->lock);
    for (;;) {
        Helper *helper = idle_take(pool, kind, TRUE);
        if (helper != NULL) {
            g_mutex_unlock(&pool->lock);
            return helper;
        }
        gboolean full = pool->max_helpers > 0 && pool->live >= pool->max_helpers;
        if (!pool->prestarting && !full)
            break;
        Helper *other = full && !pool->prestarting ? idle_take(pool, kind, FALSE) : NULL;
        if (other != NULL) {
            g_mutex_unlock(&pool->lock);
            helper_reap(other, FALSE);
            g_mutex_lock(&pool->lock);
        } else {
            g_cond_wait(&pool->reaped, &pool->lock);
        }
    }
    pool->live++;
    g_mutex_unlock(&pool->lock);
    Helper *helper = helper_spawn(pool, kind, error);
    if (helper == NULL) {
        g_mutex_lock(&pool->lock);
        pool->live--;
        g_cond_signal(&pool->reaped);
        g_mutex_unlock(&pool->lock);
    }
    return helper;
}

static void pool_give_back(LibrarySandbox *pool, Helper *helper)
{
    if (helper->busy_seconds > helper_kinds[helper->kind].retire_seconds) {
        helper_reap(helper, FALSE);
        return;
    }
    g_mutex_lock(&pool->lock);
    g_ptr_array_add(pool->idle, helper);
    /* A caller waiting for a place takes it. */
    g_cond_signal(&pool->reaped);
    g_mutex_unlock(&pool->lock);
}

/* Opening the file here: the photo helper can open nothing, and the video
 * helper gets only what it was handed. */
static int open_photo(const char *path, HelperKind kind, uint64_t *size, GError **error)
{
    const int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    int fd = open(path, flags);
    if (fd < 0 && errno == ELOOP) {
        /* A link the crawler followed: open its target, itself not a link. */
        g_autofree char *target = realpath(path, NULL);
        if (target != NULL)
            fd = open(target, flags);
        else
            errno = ELOOP;
    }
    if (fd < 0) {
        int saved = errno;
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: %s", path, g_strerror(saved));
        return -1;
    }
    struct stat st;
    const char *problem = NULL;
    if (fstat(fd, &st) != 0)
        problem = g_strerror(errno);
    else if (!S_ISREG(st.st_mode))
        problem = "not a regular file";
    if (problem != NULL) {
        close(fd);
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: %s", path, problem);
        return -1;
    }
    if (kind == HELPER_PHOTO && (uint64_t)st.st_size > MAX_FILE_SIZE) {
        close(fd);
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: file is too large for an image",
                    path);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

/* What a request asks besides its file. */
typedef struct {
    uint32_t min_short_side;
    const LibraryVideoSampling *sampling; /* for videos */
} RequestParams;

static gboolean send_request(Helper *helper, const char *path, const RequestParams *params,
                             uint64_t size, int fd)
{
    SandboxRequest request = {
        .magic = SANDBOX_REQUEST_MAGIC,
        .min_short_side = params->min_short_side,
        .size = size,
        .name_length = (uint32_t)MIN(strlen(path), SANDBOX_MAX_STRING),
        .max_frames = params->sampling != NULL ? params->sampling->max_frames : 1,
        .interval_seconds = params->sampling != NULL ? params->sampling->interval_seconds : 1.0,
    };
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov[2] = {
        {.iov_base = &request, .iov_len = sizeof request},
        {.iov_base = (void *)path, .iov_len = request.name_length},
    };
    struct msghdr message = {
        .msg_iov = iov,
        .msg_iovlen = 2,
        .msg_control = control.space,
        .msg_controllen = sizeof control.space,
    };
    struct cmsghdr *c = CMSG_FIRSTHDR(&message);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);

    /* The request is small: one message, or the helper is beyond help.
     * MSG_NOSIGNAL: a helper that died must not take us with SIGPIPE. */
    ssize_t n;
    do
        n = sendmsg(helper->socket, &message, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)(sizeof request + request.name_length);
}

typedef enum {
    RECEIVED,
    RECEIVE_EOF,
    RECEIVE_TIMEOUT,
} ReceiveResult;

/* Reads size bytes before the deadline (monotonic µs). */
static ReceiveResult receive_all(int socket, void *data, size_t size, gint64 deadline)
{
    uint8_t *at = data;
    while (size > 0) {
        gint64 left = deadline - g_get_monotonic_time();
        if (left <= 0)
            return RECEIVE_TIMEOUT;
        struct pollfd pfd = {.fd = socket, .events = POLLIN};
        int ready = poll(&pfd, 1, (int)MIN((left + 999) / 1000, G_MAXINT));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            return RECEIVE_EOF;
        if (ready == 0)
            continue;
        ssize_t n = recv(socket, at, size, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return RECEIVE_EOF;
        at += n;
        size -= (size_t)n;
    }
    return RECEIVED;
}

/* The helper is gone or going: reap it, killing it if it lingers, and
 * return how it ended (a waitpid() status). */
static int helper_reap(Helper *helper, gboolean kill_now)
{
    int status = 0;
    close(helper->socket);
    if (kill_now)
        kill(helper->pid, SIGKILL);
    gint64 give_up = g_get_monotonic_time() + EXIT_GRACE_US;
    pid_t done;
    while ((done = waitpid(helper->pid, &status, WNOHANG)) == 0) {
        if (g_get_monotonic_time() > give_up) {
            kill(helper->pid, SIGKILL);
            waitpid(helper->pid, &status, 0);
            break;
        }
        g_usleep(1000);
    }
    LibrarySandbox *pool = helper->pool;
    g_mutex_lock(&pool->lock);
    pool->live--;
    g_cond_signal(&pool->reaped);
    g_mutex_unlock(&pool->lock);
    g_free(helper);
    return status;
}

static char *signal_name(int signal_number)
{
    const char *abbrev = sigabbrev_np(signal_number);
    return abbrev != NULL ? g_strconcat("SIG", abbrev, NULL)
                          : g_strdup_printf("signal %d", signal_number);
}

/* Why a helper that stopped answering did so, in words a person understands. */
static void set_death_error(HelperKind kind, const char *path, int status, gboolean out_of_memory,
                            GError **error)
{
    const HelperKindInfo *info = &helper_kinds[kind];
    if (out_of_memory) {
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_OUT_OF_MEMORY,
                    "%s: decoding needed more than the decoder's %u MiB memory limit", path,
                    (unsigned)(info->memory_limit >> 20));
        return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == SPYGLASS_DECODE_EXIT_UNAVAILABLE) {
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_UNAVAILABLE,
                    "%s could not confine itself; see its message above", info->what);
        return;
    }
    if (!WIFSIGNALED(status)) {
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_CRASHED,
                    "%s: the decoder stopped unexpectedly on this file (exit status %d)", path,
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return;
    }
    int number = WTERMSIG(status);
    g_autofree char *name = signal_name(number);
    if (number == SIGSYS)
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_FORBIDDEN,
                    "%s: the decoder was stopped by the sandbox: it tried a forbidden system "
                    "call on this file (%s)",
                    path, name);
    else if (number == SIGXCPU)
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_CPU_LIMIT,
                    "%s: decoding used more than the decoder's %d s of CPU time", path,
                    info->cpu_limit);
    else
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_CRASHED,
                    "%s: the decoder crashed on this file (%s)", path, name);
}

/* A reply that did not arrive whole: the helper is ended and the reason set. */
static void receive_failed(Helper *helper, const char *path, ReceiveResult got,
                           gboolean out_of_memory, GError **error)
{
    HelperKind kind = helper->kind;
    if (got == RECEIVE_TIMEOUT) {
        double timeout = helper->pool->timeouts[kind];
        helper_reap(helper, TRUE);
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_TIMED_OUT,
                    "%s: decoding took longer than %g s", path, timeout);
        return;
    }
    int status = helper_reap(helper, FALSE);
    set_death_error(kind, path, status, out_of_memory, error);
}

/* A reply's header, checked, and its strings; FALSE with the helper ended. */
static gboolean receive_head(Helper *helper, const char *path, gint64 deadline, SandboxReply *reply,
                             uint8_t **strings, GError **error)
{
    ReceiveResult got = receive_all(helper->socket, reply, sizeof *reply, deadline);
    gboolean out_of_memory = got == RECEIVED && reply->magic == SANDBOX_REPLY_MAGIC &&
                             reply->status == SANDBOX_STATUS_OUT_OF_MEMORY;
    if (got == RECEIVED && !out_of_memory && !sandbox_reply_check(reply, path, error)) {
        helper_reap(helper, TRUE);
        return FALSE;
    }
    if (got == RECEIVED && !out_of_memory) {
        *strings = g_malloc(sandbox_reply_strings_size(reply) + 1);
        got = receive_all(helper->socket, *strings, sandbox_reply_strings_size(reply), deadline);
    }
    if (got != RECEIVED || out_of_memory) {
        g_clear_pointer(strings, g_free);
        receive_failed(helper, path, got, out_of_memory, error);
        return FALSE;
    }
    return TRUE;
}

/* size bytes of pixels; NULL with the helper ended. */
static uint8_t *receive_pixels(Helper *helper, const char *path, size_t size, gint64 deadline,
                               GError **error)
{
    uint8_t *rgb = g_try_malloc(MAX(size, 1));
    if (rgb == NULL) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: out of memory", path);
        helper_reap(helper, TRUE);
        return NULL;
    }
    ReceiveResult got = receive_all(helper->socket, rgb, size, deadline);
    if (got != RECEIVED) {
        g_free(rgb);
        receive_failed(helper, path, got, FALSE, error);
        return NULL;
    }
    return rgb;
}

/* The call is over: the helper goes back to the pool after a success, and
 * is ended after any failure, so that a fresh helper takes the next file:
 * a nonsensical reply is a helper gone wrong, and even an ordinary refusal
 * can leave a decoder's state behind (libheif 1.15's dav1d plugin leaks on
 * every malformed AVIF). Failures are rare; starting a helper takes
 * milliseconds. A helper that refused the file ends by itself when its
 * socket closes; any other is killed. */
static void call_done(Helper *helper, gint64 start, gboolean decoded, gboolean refused)
{
    helper->busy_seconds += (g_get_monotonic_time() - start) / 1e6;
    if (decoded)
        pool_give_back(helper->pool, helper);
    else
        helper_reap(helper, !refused);
}

/* Reads the reply to a photo request; the helper is given back or ended. */
static ClipRgbImage *receive_reply(Helper *helper, const char *path, gint64 start,
                                   LibraryPhotoInfo *info, GError **error)
{
    gint64 deadline = start + (gint64)(helper->pool->timeouts[helper->kind] * G_USEC_PER_SEC);
    SandboxReply reply;
    g_autofree uint8_t *strings = NULL;
    if (!receive_head(helper, path, deadline, &reply, &strings, error))
        return NULL;
    uint8_t *rgb = NULL;
    if (reply.status == SANDBOX_STATUS_DECODED &&
        (rgb = receive_pixels(helper, path, sandbox_reply_pixels_size(&reply), deadline, error)) ==
            NULL)
        return NULL;
    ClipRgbImage *image = sandbox_reply_finish(&reply, strings, rgb, path, info, error);
    call_done(helper, start, image != NULL, reply.status == SANDBOX_STATUS_FAILED);
    return image;
}

/* A video reply's frames; NULL with the helper ended. */
static GPtrArray *receive_frames(Helper *helper, const char *path, const SandboxReply *reply,
                                 gint64 start, gint64 deadline, GError **error)
{
    g_autoptr(GPtrArray) frames =
        g_ptr_array_new_with_free_func((GDestroyNotify)library_video_frame_free);
    for (guint i = 0; i < reply->n_frames; i++) {
        SandboxFrame frame;
        ReceiveResult got = receive_all(helper->socket, &frame, sizeof frame, deadline);
        if (got != RECEIVED) {
            receive_failed(helper, path, got, FALSE, error);
            return NULL;
        }
        if (!sandbox_frame_check(&frame, reply, path, error)) {
            call_done(helper, start, FALSE, FALSE);
            return NULL;
        }
        uint8_t *rgb =
            receive_pixels(helper, path, sandbox_frame_pixels_size(&frame), deadline, error);
        if (rgb == NULL)
            return NULL;
        g_ptr_array_add(frames, sandbox_frame_finish(&frame, rgb));
    }
    return g_steal_pointer(&frames);
}

/* Reads a video request's reply: its info, then its frames, no more than
 * were asked for. NULL with the helper ended, or the frames with it given back. */
static GPtrArray *receive_video_reply(Helper *helper, const char *path, gint64 start,
                                      guint max_frames, LibraryPhotoInfo *info, GError **error)
{
    gint64 deadline = start + (gint64)(helper->pool->timeouts[helper->kind] * G_USEC_PER_SEC);
    SandboxReply reply;
    g_autofree uint8_t *strings = NULL;
    if (!receive_head(helper, path, deadline, &reply, &strings, error))
        return NULL;
    LibraryPhotoInfo local;
    if (!sandbox_reply_finish_video(&reply, strings, path, &local, error)) {
        call_done(helper, start, FALSE, reply.status == SANDBOX_STATUS_FAILED);
        return NULL;
    }
    GPtrArray *frames = NULL;
    if (reply.n_frames > MAX(max_frames, 1)) {
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED,
                    "%s: the decoder sent an invalid reply (more frames than asked for)", path);
        call_done(helper, start, FALSE, FALSE);
    } else if ((frames = receive_frames(helper, path, &reply, start, deadline, error)) != NULL) {
        call_done(helper, start, TRUE, FALSE);
    }
    if (frames != NULL && info != NULL)
        *info = local;
    else
        library_photo_info_clear(&local);
    return frames;
}

/* Opens the file, takes a helper of its kind and sends it the request; a
 * helper found dead on sending (it never should be) is replaced once.
 * NULL with the reason. */
static Helper *send_to_helper(LibrarySandbox *pool, HelperKind kind, const char *path,
                              const RequestParams *params, gint64 *start, GError **error)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        uint64_t size = 0;
        int fd = open_photo(path, kind, &size, error);
        if (fd < 0)
            return NULL;
        Helper *helper = pool_take(pool, kind, error);
        if (helper == NULL) {
            close(fd);
            return NULL;
        }
        *start = g_get_monotonic_time();
        gboolean sent = send_request(helper, path, params, size, fd);
        close(fd);
        if (sent)
            return helper;
        int status = helper_reap(helper, TRUE);
        if (attempt == 1)
            set_death_error(kind, path, status, FALSE, error);
    }
    return NULL;
}

GPtrArray *library_sandbox_decode_video(LibrarySandbox *pool, const char *path,
                                        const LibraryVideoSampling *sampling,
                                        LibraryPhotoInfo *info, GError **error)
{
    g_return_val_if_fail(pool != NULL, NULL);
    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    sampling = library_video_sampling_or_default(sampling);
    if (info != NULL)
        memset(info, 0, sizeof *info);
    RequestParams params = {.sampling = sampling};
    gint64 start = 0;
    Helper *helper = send_to_helper(pool, HELPER_VIDEO, path, &params, &start, error);
    if (helper == NULL)
        return NULL;
    return receive_video_reply(helper, path, start, sampling->max_frames, info, error);
}

ClipRgbImage *library_sandbox_decode(LibrarySandbox *pool, const char *path,
                                     uint32_t min_short_side, LibraryPhotoInfo *info,
                                     GError **error)
{
    g_return_val_if_fail(pool != NULL, NULL);
    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (library_is_video_name(path)) {
        /* A video's still, as library_decode_photo() makes it. */
        g_autoptr(GPtrArray) frames =
            library_sandbox_decode_video(pool, path, &library_video_still_sampling, info, error);
        return library_video_take_still(frames);
    }
    if (info != NULL)
        memset(info, 0, sizeof *info);
    RequestParams params = {.min_short_side = min_short_side};
    gint64 start = 0;
    Helper *helper = send_to_helper(pool, HELPER_PHOTO, path, &params, &start, error);
    if (helper == NULL)
        return NULL;
    return receive_reply(helper, path, start, info, error);
}
