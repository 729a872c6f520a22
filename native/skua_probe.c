/*
 * sk_probe: does io_uring work here with every feature the reactor uses?
 * It exercises them for real on a throwaway ring over loopback TCP, because
 * version numbers lie (distribution backports, seccomp filters, sysctls).
 * On failure, sk_last_error() says why, in words an operator can act on.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "skua_internal.h"
#include "skua_uring.h"

#define UD_ACCEPT 1
#define UD_RECV 2
#define UD_CANCEL 3

static int sysctl_io_uring_disabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	int v = 0;
	if (!f) return 0; /* sysctl predates 6.6: not disabled that way */
	if (fscanf(f, "%d", &v) != 1) v = 0;
	fclose(f);
	return v;
}

static int explain_setup_failure(int ret)
{
	int disabled = sysctl_io_uring_disabled();
	if (ret == -EPERM && disabled == 2)
		sk_set_error("io_uring disabled (kernel.io_uring_disabled=2)");
	else if (ret == -EPERM && disabled == 1)
		sk_set_error("io_uring restricted to kernel.io_uring_group "
			     "(kernel.io_uring_disabled=1)");
	else if (ret == -EPERM)
		sk_set_error("io_uring_setup: Operation not permitted (seccomp or container policy?)");
	else if (ret == -ENOSYS)
		sk_set_error("io_uring_setup: Function not implemented (kernel without io_uring, "
			     "or blocked by seccomp)");
	else if (ret == -ENOMEM)
		sk_set_error("io_uring_setup: Cannot allocate memory (RLIMIT_MEMLOCK too low?)");
	else
		sk_set_error("io_uring_setup: %s", strerror(-ret));
	return ret;
}

/* Wait (bounded) for the CQE carrying user_data `ud`; others are skipped. */
static int wait_for(struct io_uring *ring, uint64_t ud, int *res, unsigned *flags)
{
	struct __kernel_timespec ts = {.tv_sec = 2, .tv_nsec = 0};
	for (;;) {
		struct io_uring_cqe *cqe;
		int ret = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, NULL);
		if (ret < 0 && ret != -EINTR) return ret;
		if (ret < 0 || !cqe) continue;
		uint64_t got = cqe->user_data;
		*res = cqe->res;
		*flags = cqe->flags;
		io_uring_cqe_seen(ring, cqe);
		if (got == ud) return 0;
	}
}

static int check_opcodes(struct io_uring *ring)
{
	static const struct {
		int op;
		const char *name;
	} ops[] = {
		{IORING_OP_ACCEPT, "ACCEPT"}, {IORING_OP_RECV, "RECV"},
		{IORING_OP_SEND, "SEND"}, {IORING_OP_READ, "READ"},
		{IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"}, {IORING_OP_CLOSE, "CLOSE"},
	};
	struct io_uring_probe *p = io_uring_get_probe_ring(ring);
	if (!p) {
		sk_set_error("kernel cannot list io_uring opcodes (IORING_REGISTER_PROBE)");
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (!io_uring_opcode_supported(p, ops[i].op)) {
			sk_set_error("kernel lacks io_uring opcode %s", ops[i].name);
			io_uring_free_probe(p);
			return -EINVAL;
		}
	}
	io_uring_free_probe(p);
	return 0;
}

/* Multishot accept, multishot recv into a provided buffer, cancel by fd. */
static int check_flow(struct io_uring *ring, int lfd, const char *bufs)
{
	int res, cfd = -1, afd = -1, ret;
	unsigned fl;
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	getsockname(lfd, (struct sockaddr *)&sa, &sl);

	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
	sqe->user_data = UD_ACCEPT;
	io_uring_submit(ring);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&sa, sl) < 0) {
		sk_set_error("probe: loopback connect failed: %s", strerror(errno));
		ret = -errno;
		goto out;
	}
	if ((ret = wait_for(ring, UD_ACCEPT, &res, &fl)) < 0) goto timeout;
	if (res < 0 || !(fl & IORING_CQE_F_MORE)) {
		sk_set_error("kernel lacks multishot accept (Linux 5.19+): %s",
			     res < 0 ? strerror(-res) : "no IORING_CQE_F_MORE");
		ret = res < 0 ? res : -EINVAL;
		goto out;
	}
	afd = res;
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_recv_multishot(sqe, afd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 0;
	sqe->user_data = UD_RECV;
	io_uring_submit(ring);
	if (write(cfd, "ping", 4) != 4) {
		ret = -errno;
		sk_set_error("probe: loopback write failed");
		goto out;
	}
	if ((ret = wait_for(ring, UD_RECV, &res, &fl)) < 0) goto timeout;
	if (res != 4 || !(fl & IORING_CQE_F_BUFFER) || !(fl & IORING_CQE_F_MORE) ||
	    memcmp(bufs + (fl >> IORING_CQE_BUFFER_SHIFT) * 64, "ping", 4) != 0) {
		sk_set_error("kernel lacks multishot recv with provided buffers (Linux 6.0+): %s",
			     res < 0 ? strerror(-res) : "unexpected completion");
		ret = res < 0 ? res : -EINVAL;
		goto out;
	}
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_cancel_fd(sqe, afd, IORING_ASYNC_CANCEL_ALL);
	sqe->user_data = UD_CANCEL;
	io_uring_submit(ring);
	if ((ret = wait_for(ring, UD_CANCEL, &res, &fl)) < 0) goto timeout;
	if (res < 1) {
		sk_set_error("kernel lacks IORING_ASYNC_CANCEL_FD (Linux 5.19+): %s",
			     strerror(res < 0 ? -res : ENOENT));
		ret = res < 0 ? res : -EINVAL;
		goto out;
	}
	ret = 0;
	goto out;
timeout:
	sk_set_error("probe: %s while waiting for a completion",
		     ret == -ETIME ? "timed out" : strerror(-ret));
out:
	if (cfd >= 0) close(cfd);
	if (afd >= 0) close(afd);
	return ret;
}

int32_t sk_probe(void)
{
	struct io_uring ring;
	int ret = io_uring_queue_init(8, &ring, 0);
	if (ret < 0) return explain_setup_failure(ret);
	if (!(ring.features & IORING_FEAT_EXT_ARG)) {
		io_uring_queue_exit(&ring);
		sk_set_error("kernel lacks IORING_FEAT_EXT_ARG (Linux 5.11+)");
		return -EINVAL;
	}
	if ((ret = check_opcodes(&ring)) < 0) {
		io_uring_queue_exit(&ring);
		return ret;
	}
	/* Two 64-byte provided buffers in group 0. */
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *mem = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		io_uring_queue_exit(&ring);
		return -ENOMEM;
	}
	struct io_uring_buf_ring *br = mem;
	char *bufs = (char *)mem + pg;
	struct io_uring_buf_reg reg;
	memset(&reg, 0, sizeof reg);
	reg.ring_addr = (uint64_t)(uintptr_t)br;
	reg.ring_entries = 2;
	reg.bgid = 0;
	ret = io_uring_register_buf_ring(&ring, &reg, 0);
	if (ret < 0) {
		if (ret == -EINVAL)
			sk_set_error("kernel lacks provided buffer rings "
				     "(IORING_REGISTER_PBUF_RING needs Linux 5.19+)");
		else
			sk_set_error("IORING_REGISTER_PBUF_RING: %s", strerror(-ret));
		goto done;
	}
	io_uring_buf_ring_init(br);
	for (int i = 0; i < 2; i++) io_uring_buf_ring_add(br, bufs + i * 64, 64, (unsigned short)i, 1, i);
	io_uring_buf_ring_advance(br, 2);
	int lfd = sk_listen("127.0.0.1", 0, 4, 0);
	if (lfd < 0) {
		ret = lfd; /* sk_listen set the reason */
		goto done;
	}
	ret = check_flow(&ring, lfd, bufs);
	close(lfd);
	if (ret == 0) {
		/* The flags the reactor asks for; sk_ring_create falls back alone. */
		int32_t h = sk_ring_create(8, 0);
		if (h < 0) ret = h;
		else sk_ring_destroy(h);
	}
done:
	io_uring_queue_exit(&ring);
	munmap(mem, 2 * pg);
	return ret;
}
