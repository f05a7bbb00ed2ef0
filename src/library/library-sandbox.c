/* library-sandbox.c: the pool of spyglass-decode helpers and the reasons a person reads when
 * one fails. */
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
/* A helper is replaced after this much decoding, far below its lifetime
 * CPU limit even when dav1d decodes on every core. */
#define HELPER_RETIRE_SECONDS (SPYGLASS_DECODE_CPU_LIMIT / 8.0)
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
    GPid pid;
    int socket;
    double busy_seconds;
} Helper;

/* A helper to start, asked of the spawner thread and waited for. */
typedef struct {
    Helper *helper; /* the answer, or NULL with error */
    GError *error;
    GMutex lock;
    GCond done_cond;
    gboolean done;
} SpawnRequest;

struct _LibrarySandbox {
    char *helper_path;
    double timeout;
    GMutex lock;
    GPtrArray *idle;   /* Helper* */
    guint live;        /* helpers started and not yet reaped, idle or busy */
    guint max_helpers; /* 0: one per concurrent caller */
    GCond reaped;      /* a helper was reaped or a start failed: a place for another */
    /* Helpers die with the thread that started them (PR_SET_PDEATHSIG is
     * per thread), so one thread that lives as long as the pool starts
     * them all: decode threads come and go. */
    GThread *spawner;
    /* SpawnRequest*, &prestart_request (helpers for the idle list, not
     * waited for), then the pool itself to stop. */
    GAsyncQueue *spawn_requests;
    guint prestart_wanted; /* running helpers prestart asks for, under lock */
    gboolean prestarting;  /* a prestart is queued or running: callers wait for its helpers */
};

/* The address alone says "prestart" in the spawner's queue. */
static char prestart_request;

static int helper_reap(Helper *helper, gboolean kill_now);
static Helper *helper_start(LibrarySandbox *pool, GError **error);

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
        Helper *helper = helper_start(pool, NULL);
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
        Helper *helper = helper_start(pool, &request->error);
        g_mutex_lock(&request->lock);
        request->helper = helper;
        request->done = TRUE;
        g_cond_signal(&request->done_cond);
        g_mutex_unlock(&request->lock);
    }
}

static Helper *helper_spawn(LibrarySandbox *pool, GError **error)
{
    SpawnRequest request = {0};
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

static char *helper_path_default(void)
{
    const char *path = g_getenv("SPYGLASS_DECODE_HELPER");
    if (path != NULL && path[0] != '\0')
        return g_strdup(path);
    const char *installed = SPYGLASS_LIBEXECDIR "/spyglass-decode";
    /* Uninstalled (tools/run.sh, benchmarks from the tree): the build's own. */
    if (!g_file_test(installed, G_FILE_TEST_IS_EXECUTABLE) &&
        g_file_test(SPYGLASS_BUILD_DECODE_HELPER, G_FILE_TEST_IS_EXECUTABLE))
        return g_strdup(SPYGLASS_BUILD_DECODE_HELPER);
    return g_strdup(installed);
}

LibrarySandbox *library_sandbox_new(void)
{
    LibrarySandbox *pool = g_new0(LibrarySandbox, 1);
    pool->helper_path = helper_path_default();
    pool->timeout = LIBRARY_SANDBOX_DEFAULT_TIMEOUT;
    const char *timeout = g_getenv("SPYGLASS_DECODE_TIMEOUT");
    if (timeout != NULL && g_ascii_strtod(timeout, NULL) > 0)
        pool->timeout = g_ascii_strtod(timeout, NULL);
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
    pool->timeout = seconds;
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
    g_free(pool->helper_path);
    g_free(pool);
}

static Helper *helper_start(LibrarySandbox *pool, GError **error)
{
    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
        int saved = errno;
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_UNAVAILABLE,
                    "cannot start the photo decoder: %s", g_strerror(saved));
        return NULL;
    }
    int send_buffer = HELPER_SEND_BUFFER;
    setsockopt(sockets[1], SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
    const char *argv[] = {pool->helper_path, NULL};
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
                    "cannot start the photo decoder %s: %s", pool->helper_path, local->message);
        return NULL;
    }
    Helper *helper = g_new0(Helper, 1);
    helper->pool = pool;
    helper->pid = pid;
    helper->socket = sockets[0];
    return helper;
}

/* An idle helper, else a new one, waiting for a place when the pool is
 * full, and for the prestarted helpers rather than starting more. */
static Helper *pool_take(LibrarySandbox *pool, GError **error)
{
    g_mutex_lock(&pool->lock);
    while (pool->idle->len == 0 &&
           (pool->prestarting || (pool->max_helpers > 0 && pool->live >= pool->max_helpers)))
        g_cond_wait(&pool->reaped, &pool->lock);
    if (pool->idle->len > 0) {
        Helper *helper = g_ptr_array_steal_index_fast(pool->idle, 0);
        g_mutex_unlock(&pool->lock);
        return helper;
    }
    pool->live++;
    g_mutex_unlock(&pool->lock);
    Helper *helper = helper_spawn(pool, error);
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
    if (helper->busy_seconds > HELPER_RETIRE_SECONDS) {
        helper_reap(helper, FALSE);
        return;
    }
    g_mutex_lock(&pool->lock);
    g_ptr_array_add(pool->idle, helper);
    /* A caller waiting for a place takes it. */
    g_cond_signal(&pool->reaped);
    g_mutex_unlock(&pool->lock);
}

/* Opening the photo here: the helper can open nothing. */
static int open_photo(const char *path, uint64_t *size, GError **error)
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
    if ((uint64_t)st.st_size > MAX_FILE_SIZE) {
        close(fd);
        g_set_error(error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: file is too large for an image",
                    path);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

static gboolean send_request(Helper *helper, const char *path, uint32_t min_short_side,
                             uint64_t size, int fd)
{
    SandboxRequest request = {
        .magic = SANDBOX_REQUEST_MAGIC,
        .min_short_side = min_short_side,
        .size = size,
        .name_length = (uint32_t)MIN(strlen(path), SANDBOX_MAX_STRING),
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
static void set_death_error(const char *path, int status, gboolean out_of_memory, GError **error)
{
    if (out_of_memory) {
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_OUT_OF_MEMORY,
                    "%s: decoding needed more than the decoder's %u MiB memory limit", path,
                    (unsigned)(SPYGLASS_DECODE_MEMORY_LIMIT >> 20));
        return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == SPYGLASS_DECODE_EXIT_UNAVAILABLE) {
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_UNAVAILABLE,
                    "the photo decoder could not confine itself; see its message above");
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
                    SPYGLASS_DECODE_CPU_LIMIT);
    else
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_CRASHED,
                    "%s: the decoder crashed on this file (%s)", path, name);
}

/* Reads the reply to a request; the helper is given back or ended. */
static ClipRgbImage *receive_reply(LibrarySandbox *pool, Helper *helper, const char *path,
                                   gint64 start, LibraryPhotoInfo *info, GError **error)
{
    gint64 deadline = start + (gint64)(pool->timeout * G_USEC_PER_SEC);
    SandboxReply reply;
    ReceiveResult got = receive_all(helper->socket, &reply, sizeof reply, deadline);
    gboolean out_of_memory = got == RECEIVED && reply.magic == SANDBOX_REPLY_MAGIC &&
                             reply.status == SANDBOX_STATUS_OUT_OF_MEMORY;
    if (got == RECEIVED && !out_of_memory && !sandbox_reply_check(&reply, path, error)) {
        helper_reap(helper, TRUE);
        return NULL;
    }

    g_autofree uint8_t *strings = NULL;
    g_autofree uint8_t *rgb = NULL;
    if (got == RECEIVED && !out_of_memory) {
        strings = g_malloc(sandbox_reply_strings_size(&reply) + 1);
        got = receive_all(helper->socket, strings, sandbox_reply_strings_size(&reply), deadline);
    }
    if (got == RECEIVED && !out_of_memory && reply.status == SANDBOX_STATUS_DECODED) {
        rgb = g_try_malloc(sandbox_reply_pixels_size(&reply));
        if (rgb == NULL) {
            g_set_error(error, CLIP_ERROR, CLIP_ERROR_IO, "%s: out of memory", path);
            helper_reap(helper, TRUE);
            return NULL;
        }
        got = receive_all(helper->socket, rgb, sandbox_reply_pixels_size(&reply), deadline);
    }

    if (got == RECEIVE_TIMEOUT) {
        helper_reap(helper, TRUE);
        g_set_error(error, LIBRARY_SANDBOX_ERROR, LIBRARY_SANDBOX_ERROR_TIMED_OUT,
                    "%s: decoding took longer than %g s", path, pool->timeout);
        return NULL;
    }
    if (got == RECEIVE_EOF || out_of_memory) {
        int status = helper_reap(helper, FALSE);
        set_death_error(path, status, out_of_memory, error);
        return NULL;
    }

    helper->busy_seconds += (g_get_monotonic_time() - start) / 1e6;
    ClipRgbImage *image =
        sandbox_reply_finish(&reply, strings, g_steal_pointer(&rgb), path, info, error);
    /* After any failure a fresh helper takes the next file: a nonsensical
     * reply is a helper gone wrong, and even an ordinary refusal can leave
     * a decoder's state behind (libheif 1.15's dav1d plugin leaks on every
     * malformed AVIF). Failures are rare; starting a helper takes
     * milliseconds. */
    if (image == NULL)
        helper_reap(helper, reply.status != SANDBOX_STATUS_FAILED);
    else
        pool_give_back(pool, helper);
    return image;
}

ClipRgbImage *library_sandbox_decode(LibrarySandbox *pool, const char *path,
                                     uint32_t min_short_side, LibraryPhotoInfo *info,
                                     GError **error)
{
    g_return_val_if_fail(pool != NULL, NULL);
    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    if (library_is_video_name(path))
        return library_decode_photo(path, min_short_side, info, error);
    if (info != NULL)
        memset(info, 0, sizeof *info);
    uint64_t size = 0;
    int fd = open_photo(path, &size, error);
    if (fd < 0)
        return NULL;
    Helper *helper = pool_take(pool, error);
    if (helper == NULL) {
        close(fd);
        return NULL;
    }
    gint64 start = g_get_monotonic_time();
    gboolean sent = send_request(helper, path, min_short_side, size, fd);
    close(fd);
    if (!sent) {
        /* An idle helper that died since (it never should): another, once. */
        helper_reap(helper, TRUE);
        if ((fd = open_photo(path, &size, error)) < 0)
            return NULL;
        if ((helper = pool_take(pool, error)) == NULL) {
            close(fd);
            return NULL;
        }
        start = g_get_monotonic_time();
        sent = send_request(helper, path, min_short_side, size, fd);
        close(fd);
        if (!sent) {
            int status = helper_reap(helper, TRUE);
            set_death_error(path, status, FALSE, error);
            return NULL;
        }
    }
    return receive_reply(pool, helper, path, start, info, error);
}
