/* spyglass-decode-common.c: what the photo and the video decode helpers share (see the header). */
#include "library/spyglass-decode-common.h"

#include "library/spyglass-decode-confine.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define ALLOC_STEP ((size_t)64 << 20)

static const char *program_name = "spyglass-decode";

G_NORETURN void spyglass_helper_exit(int status)
{
    _exit(status);
}

/* Writes the buffers in order, whole, across short writes and EINTR; consumes iov. */
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

static gboolean write_all(int fd, const void *data, size_t size)
{
    struct iovec buffer = {(void *)data, size};
    return writev_all(fd, &buffer, 1);
}

gboolean spyglass_helper_read_all(int fd, void *data, size_t size)
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
        write_all(SPYGLASS_HELPER_SOCKET_FD, &reply, sizeof reply);
    }
    if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) ||
        g_getenv("G_MESSAGES_DEBUG") != NULL) {
        write_all(STDERR_FILENO, program_name, strlen(program_name));
        write_all(STDERR_FILENO, ": ", 2);
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
    FAULT_EXEC,
    FAULT_SOCKET,
} Fault;

static GHashTable *test_faults; /* base name → Fault */

static void test_faults_parse(void)
{
    static const char *const names[] = {
        [FAULT_CRASH] = "crash", [FAULT_HANG] = "hang", [FAULT_ALLOC] = "alloc",
        [FAULT_OPEN] = "open",   [FAULT_EXEC] = "exec", [FAULT_SOCKET] = "socket"};
    const char *spec = g_getenv("SPYGLASS_DECODE_TEST_FAULTS");
    if (spec == NULL)
        return;
    test_faults = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) items = g_strsplit(spec, ",", -1);
    for (char **item = items; *item != NULL; item++) {
        const char *equals = strchr(*item, '=');
        for (int f = FAULT_CRASH; equals != NULL && f <= FAULT_SOCKET; f++)
            if ((size_t)(equals - *item) == strlen(names[f]) &&
                strncmp(*item, names[f], strlen(names[f])) == 0)
                g_hash_table_insert(test_faults, g_strdup(equals + 1), GINT_TO_POINTER(f));
    }
}

void spyglass_helper_test_fault(const char *name)
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
    case FAULT_EXEC: {
        /* Likewise: a helper taken over would start a program. */
        char *const argv[] = {"/bin/true", NULL};
        execv(argv[0], argv);
        break;
    }
    case FAULT_SOCKET:
        /* Likewise: a helper taken over would send what it can read. */
        close(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        break;
    case FAULT_NONE:
        break;
    }
}

/* Requests and replies */

void spyglass_helper_send_reply(SandboxReply *reply, char *strings[SANDBOX_N_STRINGS],
                                const struct iovec *extra, int n_extra)
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
    g_autofree struct iovec *iov = g_new(struct iovec, 1 + SANDBOX_N_STRINGS + n_extra);
    int n = 0;
    iov[n++] = (struct iovec){.iov_base = reply, .iov_len = sizeof *reply};
    for (int i = 0; i < SANDBOX_N_STRINGS; i++)
        iov[n++] = (struct iovec){.iov_base = strings[i], .iov_len = reply->string_lengths[i]};
    for (int i = 0; i < n_extra; i++)
        iov[n++] = extra[i];
    gboolean sent = writev_all(SPYGLASS_HELPER_SOCKET_FD, iov, n);
    if (!sent)
        spyglass_helper_exit(0); /* the parent gave up on us */
}

void spyglass_helper_send_failure(GError *error)
{
    SandboxReply reply = {.status = SANDBOX_STATUS_FAILED,
                          .error_code = error->domain == CLIP_ERROR ? (uint32_t)error->code
                                                                    : CLIP_ERROR_MALFORMED};
    char *strings[SANDBOX_N_STRINGS] = {[SANDBOX_STRING_ERROR] = error->message};
    spyglass_helper_send_reply(&reply, strings, NULL, 0);
}

/* One request and its descriptor (name g_malloc'ed); FALSE when the parent
 * closed the socket or sent something no parent sends. */
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
        n = recvmsg(SPYGLASS_HELPER_SOCKET_FD, &message, MSG_CMSG_CLOEXEC);
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
        !spyglass_helper_read_all(SPYGLASS_HELPER_SOCKET_FD, (uint8_t *)request + n,
                                  sizeof *request - (size_t)n))
        return FALSE;
    if (request->magic != SANDBOX_REQUEST_MAGIC || request->name_length > SANDBOX_MAX_STRING ||
        *fd < 0)
        return FALSE;
    *name = g_malloc0(request->name_length + 1);
    return spyglass_helper_read_all(SPYGLASS_HELPER_SOCKET_FD, *name, request->name_length);
}

void spyglass_helper_start(const char *program)
{
    program_name = program;
    /* Die with the parent, even one killed with -9 while we spin on a file. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1 || fcntl(SPYGLASS_HELPER_SOCKET_FD, F_GETFD) < 0) {
        fprintf(stderr, "%s: run by Spyglass only, with its socket as descriptor %d\n", program,
                SPYGLASS_HELPER_SOCKET_FD);
        spyglass_helper_exit(SPYGLASS_DECODE_EXIT_UNAVAILABLE);
    }
    g_log_set_writer_func(helper_log_writer, NULL, NULL);
    test_faults_parse();
}

G_NORETURN void spyglass_helper_serve(SpyglassHelperDecode decode)
{
    for (;;) {
        SandboxRequest request;
        g_autofree char *name = NULL;
        int fd = -1;
        if (!receive_request(&request, &name, &fd))
            spyglass_helper_exit(0);
        decode(&request, name, fd);
        close(fd);
    }
}
