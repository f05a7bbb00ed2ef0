/* spyglass-decode-common.h: what the photo and the video decode helpers share: the socket
 * they answer on, their replies, their log writer and their test switches. */
#pragma once

#include "library/library-sandbox-protocol.h"

#include <glib.h>
#include <sys/uio.h>

G_BEGIN_DECLS

#define SPYGLASS_HELPER_SOCKET_FD 3

/* Any way out is _exit(): atexit handlers (LeakSanitizer's among them)
 * would make system calls the sandboxes forbid. */
G_NORETURN void spyglass_helper_exit(int status);

/* The start every helper makes, named `program` in its messages: dies
 * with the parent, checks that it was started by Spyglass (else exits
 * with SPYGLASS_DECODE_EXIT_UNAVAILABLE), installs the log writer and reads
 * the test switches. */
void spyglass_helper_start(const char *program);

/* FALSE at end of file or on an error. */
gboolean spyglass_helper_read_all(int fd, void *data, size_t size);

/* Answers requests with decode until the parent closes the socket, then exits. */
typedef void (*SpyglassHelperDecode)(const SandboxRequest *request, const char *name, int fd);
G_NORETURN void spyglass_helper_serve(SpyglassHelperDecode decode);

/* Sends the reply (magic and string lengths filled in here), its strings
 * and then the `n_extra` buffers of extra, in one write where the socket
 * takes it; exits when the parent gave up on us. */
void spyglass_helper_send_reply(SandboxReply *reply, char *strings[SANDBOX_N_STRINGS],
                                const struct iovec *extra, int n_extra);

/* A SANDBOX_STATUS_FAILED reply with the error's code and message. */
void spyglass_helper_send_failure(GError *error);

/* SPYGLASS_DECODE_TEST_FAULTS (tests only) names files on which the helper
 * misbehaves on purpose, to prove that the parent copes:
 * "crash=a.jpg,hang=b.png,alloc=c.webp,open=d.gif,exec=e.mp4,socket=f.mkv"
 * (base names): crash dies of SIGSEGV, hang spins forever, alloc
 * allocates without bound, open opens a file by path, exec runs
 * /bin/true, socket opens an Internet socket. Runs the fault `name` is
 * down for, if any. */
void spyglass_helper_test_fault(const char *name);

G_END_DECLS
