/*
 * Ring lifecycle, provided-buffer ring, SQE preparation and the single
 * submit+wait+reap entry point. The API contract is in skua_uring.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "skua_internal.h"
#include "skua_uring.h"

#define SK_MAX_RINGS 256
#define SK_MAX_BUFS 32768u /* kernel limit for a provided-buffer ring */

struct sk_ring {
	struct io_uring ring;
	uint32_t setup_flags; /* the IORING_SETUP_* flags the kernel accepted */
	int registered;       /* ring fd registered: enter with REGISTERED_RING */
	int32_t *cqes;        /* completion array shared with JS, 4 words each */
	uint32_t cqe_cap;
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	uint8_t *bufs;
	size_t bufs_bytes;
	uint32_t buf_count, buf_size, buf_mask, bgid;
	uint32_t recycle_pending; /* added to br but not yet published (tail) */
	uint64_t *held;           /* bitmap: buffer is owned by JS, not the kernel */
};

/* Handles are indexes into this table. Slots are claimed with a CAS so that
 * shard threads can create rings concurrently; a slot is only ever touched
 * afterwards by the thread that owns the ring. */
static struct sk_ring *table[SK_MAX_RINGS];
static struct sk_ring claimed; /* placeholder while a slot is being set up */

static __thread char last_error[256];

void sk_set_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
}

int32_t sk_abi_version(void) { return SK_ABI_VERSION; }

int32_t sk_last_error(char *out, uint32_t cap)
{
	size_t n = strlen(last_error);
	if (cap == 0) return (int32_t)n;
	if (n >= cap) n = cap - 1;
	memcpy(out, last_error, n);
	out[n] = 0;
	return (int32_t)n;
}

int32_t sk_errno(void) { return errno; }

static inline struct sk_ring *get(int32_t h)
{
	if ((uint32_t)h >= SK_MAX_RINGS) return NULL;
	struct sk_ring *r = table[h];
	return r == &claimed ? NULL : r;
}

static int32_t claim_slot(void)
{
	for (int32_t i = 0; i < SK_MAX_RINGS; i++) {
		struct sk_ring *expected = NULL;
		if (__atomic_compare_exchange_n(&table[i], &expected, &claimed, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return i;
	}
	return -1;
}

static void release_slot(int32_t h, struct sk_ring *r)
{
	__atomic_store_n(&table[h], r, __ATOMIC_RELEASE);
}

/* Setup flag sets, best first. SINGLE_ISSUER + DEFER_TASKRUN (6.1+) run
 * completion work only when we ask for events, on our thread; COOP_TASKRUN
 * (5.19+) at least avoids IPIs. TASKRUN_FLAG makes the kernel raise
 * IORING_SQ_TASKRUN when work is pending, so a poll with nothing to submit
 * can skip the syscall. SUBMIT_ALL keeps submitting past a bad SQE. */
static const uint32_t setup_ladder[] = {
	IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL,
	IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL,
	0,
};

static int init_ring(struct sk_ring *r, uint32_t entries, uint32_t flags)
{
	size_t first = (flags & SK_RING_PLAIN) ? 2 : 0;
	int ret = -EINVAL;
	for (size_t i = first; i < sizeof setup_ladder / sizeof setup_ladder[0]; i++) {
		struct io_uring_params p;
		memset(&p, 0, sizeof p);
		/* A bigger CQ than SQ: multishot requests post many CQEs per SQE. */
		p.flags = setup_ladder[i] | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
		p.cq_entries = entries * 4;
		ret = io_uring_queue_init_params(entries, &r->ring, &p);
		if (ret == 0) {
			r->setup_flags = p.flags;
			return 0;
		}
		if (ret != -EINVAL) break; /* only "unknown flag" is worth a retry */
	}
	return ret;
}

int32_t sk_ring_create(uint32_t entries, uint32_t flags)
{
	if (entries == 0) entries = 256;
	if (entries > 32768) entries = 32768;
	int32_t h = claim_slot();
	if (h < 0) {
		sk_set_error("too many rings (max %d)", SK_MAX_RINGS);
		return -EMFILE;
	}
	struct sk_ring *r = calloc(1, sizeof *r);
	if (!r) {
		release_slot(h, NULL);
		return -ENOMEM;
	}
	int ret = init_ring(r, entries, flags);
	if (ret < 0) {
		sk_set_error("io_uring_setup: %s", strerror(-ret));
		free(r);
		release_slot(h, NULL);
		return ret;
	}
	/* Registering the ring fd saves an fd lookup on every io_uring_enter. */
	r->registered = io_uring_register_ring_fd(&r->ring) == 1;
	r->cqe_cap = r->ring.cq.ring_entries;
	r->cqes = aligned_alloc(64, (size_t)r->cqe_cap * 16);
	if (!r->cqes) {
		io_uring_queue_exit(&r->ring);
		free(r);
		release_slot(h, NULL);
		return -ENOMEM;
	}
	memset(r->cqes, 0, (size_t)r->cqe_cap * 16);
	release_slot(h, r);
	return h;
}

/* Unmaps the buffer ring (never registered, or its ring already closed). */
static void free_bufring(struct sk_ring *r)
{
	if (r->br) munmap(r->br, r->br_bytes);
	if (r->bufs) munmap(r->bufs, r->bufs_bytes);
	free(r->held);
	r->br = NULL;
	r->bufs = NULL;
	r->held = NULL;
}

int32_t sk_ring_destroy(int32_t h)
{
	struct sk_ring *r = get(h);
	if (!r) return -EBADF;
	/* Cancel everything and wait for it (6.0+) before unmapping: ring
	 * teardown is asynchronous, and a late recv must not land in memory that
	 * a later mmap reused. Closing the ring then drops the file references
	 * those requests held and the buffer registration. */
	struct io_uring_sync_cancel_reg reg;
	memset(&reg, 0, sizeof reg);
	reg.flags = IORING_ASYNC_CANCEL_ANY;
	reg.timeout.tv_sec = 1;
	io_uring_register_sync_cancel(&r->ring, &reg);
	io_uring_queue_exit(&r->ring);
	free_bufring(r);
	free(r->cqes);
	free(r);
	release_slot(h, NULL);
	return 0;
}

int32_t sk_ring_setup_flags(int32_t h)
{
	struct sk_ring *r = get(h);
	return r ? (int32_t)r->setup_flags : -EBADF;
}

static void *map_anon(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int32_t sk_bufring_setup(int32_t h, uint32_t bgid, uint32_t count, uint32_t size)
{
	struct sk_ring *r = get(h);
	if (!r) return -EBADF;
	if (r->br) return -EEXIST; /* one buffer ring per io_uring ring */
	if (count == 0 || count > SK_MAX_BUFS || (count & (count - 1)) || size == 0 ||
	    bgid > 0xffff || (uint64_t)count * size > (1ull << 31)) {
		sk_set_error("bad buffer ring shape: %u x %u (count: power of two <= %u)",
			     count, size, SK_MAX_BUFS);
		return -EINVAL;
	}
	r->br_bytes = (size_t)count * sizeof(struct io_uring_buf);
	r->bufs_bytes = (size_t)count * size;
	r->br = map_anon(r->br_bytes);
	r->bufs = map_anon(r->bufs_bytes);
	r->held = calloc((count + 63) / 64, sizeof(uint64_t));
	if (!r->br || !r->bufs || !r->held) {
		free_bufring(r);
		sk_set_error("cannot allocate %u provided buffers of %u bytes", count, size);
		return -ENOMEM;
	}
	struct io_uring_buf_reg reg;
	memset(&reg, 0, sizeof reg);
	reg.ring_addr = (uint64_t)(uintptr_t)r->br;
	reg.ring_entries = count;
	reg.bgid = (uint16_t)bgid;
	int ret = io_uring_register_buf_ring(&r->ring, &reg, 0);
	if (ret < 0) {
		free_bufring(r);
		if (ret == -EINVAL)
			sk_set_error("kernel lacks provided buffer rings "
				     "(IORING_REGISTER_PBUF_RING needs Linux 5.19+)");
		else
			sk_set_error("IORING_REGISTER_PBUF_RING: %s", strerror(-ret));
		return ret;
	}
	r->buf_count = count;
	r->buf_size = size;
	r->buf_mask = (uint32_t)io_uring_buf_ring_mask(count);
	r->bgid = bgid;
	io_uring_buf_ring_init(r->br);
	for (uint32_t i = 0; i < count; i++)
		io_uring_buf_ring_add(r->br, r->bufs + (size_t)i * size, size, (unsigned short)i,
				      (int)r->buf_mask, (int)i);
	io_uring_buf_ring_advance(r->br, (int)count);
	return 0;
}

void *sk_bufring_base(int32_t h)
{
	struct sk_ring *r = get(h);
	return r ? r->bufs : NULL;
}

/* Publish recycled buffers to the kernel with one release store. */
static inline void flush_recycles(struct sk_ring *r)
{
	if (r->recycle_pending) {
		io_uring_buf_ring_advance(r->br, (int)r->recycle_pending);
		r->recycle_pending = 0;
	}
}

int32_t sk_buf_recycle(int32_t h, uint32_t bid)
{
	struct sk_ring *r = get(h);
	if (!r || !r->br || bid >= r->buf_count) return -EINVAL;
	uint64_t bit = 1ull << (bid & 63);
	/* A buffer the kernel still owns (double recycle) would be handed out
	 * twice and corrupt two connections' input: refuse it. */
	if (!(r->held[bid >> 6] & bit)) return -EALREADY;
	r->held[bid >> 6] &= ~bit;
	io_uring_buf_ring_add(r->br, r->bufs + (size_t)bid * r->buf_size, r->buf_size,
			      (unsigned short)bid, (int)r->buf_mask, (int)r->recycle_pending);
	r->recycle_pending++;
	return 0;
}

/* Get an SQE; when the SQ is full, submit what is queued to make room rather
 * than dropping the request. */
static struct io_uring_sqe *sqe_for(struct sk_ring *r, int *err)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
	if (sqe) return sqe;
	flush_recycles(r);
	int ret = io_uring_submit(&r->ring);
	if (ret < 0) {
		*err = ret;
		return NULL;
	}
	sqe = io_uring_get_sqe(&r->ring);
	if (!sqe) *err = -EBUSY;
	return sqe;
}

#define PREP_BEGIN                                      \
	struct sk_ring *r = get(h);                     \
	if (!r) return -EBADF;                          \
	int err = 0;                                    \
	struct io_uring_sqe *sqe = sqe_for(r, &err);    \
	if (!sqe) return err;

#define PREP_END                                        \
	io_uring_sqe_set_data64(sqe, (uint64_t)tag);    \
	return 0;

int32_t sk_prep_accept_multishot(int32_t h, int32_t fd, uint32_t tag)
{
	PREP_BEGIN
	io_uring_prep_multishot_accept(sqe, fd, NULL, NULL, SOCK_CLOEXEC);
	PREP_END
}

int32_t sk_prep_recv_multishot(int32_t h, int32_t fd, uint32_t bgid, uint32_t tag)
{
	PREP_BEGIN
	io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = (uint16_t)bgid;
	PREP_END
}

int32_t sk_prep_send(int32_t h, int32_t fd, void *base, uint32_t off, uint32_t len,
		     uint32_t tag)
{
	PREP_BEGIN
	/* MSG_WAITALL: the kernel retries a short send itself (5.18+), so a
	 * short result is rare; MSG_NOSIGNAL: EPIPE instead of SIGPIPE. */
	io_uring_prep_send(sqe, fd, (uint8_t *)base + off, len, MSG_NOSIGNAL | MSG_WAITALL);
	PREP_END
}

int32_t sk_prep_read(int32_t h, int32_t fd, void *base, uint32_t off, uint32_t len,
		     uint32_t tag)
{
	PREP_BEGIN
	/* Offset -1: "current position", the only meaning for an eventfd. */
	io_uring_prep_read(sqe, fd, (uint8_t *)base + off, len, (uint64_t)-1);
	PREP_END
}

/* A plain recv into caller memory: the rest of a big argument, read where it
 * will stay. It completes with what the socket holds (up to len), so each
 * completion is a point to check limits at, as each read is in Redis. */
int32_t sk_prep_recv(int32_t h, int32_t fd, void *base, uint32_t off, uint32_t len,
		     uint32_t tag)
{
	PREP_BEGIN
	io_uring_prep_recv(sqe, fd, (uint8_t *)base + off, len, 0);
	PREP_END
}

/* Cancels the request whose tag is `target` (a multishot recv ends with a
 * final -ECANCELED completion). */
int32_t sk_prep_cancel_tag(int32_t h, uint32_t target, uint32_t tag)
{
	PREP_BEGIN
	io_uring_prep_cancel64(sqe, (uint64_t)target, 0);
	PREP_END
}

int32_t sk_prep_cancel_fd(int32_t h, int32_t fd, uint32_t tag)
{
	PREP_BEGIN
	io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
	PREP_END
}

int32_t sk_prep_close(int32_t h, int32_t fd, uint32_t tag)
{
	PREP_BEGIN
	io_uring_prep_close(sqe, fd);
	PREP_END
}

/* io_uring_enter asking for events (and running deferred task work). */
static int enter_getevents(struct sk_ring *r, uint32_t min, int32_t timeout_ms)
{
	unsigned flags = IORING_ENTER_GETEVENTS;
	int fd = r->ring.ring_fd;
	if (r->registered) {
		flags |= IORING_ENTER_REGISTERED_RING;
		fd = r->ring.enter_ring_fd;
	}
	if (min > 0 && timeout_ms > 0) {
		struct __kernel_timespec ts = {
			.tv_sec = timeout_ms / 1000,
			.tv_nsec = (long long)(timeout_ms % 1000) * 1000000,
		};
		struct io_uring_getevents_arg arg;
		memset(&arg, 0, sizeof arg);
		arg.ts = (uint64_t)(uintptr_t)&ts;
		return io_uring_enter2((unsigned)fd, 0, min, flags | IORING_ENTER_EXT_ARG,
				       (sigset_t *)&arg, sizeof arg);
	}
	return io_uring_enter2((unsigned)fd, 0, min, flags, NULL, _NSIG / 8);
}

/* Deferred task work (e.g. data arrived for a multishot recv) is only turned
 * into CQEs when we enter the kernel; with TASKRUN_FLAG it tells us so. */
static inline int kernel_wants_enter(struct io_uring *ring)
{
	unsigned f = __atomic_load_n(ring->sq.kflags, __ATOMIC_RELAXED);
	return (f & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0;
}

static inline int transient(int ret)
{
	return ret == -ETIME || ret == -EINTR || ret == -EAGAIN || ret == -EBUSY;
}

int32_t sk_submit_and_wait(int32_t h, uint32_t min_complete, int32_t timeout_ms)
{
	struct sk_ring *r = get(h);
	if (!r) return -EBADF;
	struct io_uring *ring = &r->ring;
	if (r->br) flush_recycles(r);
	/* io_uring_submit makes no syscall when nothing is queued and the kernel
	 * has not flagged pending task work (IORING_SQ_TASKRUN) or a CQ overflow;
	 * when it enters for those flags it also gets events. */
	int ret = io_uring_submit(ring);
	if (ret < 0 && !transient(ret)) return ret;
	if (min_complete > 0 && timeout_ms != 0 && io_uring_cq_ready(ring) < min_complete)
		ret = enter_getevents(r, min_complete, timeout_ms);
	else if (kernel_wants_enter(ring))
		ret = enter_getevents(r, 0, 0);
	uint32_t n = 0;
	unsigned head;
	struct io_uring_cqe *cqe;
	int32_t *out = r->cqes;
	io_uring_for_each_cqe(ring, head, cqe)
	{
		if (n == r->cqe_cap) break;
		uint32_t f = cqe->flags;
		int32_t bid = -1;
		if (f & IORING_CQE_F_BUFFER) {
			bid = (int32_t)(f >> IORING_CQE_BUFFER_SHIFT);
			if (r->held && (uint32_t)bid < r->buf_count)
				r->held[bid >> 6] |= 1ull << (bid & 63);
		}
		out[0] = (int32_t)(uint32_t)cqe->user_data;
		out[1] = cqe->res;
		out[2] = (int32_t)(f & 0xffff);
		out[3] = bid;
		out += 4;
		n++;
	}
	io_uring_cq_advance(ring, n);
	if (n == 0 && ret < 0 && !transient(ret)) return ret;
	return (int32_t)n;
}

void *sk_cqe_base(int32_t h)
{
	struct sk_ring *r = get(h);
	return r ? r->cqes : NULL;
}

uint32_t sk_cqe_capacity(int32_t h)
{
	struct sk_ring *r = get(h);
	return r ? r->cqe_cap : 0;
}
