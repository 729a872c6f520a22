/*
 * skua_uring: a small C shim over liburing for Skua's io_uring reactor, bound
 * from TypeScript with Deno.dlopen (see ffi/uring.ts).
 *
 * FFI rules this API follows:
 * - Plain functions only; no struct is passed by value.
 * - Every integer parameter is 32-bit (int32_t/uint32_t). A JS Number passed
 *   to a 64-bit parameter takes Deno's slow path (~200 ns instead of ~15 ns).
 * - Every call is synchronous and short, except sk_submit_and_wait(), which
 *   blocks only when asked to wait.
 * - Errors are returned as negative errno values. Calls that can fail for an
 *   environmental reason (probe, ring/bufring setup, listen) also leave a
 *   human-readable reason for the calling thread in sk_last_error().
 *
 * Threading: one ring per thread. A ring must be created, used and destroyed
 * on the same thread (IORING_SETUP_SINGLE_ISSUER and the registered ring fd
 * both bind it to its creator). sk_eventfd_write() is the only call meant to
 * be made from other threads: it is how one shard wakes another one that is
 * parked in sk_submit_and_wait().
 *
 * Completion array: sk_cqe_base(h) points at sk_cqe_capacity(h) entries of
 * four 32-bit words, filled by sk_submit_and_wait():
 *   [0] tag    the uint32 tag given to the sk_prep_* call (the SQE user_data)
 *   [1] res    the CQE result (bytes, new fd for accept, or -errno)
 *   [2] flags  low 16 bits of cqe->flags: SK_CQE_F_BUFFER, SK_CQE_F_MORE, ...
 *   [3] bid    the provided-buffer id when SK_CQE_F_BUFFER is set, else -1
 *
 * Provided buffers: one buffer ring per io_uring ring (group id chosen by the
 * caller). Buffer i lives at sk_bufring_base(h) + i * size. A buffer handed to
 * JS by a recv completion belongs to JS until sk_buf_recycle(h, bid); recycled
 * buffers are published to the kernel in one batch at the start of the next
 * sk_submit_and_wait() (or when a prep call has to submit early).
 */
#ifndef SKUA_URING_H
#define SKUA_URING_H

#include <stdint.h>

/* Only the sk_* functions are exported from the .so (built with
 * -fvisibility=hidden, and liburing.a symbols are kept local). */
#define SK_API __attribute__((visibility("default")))

/* Bumped whenever a signature or a semantic in this header changes; the JS
 * side refuses a library that reports another value (and rebuilds it). */
#define SK_ABI_VERSION 2

/* sk_ring_create() flags. */
#define SK_RING_PLAIN 1u /* don't try SINGLE_ISSUER/DEFER_TASKRUN/COOP_TASKRUN */

/* sk_listen() flags. */
#define SK_LISTEN_REUSEPORT 1u /* SO_REUSEPORT (one listener per shard) */
#define SK_LISTEN_V6ONLY 2u /* IPV6_V6ONLY on an IPv6 address */
#define SK_LISTEN_BIND_ONLY 4u /* bind and return the socket, never listen (a port probe) */

/* Completion flags (same values as IORING_CQE_F_*). */
#define SK_CQE_F_BUFFER 1u
#define SK_CQE_F_MORE 2u
#define SK_CQE_F_SOCK_NONEMPTY 4u

/* ---- library --------------------------------------------------------- */

/* SK_ABI_VERSION of the built library. */
SK_API int32_t sk_abi_version(void);
/* Copies the calling thread's last failure reason (NUL-terminated, truncated
 * to cap) into out; returns its length. */
SK_API int32_t sk_last_error(char *out, uint32_t cap);
/* 0 when io_uring works here with everything the reactor uses (ring setup,
 * opcodes, provided-buffer ring, multishot accept, multishot recv, cancel by
 * fd -- exercised for real over loopback TCP), else -errno with the reason in
 * sk_last_error(). */
SK_API int32_t sk_probe(void);

/* ---- rings ----------------------------------------------------------- */

/* A ring with `entries` SQEs (0: 256) and a 4x larger CQ. Tries
 * SINGLE_ISSUER|DEFER_TASKRUN|TASKRUN_FLAG|SUBMIT_ALL, then
 * COOP_TASKRUN|TASKRUN_FLAG|SUBMIT_ALL, then nothing, stepping down only on
 * EINVAL. Returns a handle >= 0 or -errno. */
SK_API int32_t sk_ring_create(uint32_t entries, uint32_t flags);
/* Closes the ring: in-flight requests are cancelled, the completion array and
 * provided buffers are unmapped (JS views over them must not be used again). */
SK_API int32_t sk_ring_destroy(int32_t h);
/* The IORING_SETUP_* flags the kernel accepted for this ring. */
SK_API int32_t sk_ring_setup_flags(int32_t h);

/* ---- provided buffers --------------------------------------------------- */

/* `count` (power of two, <= 32768) buffers of `size` bytes in group `bgid`,
 * all initially owned by the kernel. One buffer ring per io_uring ring. */
SK_API int32_t sk_bufring_setup(int32_t h, uint32_t bgid, uint32_t count, uint32_t size);
/* Base of the buffer memory (buffer i at base + i * size); map it once. */
SK_API void *sk_bufring_base(int32_t h);
/* Returns buffer bid to the kernel (published at the next submit). 0, or
 * -EALREADY if the kernel already owns it (double recycle: ignored), or
 * -EINVAL for a bad bid. */
SK_API int32_t sk_buf_recycle(int32_t h, uint32_t bid);

/* ---- requests (each returns 0 or -errno; a full SQ is submitted first) ---- */

/* Multishot accept: one completion per connection, res = the new fd
 * (SOCK_CLOEXEC, blocking mode is irrelevant to io_uring). Re-arm when a
 * completion lacks SK_CQE_F_MORE. */
SK_API int32_t sk_prep_accept_multishot(int32_t h, int32_t fd, uint32_t tag);
/* Multishot recv into buffers of group bgid: one completion per arrival,
 * res = bytes (0 = EOF), bid = the buffer. Ends (no SK_CQE_F_MORE) on EOF,
 * error, or -ENOBUFS when every buffer is held by JS; after -ENOBUFS the data
 * is still in the socket: recycle, then re-arm. */
SK_API int32_t sk_prep_recv_multishot(int32_t h, int32_t fd, uint32_t bgid, uint32_t tag);
/* Send len bytes at base + off (MSG_NOSIGNAL | MSG_WAITALL). The memory must
 * stay valid and unmoved until the completion; a short res is still possible
 * (e.g. the peer reset mid-way), so continue from off + res. */
SK_API int32_t sk_prep_send(int32_t h, int32_t fd, void *base, uint32_t off, uint32_t len,
			    uint32_t tag);
/* Read len bytes into base + off at the current position (for the eventfd:
 * len 8). Works on the O_NONBLOCK eventfd: io_uring polls, no EAGAIN. */
SK_API int32_t sk_prep_read(int32_t h, int32_t fd, void *base, uint32_t off, uint32_t len,
			    uint32_t tag);
/* Cancel every request on fd: each posts -ECANCELED, this one posts the
 * number cancelled (or -ENOENT / -EBADF). */
/* recv up to len bytes into base + off (what the socket holds, at least 1;
 * 0 at EOF). */
SK_API int32_t sk_prep_recv(int32_t h, int32_t fd, void *base, uint32_t off, uint32_t len,
			    uint32_t tag);
SK_API int32_t sk_prep_cancel_tag(int32_t h, uint32_t target, uint32_t tag);
SK_API int32_t sk_prep_cancel_fd(int32_t h, int32_t fd, uint32_t tag);
/* close(fd) through the ring. NOTE: closing an fd (this way or sk_close)
 * does NOT end requests that hold it -- an armed multishot recv keeps the
 * socket open and keeps receiving. Prep cancel_fd then close, same batch. */
SK_API int32_t sk_prep_close(int32_t h, int32_t fd, uint32_t tag);

/* ---- completions ------------------------------------------------------ */

/* Publishes recycled buffers, submits queued SQEs, waits until at least
 * min_complete completions are ready or timeout_ms passes (timeout_ms < 0: no
 * timeout; 0 or min_complete 0: no wait), then copies up to sk_cqe_capacity
 * completions into the array and consumes them. Returns the count (a timeout
 * or signal is just a count, possibly 0) or -errno for a real failure. With
 * nothing queued and no kernel work pending it makes no syscall. */
SK_API int32_t sk_submit_and_wait(int32_t h, uint32_t min_complete, int32_t timeout_ms);
SK_API void *sk_cqe_base(int32_t h);
SK_API uint32_t sk_cqe_capacity(int32_t h);

/* ---- sockets and wakeups (plain syscalls) ----------------------------- */

/* Non-blocking, close-on-exec TCP listener with SO_REUSEADDR (+ flags) on an
 * IPv4/IPv6 literal ("", "*" = 0.0.0.0; "localhost" = 127.0.0.1; "[::1]"
 * accepted), port 0 = ephemeral, backlog 0 = 511. Returns the fd or -errno. */
SK_API int32_t sk_listen(const char *host, uint32_t port, uint32_t backlog, uint32_t flags);
SK_API int32_t sk_set_nodelay(int32_t fd);
/* Redis's anetKeepAlive: SO_KEEPALIVE, then (Linux) TCP_KEEPIDLE = secs,
 * TCP_KEEPINTVL = secs / 3 (at least 1), TCP_KEEPCNT = 3; secs 0 turns
 * SO_KEEPALIVE off. Set on a listener, accepted sockets inherit it (Linux). */
SK_API int32_t sk_set_keepalive(int32_t fd, int32_t secs);
/* One send(MSG_DONTWAIT | MSG_NOSIGNAL) outside the ring, for a short best
 * effort message before a close (the maxclients refusal). Returns the bytes
 * sent or -errno. */
SK_API int32_t sk_send_now(int32_t fd, const void *buf, uint32_t len);
/* "ip:port" ("[ip]:port" for IPv6; IPv4-mapped shown as IPv4) into out;
 * returns the length or -errno (-ENOSPC if cap is too small). */
SK_API int32_t sk_peer_addr(int32_t fd, char *out, uint32_t cap);
SK_API int32_t sk_local_addr(int32_t fd, char *out, uint32_t cap);
/* eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC). */
SK_API int32_t sk_eventfd(void);
/* Adds 1 to the eventfd; safe from any thread (how a shard wakes a parked one). */
SK_API int32_t sk_eventfd_write(int32_t fd);
SK_API int32_t sk_close(int32_t fd);
SK_API int32_t sk_errno(void);

#endif
