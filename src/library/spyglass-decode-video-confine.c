/* spyglass-decode-video-confine.c: the seccomp deny-list and limits of spyglass-decode-video.
 *
 * GStreamer cannot live under the photo helper's allow-list: it loads its
 * plugins on first use (open and mmap of shared objects, executable
 * mappings), its bus and pipelines make their own eventfds, pipes and
 * threads, and libav probes the CPU through files. So this filter allows
 * by default and kills the helper (SIGSYS, which the parent reports) on
 * what a decoder taken over by a hostile video would need to reach beyond
 * the helper: running a program, the network, other processes, the
 * kernel's keyrings, BPF and mounts; files are opened for reading only,
 * and nothing on disk may be created, removed, renamed or changed.
 * docs/security.md lists it and says what it leaves open (reading any
 * file the user can read; nothing to send it through).
 */
#include "library/spyglass-decode-confine.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <gio/gio.h>
#include <seccomp.h>

/* System calls that kill the helper whatever their arguments. */
static const int denied[] = {
    /* Programs and processes: no exec, no fork (threads only, below). */
    SCMP_SYS(execve),
    SCMP_SYS(execveat),
    SCMP_SYS(fork),
    SCMP_SYS(vfork),
    /* The network, and Unix sockets by path (an inherited socketpair still works). */
    SCMP_SYS(socket),
    SCMP_SYS(connect),
    SCMP_SYS(bind),
    SCMP_SYS(listen),
    SCMP_SYS(accept),
    SCMP_SYS(accept4),
    /* Other processes' memory and signals. */
    SCMP_SYS(ptrace),
    SCMP_SYS(process_vm_readv),
    SCMP_SYS(process_vm_writev),
    SCMP_SYS(pidfd_open),
    SCMP_SYS(pidfd_getfd),
    SCMP_SYS(pidfd_send_signal),
    SCMP_SYS(kcmp),
    SCMP_SYS(tkill),
    /* The kernel's wider surface. */
    SCMP_SYS(keyctl),
    SCMP_SYS(add_key),
    SCMP_SYS(request_key),
    SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open),
    SCMP_SYS(userfaultfd),
    SCMP_SYS(io_uring_setup),
    SCMP_SYS(io_uring_enter),
    SCMP_SYS(io_uring_register),
    SCMP_SYS(mount),
    SCMP_SYS(umount2),
    SCMP_SYS(pivot_root),
    SCMP_SYS(chroot),
    SCMP_SYS(unshare),
    SCMP_SYS(setns),
    SCMP_SYS(init_module),
    SCMP_SYS(finit_module),
    SCMP_SYS(delete_module),
    SCMP_SYS(kexec_load),
    SCMP_SYS(reboot),
    SCMP_SYS(swapon),
    SCMP_SYS(swapoff),
    SCMP_SYS(open_by_handle_at),
    SCMP_SYS(name_to_handle_at),
    SCMP_SYS(personality),
    /* Files: nothing created, removed, renamed, linked or changed. */
    SCMP_SYS(creat),
    SCMP_SYS(unlink),
    SCMP_SYS(unlinkat),
    SCMP_SYS(rename),
    SCMP_SYS(renameat),
    SCMP_SYS(renameat2),
    SCMP_SYS(mkdir),
    SCMP_SYS(mkdirat),
    SCMP_SYS(rmdir),
    SCMP_SYS(link),
    SCMP_SYS(linkat),
    SCMP_SYS(symlink),
    SCMP_SYS(symlinkat),
    SCMP_SYS(truncate),
    SCMP_SYS(chmod),
    SCMP_SYS(fchmodat),
    SCMP_SYS(chown),
    SCMP_SYS(lchown),
    SCMP_SYS(fchownat),
    SCMP_SYS(mknod),
    SCMP_SYS(mknodat),
    SCMP_SYS(utimes),
    SCMP_SYS(utimensat),
    SCMP_SYS(setxattr),
    SCMP_SYS(lsetxattr),
    SCMP_SYS(removexattr),
    SCMP_SYS(lremovexattr),
};

/* open()'s flags that write: any of them in open or openat kills the helper. */
static const int write_flags[] = {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND};

static int deny_writing_opens(scmp_filter_ctx filter)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < G_N_ELEMENTS(write_flags); i++) {
        scmp_datum_t flag = (scmp_datum_t)write_flags[i];
        rc = seccomp_rule_add(filter, SCMP_ACT_KILL_PROCESS, SCMP_SYS(open), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, flag, flag));
        if (rc == 0)
            rc = seccomp_rule_add(filter, SCMP_ACT_KILL_PROCESS, SCMP_SYS(openat), 1,
                                  SCMP_A2(SCMP_CMP_MASKED_EQ, flag, flag));
    }
    /* openat2's flags are in a structure a filter cannot read: "not
     * implemented" sends glibc back to openat, checked above. */
    if (rc == 0)
        rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
    return rc;
}

static gboolean install_deny_list(GError **error)
{
    const scmp_datum_t pid = (scmp_datum_t)getpid();
    scmp_filter_ctx filter = spyglass_decode_filter_new(SCMP_ACT_ALLOW, error);
    if (filter == NULL)
        return FALSE;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < G_N_ELEMENTS(denied); i++)
        rc = seccomp_rule_add(filter, SCMP_ACT_KILL_PROCESS, denied[i], 0);
    /* clone makes threads (CLONE_THREAD set) and nothing else. */
    if (rc == 0)
        rc = seccomp_rule_add(filter, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
    /* Signals to itself only (abort(), GStreamer's threads). */
    if (rc == 0)
        rc = seccomp_rule_add(filter, SCMP_ACT_KILL_PROCESS, SCMP_SYS(kill), 1,
                              SCMP_A0(SCMP_CMP_NE, pid));
    if (rc == 0)
        rc = seccomp_rule_add(filter, SCMP_ACT_KILL_PROCESS, SCMP_SYS(tgkill), 1,
                              SCMP_A0(SCMP_CMP_NE, pid));
    if (rc == 0)
        rc = deny_writing_opens(filter);
    return spyglass_decode_filter_load(filter, rc, error);
}

gboolean spyglass_decode_video_confine(GError **error)
{
    return spyglass_decode_set_limits(SPYGLASS_DECODE_VIDEO_MEMORY_LIMIT,
                                      SPYGLASS_DECODE_VIDEO_CPU_LIMIT, error) &&
           spyglass_decode_no_new_privs(error) && install_deny_list(error);
}
