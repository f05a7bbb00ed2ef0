/* spyglass-decode-confine.c: rlimits, no-new-privs and the seccomp allow-list of spyglass-decode.
 *
 * The allow-list is what strace shows the decoders doing on every format
 * the library reads once they are prepared (docs/security.md has the
 * trace and the reasons); anything else kills the helper with SIGSYS, which
 * the parent reports. Notably absent: open/openat, stat by path, socket,
 * connect, execve, fork (clone without CLONE_THREAD), ptrace, prctl
 * beyond naming a thread, and executable memory.
 */
#include "library/spyglass-decode-confine.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <libheif/heif.h>
#include <seccomp.h>

#if defined(__SANITIZE_ADDRESS__)
#define HELPER_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HELPER_UNDER_ASAN 1
#endif
#endif

#ifdef HELPER_UNDER_ASAN
/* AddressSanitizer's reports symbolize by opening files and spawning a
 * symbolizer, its leak check stops the world with ptrace, and its SEGV
 * handler would turn a crash into a report: all forbidden here, so a crash
 * stays a crash and a failed allocation returns NULL like glibc's does. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "handle_segv=0:handle_abort=0:detect_leaks=0:symbolize=0:allocator_may_return_null=1";
}
#endif

void spyglass_decode_prepare_decoders(void)
{
    heif_init(NULL);
    /* LibRaw turns EXIF dates into times with mktime(), and the RAW decoder
     * back with localtime_r(): glibc stats /etc/localtime on each call,
     * which the filter forbids. A fixed zone without a file needs none, and
     * UTC makes the round trip exact (no DST gaps). */
    g_setenv("TZ", "UTC0", TRUE);
    tzset();
    static const char *const pixbuf_types[] = {"gif", "tiff", "bmp"};
    for (size_t i = 0; i < G_N_ELEMENTS(pixbuf_types); i++) {
        GdkPixbufLoader *loader = gdk_pixbuf_loader_new_with_type(pixbuf_types[i], NULL);
        if (loader != NULL) {
            gdk_pixbuf_loader_close(loader, NULL);
            g_object_unref(loader);
        }
    }
}

/* The address space already mapped, which an AddressSanitizer build (its
 * shadow memory is terabytes of reservations) adds to the limit. */
static guint64 mapped_at_start(void)
{
#ifdef HELPER_UNDER_ASAN
    g_autofree char *statm = NULL;
    if (g_file_get_contents("/proc/self/statm", &statm, NULL, NULL))
        return g_ascii_strtoull(statm, NULL, 10) * (guint64)sysconf(_SC_PAGESIZE);
#endif
    return 0;
}

static gboolean set_limit(int resource, guint64 value, const char *what, GError **error)
{
    struct rlimit limit = {.rlim_cur = value, .rlim_max = value};
    if (setrlimit(resource, &limit) == 0)
        return TRUE;
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot limit %s: %s", what,
                g_strerror(saved));
    return FALSE;
}

gboolean spyglass_decode_set_limits(guint64 memory, int cpu_seconds, GError **error)
{
    /* Over the file-size limit a write fails with EFBIG instead of killing
     * the helper: its stderr may be a log file. */
    signal(SIGXFSZ, SIG_IGN);
    return set_limit(RLIMIT_AS, mapped_at_start() + memory, "memory", error) &&
           set_limit(RLIMIT_CPU, (guint64)cpu_seconds, "CPU time", error) &&
           /* The helper writes no file and leaves no core dump of a photo behind. */
           set_limit(RLIMIT_FSIZE, 0, "file size", error) &&
           set_limit(RLIMIT_CORE, 0, "core dumps", error);
}

typedef struct {
    int syscall;
    unsigned count;
    struct scmp_arg_cmp args[1];
} Rule;

#define ALLOW(name)                                                                                \
    {                                                                                              \
        .syscall = SCMP_SYS(name)                                                                  \
    }
#define ALLOW_IF(name, test)                                                                       \
    {                                                                                              \
        .syscall = SCMP_SYS(name), .count = 1, .args = { test }                                    \
    }

static gboolean install_filter(GError **error)
{
    const scmp_datum_t pid = (scmp_datum_t)getpid();
    const Rule rules[] = {
        /* Reading the photo and the requests, writing replies and stderr:
         * only descriptors the helper was given, as it can open none. */
        ALLOW(read),
        ALLOW(write),
        ALLOW(writev), /* a reply in one call */
        ALLOW(recvmsg),
        ALLOW(close),
        /* Memory: malloc, the decoders' buffers, thread stacks; never executable. */
        ALLOW(brk),
        ALLOW_IF(mmap, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)),
        ALLOW_IF(mprotect, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)),
        ALLOW(munmap),
        ALLOW(mremap),
        ALLOW(madvise),
        /* Threads: dav1d (AVIF) starts a pool per image, sized by the CPUs it may use. */
        ALLOW_IF(clone, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)),
        ALLOW(futex),
        ALLOW(set_robust_list),
        ALLOW(rseq),
        ALLOW(sched_getaffinity),
        ALLOW(sched_yield),
        ALLOW_IF(prctl, SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME)),
        ALLOW(gettid),
        ALLOW(getpid),
        ALLOW(exit),
        ALLOW(exit_group),
        /* Signals: glibc's thread set-up, and abort() raising SIGABRT at itself only. */
        ALLOW(rt_sigprocmask),
        ALLOW(rt_sigaction),
        ALLOW(rt_sigreturn),
        ALLOW_IF(tgkill, SCMP_A0(SCMP_CMP_EQ, pid)),
        /* Clocks (the vDSO's fallbacks) and glibc's qsort asking for the RAM size. */
        ALLOW(clock_gettime),
        ALLOW(clock_getres),
        ALLOW(gettimeofday),
        ALLOW(clock_nanosleep),
        ALLOW(nanosleep),
        ALLOW(sysinfo),
#ifdef HELPER_UNDER_ASAN
        /* AddressSanitizer gives each new thread a signal stack. */
        ALLOW(sigaltstack),
#endif
    };

    scmp_filter_ctx filter = spyglass_decode_filter_new(SCMP_ACT_KILL_PROCESS, error);
    if (filter == NULL)
        return FALSE;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < G_N_ELEMENTS(rules); i++)
        rc = rules[i].count > 0 ? seccomp_rule_add(filter, SCMP_ACT_ALLOW, rules[i].syscall,
                                                   rules[i].count, rules[i].args[0])
                                : seccomp_rule_add(filter, SCMP_ACT_ALLOW, rules[i].syscall, 0);
    return spyglass_decode_filter_load(filter, rc, error);
}

void *spyglass_decode_filter_new(uint32_t default_action, GError **error)
{
    scmp_filter_ctx filter = seccomp_init(default_action);
    if (filter == NULL)
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot create a seccomp filter");
    return filter;
}

gboolean spyglass_decode_filter_load(void *filter, int rc, GError **error)
{
    /* glibc's pthread_create tries clone3 first, whose flags a filter cannot
     * read: "not implemented" sends it to clone, whose flags the filters check. */
    if (rc == 0)
        rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc == 0)
        rc = seccomp_load(filter);
    seccomp_release(filter);
    if (rc != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot install the seccomp filter: %s",
                    g_strerror(-rc));
        return FALSE;
    }
    return TRUE;
}

gboolean spyglass_decode_no_new_privs(GError **error)
{
    /* Required for an unprivileged seccomp filter, and no exec could gain privileges anyway. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
        return TRUE;
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot set no_new_privs: %s",
                g_strerror(saved));
    return FALSE;
}

gboolean spyglass_decode_confine(GError **error)
{
    return spyglass_decode_set_limits(SPYGLASS_DECODE_MEMORY_LIMIT, SPYGLASS_DECODE_CPU_LIMIT,
                                      error) &&
           spyglass_decode_no_new_privs(error) && install_filter(error);
}
