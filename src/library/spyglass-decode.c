/* spyglass-decode.c: the sandboxed photo decoder: descriptors in, pixels out, nothing else.
 *
 * Started by library-sandbox.c with a Unix socket as descriptor 3. It
 * prepares the decoders, confines itself (spyglass-decode-confine.c) and
 * then answers requests (library-sandbox-protocol.h) until the socket
 * closes: each brings an open photo, which is read, decoded with the
 * library's decoders (orientation applied) and sent back as RGB pixels with
 * its metadata. A hostile photo that takes a decoder over finds a process
 * that can read and write the descriptors it has and nothing more.
 *
 * SPYGLASS_DECODE_TEST_FAULTS (tests only) names files on which the helper
 * misbehaves on purpose, to prove that the parent copes:
 * "crash=a.jpg,hang=b.png,alloc=c.webp,open=d.gif" (base names): crash
 * dies of SIGSEGV, hang spins forever, alloc allocates without bound, open
 * tries to open a file by path (which the sandbox forbids).
 */
#include "library/library-decoder.h"
#include "library/library-sandbox-protocol.h"
#include "library/spyglass-decode-confine.h"

#include "clip/clip-model.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define SOCKET_FD 3
/* The parent's check: files over this are refused before they are sent. */
#define MAX_FILE_SIZE ((uint64_t)1 << 30)
#define ALLOC_STEP    ((size_t)64 << 20)

/* Any way out is _exit(): atexit handlers (LeakSanitizer's among them)
 * would make system calls the sandbox forbids. */
static G_NORETURN void helper_exit(int status)
{
    _exit(status);
}

static gboolean write_all(int fd, const void *data, size_t size)
{
    const uint8_t *at = data;
    while (size > 0) {
        ssize_t n = write(fd, at, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        at += n;
        size -= (size_t)n;
    }
    return TRUE;
}

/* write_all() over the buffers in order; consumes iov. */
static gboolean writev_all(int fd, struct iovec *iov, int count)
{
    while (count > 0) {
        ssize_t n = writev(fd, iov, count);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        size_t done = (size_t)n;
        while (count > 0 && done >= iov->iov_len) {
            done -= iov->iov_len;
            iov++;
            count--;
        }
        if (count > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
    return TRUE;
}

/* FALSE at end of file or on an error. */
static gboolean read_all(int fd, void *data, size_t size)
{
    uint8_t *at = data;
    while (size > 0) {
        ssize_t n = read(fd, at, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        at += n;
        size -= (size_t)n;
    }
    return TRUE;
}

/* GLib aborts when g_malloc() fails: first tell the parent why. Also the
 * only log writer, one that makes no system call but write(). */
static GLogWriterOutput helper_log_writer(GLogLevelFlags level, const GLogField *fields,
                                          gsize n_fields, gpointer user_data)
{
    const char *message = NULL;
    for (gsize i = 0; i < n_fields; i++)
        if (strcmp(fields[i].key, "MESSAGE") == 0)
            message = fields[i].value;
    if (message == NULL)
        return G_LOG_WRITER_UNHANDLED;
    if ((level & G_LOG_LEVEL_ERROR) && strstr(message, "failed to allocate") != NULL) {
        SandboxReply reply = {.magic = SANDBOX_REPLY_MAGIC, .status = SANDBOX_STATUS_OUT_OF_MEMORY};
        write_all(SOCKET_FD, &reply, sizeof reply);
    }
    if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) ||
        g_getenv("G_MESSAGES_DEBUG") != NULL) {
        write_all(STDERR_FILENO, "spyglass-decode: ", 17);
        write_all(STDERR_FILENO, message, strlen(message));
        write_all(STDERR_FILENO, "\n", 1);
    }
    return G_LOG_WRITER_HANDLED;
}

/* Test switches */

typedef enum {
    FAULT_NONE,
    FAULT_CRASH,
    FAULT_HANG,
    FAULT_ALLOC,
    FAULT_OPEN,
} Fault;

static GHashTable *test_faults; /* base name → Fault */

static void test_faults_parse(void)
{
    static const char *const names[] = {[FAULT_CRASH] = "crash",
                                        [FAULT_HANG] = "hang",
                                        [FAULT_ALLOC] = "alloc",
                                        [FAULT_OPEN] = "open"};
    const char *spec = g_getenv("SPYGLASS_DECODE_TEST_FAULTS");
    if (spec == NULL)
        return;
    test_faults = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) items = g_strsplit(spec, ",", -1);
    for (char **item = items; *item != NULL; item++) {
        const char *equals = strchr(*item, '=');
        for (int f = FAULT_CRASH; equals != NULL && f <= FAULT_OPEN; f++)
            if ((size_t)(equals - *item) == strlen(names[f]) &&
                strncmp(*item, names[f], strlen(names[f])) == 0)
                g_hash_table_insert(test_faults, g_strdup(equals + 1), GINT_TO_POINTER(f));
    }
}

static void test_fault_run(const char *name)
{
    if (test_faults == NULL)
        return;
    g_autofree char *base = g_path_get_basename(name);
    switch ((Fault)GPOINTER_TO_INT(g_hash_table_lookup(test_faults, base))) {
    case FAULT_CRASH:
        raise(SIGSEGV);
        break;
    case FAULT_HANG:
        for (volatile unsigned spin = 0;; spin = spin + 1) {
        }
    case FAULT_ALLOC:
        /* The limit is on address space: blocks count whether or not
         * their pages are touched, and touching only one keeps the test quick. */
        for (;;)
            *(volatile uint8_t *)g_malloc(ALLOC_STEP) = 1;
    case FAULT_OPEN:
        /* The sandbox kills the helper at the call: the return never comes. */
        close(open("/etc/passwd", O_RDONLY | O_CLOEXEC));
        break;
    case FAULT_NONE:
        break;
    }
}

/* Requests */

static void send_reply(SandboxReply *reply, char *strings[SANDBOX_N_STRINGS],
                       const ClipRgbImage *image)
{
    reply->magic = SANDBOX_REPLY_MAGIC;
    for (int i = 0; i < SANDBOX_N_STRINGS; i++) {
        size_t length = strings[i] != NULL ? strlen(strings[i]) : 0;
        /* A working decoder's strings are short; truncation keeps the reply valid. */
        if (length > SANDBOX_MAX_STRING) {
            length = SANDBOX_MAX_STRING;
            while (length > 0 && (strings[i][length] & 0xc0) == 0x80)
                length--;
        }
        reply->string_lengths[i] = (uint32_t)length;
    }
    /* One write for the whole reply: the parent made our send buffer large
     * enough that it seldom blocks, and wakes up once. */
    struct iovec iov[2 + SANDBOX_N_STRINGS];
    int n = 0;
    iov[n++] = (struct iovec){.iov_base = reply, .iov_len = sizeof *reply};
    for (int i = 0; i < SANDBOX_N_STRINGS; i++)
        iov[n++] = (struct iovec){.iov_base = strings[i], .iov_len = reply->string_lengths[i]};
    if (image != NULL)
        iov[n++] = (struct iovec){.iov_base = image->rgb,
                                  .iov_len = (size_t)image->width * image->height * 3};
    gboolean sent = writev_all(SOCKET_FD, iov, n);
    if (!sent)
        helper_exit(0); /* the parent gave up on us */
}

static void send_failure(GError *error)
{
    SandboxReply reply = {.status = SANDBOX_STATUS_FAILED,
                          .error_code = error->domain == CLIP_ERROR ? (uint32_t)error->code
                                                                    : CLIP_ERROR_MALFORMED};
    char *strings[SANDBOX_N_STRINGS] = {[SANDBOX_STRING_ERROR] = error->message};
    send_reply(&reply, strings, NULL);
}

static void decode_request(const SandboxRequest *request, const char *name, int fd)
{
    g_autoptr(GError) error = NULL;
    if (request->size > MAX_FILE_SIZE) {
        g_set_error(&error, CLIP_ERROR, CLIP_ERROR_MALFORMED, "%s: file is too large for an image",
                    name);
        send_failure(error);
        return;
    }
    size_t size = (size_t)request->size;
    g_autofree uint8_t *data = g_try_malloc(MAX(size, 1));
    if (data == NULL || !read_all(fd, data, size)) {
        g_set_error(&error, CLIP_ERROR, CLIP_ERROR_IO, "%s: %s", name,
                    data == NULL ? "out of memory" : "could not read the file");
        send_failure(error);
        return;
    }

    test_fault_run(name);
    LibraryPhotoInfo info;
    g_autoptr(ClipRgbImage) image =
        library_decode_photo_data(data, size, name, request->min_short_side, &info, &error);
    g_clear_pointer(&data, g_free);
    if (image == NULL) {
        send_failure(error);
        return;
    }
    SandboxReply reply = {
        .status = SANDBOX_STATUS_DECODED,
        .width = image->width,
        .height = image->height,
        .info_width = info.width,
        .info_height = info.height,
        .orientation = info.orientation,
        .has_location = info.has_location ? 1 : 0,
        .latitude = info.latitude,
        .longitude = info.longitude,
    };
    char *strings[SANDBOX_N_STRINGS] = {
        [SANDBOX_STRING_FORMAT] = info.format,
        [SANDBOX_STRING_TAKEN] = info.taken,
        [SANDBOX_STRING_CAMERA_MAKE] = info.camera_make,
        [SANDBOX_STRING_CAMERA_MODEL] = info.camera_model,
    };
    send_reply(&reply, strings, image);
    library_photo_info_clear(&info);
}

/* One request and its descriptor; FALSE when the parent closed the socket. */
static gboolean receive_request(SandboxRequest *request, char **name, int *fd)
{
    union {
        struct cmsghdr header;
        char space[CMSG_SPACE(sizeof(int) * 4)];
    } control;
    struct iovec iov = {.iov_base = request, .iov_len = sizeof *request};
    struct msghdr message = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.space,
        .msg_controllen = sizeof control.space,
    };
    ssize_t n;
    do
        n = recvmsg(SOCKET_FD, &message, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return FALSE;

    /* Exactly one descriptor belongs to a request; anything else is closed. */
    *fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c != NULL; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int received;
            memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof received);
            if (*fd < 0)
                *fd = received;
            else
                close(received);
        }
    }
    if ((size_t)n < sizeof *request &&
        !read_all(SOCKET_FD, (uint8_t *)request + n, sizeof *request - (size_t)n))
        return FALSE;
    if (request->magic != SANDBOX_REQUEST_MAGIC || request->name_length > SANDBOX_MAX_STRING ||
        *fd < 0)
        return FALSE;
    *name = g_malloc0(request->name_length + 1);
    return read_all(SOCKET_FD, *name, request->name_length);
}

int main(int argc, char **argv)
{
    /* Die with the parent, even one killed with -9 while we spin on a file. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1 || fcntl(SOCKET_FD, F_GETFD) < 0) {
        fprintf(stderr, "spyglass-decode: run by Spyglass only, with its socket as descriptor %d\n",
                SOCKET_FD);
        return SPYGLASS_DECODE_EXIT_UNAVAILABLE;
    }
    g_log_set_writer_func(helper_log_writer, NULL, NULL);
    test_faults_parse();
    spyglass_decode_prepare_decoders();

    g_autoptr(GError) error = NULL;
    if (!spyglass_decode_confine(&error)) {
        fprintf(stderr, "spyglass-decode: %s\n", error->message);
        return SPYGLASS_DECODE_EXIT_UNAVAILABLE;
    }

    for (;;) {
        SandboxRequest request;
        g_autofree char *name = NULL;
        int fd = -1;
        if (!receive_request(&request, &name, &fd))
            helper_exit(0);
        decode_request(&request, name, fd);
        close(fd);
    }
}
