/*
 * Socket and eventfd helpers: the few syscalls the reactor makes outside the
 * ring (listen, addresses, TCP_NODELAY, the cross-thread wake).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "skua_internal.h"
#include "skua_uring.h"

/* Parse an IPv4/IPv6 literal ("" and "*" mean 0.0.0.0, "localhost" means
 * 127.0.0.1, "[::1]" is accepted) into *ss. Returns the address length or 0. */
static socklen_t parse_host(const char *host, uint32_t port, struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN + 2];
	if (!host || !*host || !strcmp(host, "*")) host = "0.0.0.0";
	if (!strcmp(host, "localhost")) host = "127.0.0.1";
	size_t n = strlen(host);
	if (n >= sizeof buf) return 0;
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = 0;
	} else {
		memcpy(buf, host, n + 1);
	}
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	if (inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		return sizeof *v4;
	}
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		return sizeof *v6;
	}
	return 0;
}

int32_t sk_listen(const char *host, uint32_t port, uint32_t backlog, uint32_t flags)
{
	struct sockaddr_storage ss;
	if (port > 65535) return -EINVAL;
	socklen_t len = parse_host(host, port, &ss);
	if (!len) {
		sk_set_error("listen: '%s' is not an IPv4/IPv6 address", host ? host : "");
		return -EINVAL;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		sk_set_error("socket: %s", strerror(e));
		return -e;
	}
	int one = 1;
	/* REUSEADDR: restart without waiting out TIME_WAIT. REUSEPORT: one
	 * listener per shard on the same port; the kernel spreads connections. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    ((flags & SK_LISTEN_REUSEPORT) &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) ||
	    (ss.ss_family == AF_INET6 && (flags & SK_LISTEN_V6ONLY) &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)) {
		int e = errno;
		sk_set_error("setsockopt: %s", strerror(e));
		close(fd);
		return -e;
	}
	/* BIND_ONLY: a probe for a port in use. A listener, even for a moment,
	 * would complete the handshake of a client trying the port meanwhile and
	 * then reset it. */
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (!(flags & SK_LISTEN_BIND_ONLY) && listen(fd, backlog ? (int)backlog : 511) < 0)) {
		int e = errno;
		sk_set_error("bind/listen %s port %u: %s", host ? host : "", port, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

int32_t sk_set_nodelay(int32_t fd)
{
	int one = 1;
	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 ? -errno : 0;
}

int32_t sk_set_keepalive(int32_t fd, int32_t secs)
{
	int val = secs > 0;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &val, sizeof val) < 0) return -errno;
	if (secs <= 0) return 0;
#ifdef __linux__
	/* Redis's anetKeepAlive: probes after `secs` idle, then every secs/3,
	 * the connection dropped after 3 unanswered ones. */
	val = secs;
	if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &val, sizeof val) < 0) return -errno;
	val = secs / 3;
	if (val == 0) val = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &val, sizeof val) < 0) return -errno;
	val = 3;
	if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &val, sizeof val) < 0) return -errno;
#endif
	return 0;
}

int32_t sk_send_now(int32_t fd, const void *buf, uint32_t len)
{
	ssize_t n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	return n < 0 ? -errno : (int32_t)n;
}

/* "ip:port" for IPv4 (also for IPv4-mapped IPv6 peers of a dual-stack
 * listener), "[ip]:port" for IPv6, as Redis formats addresses. */
static int32_t format_addr(const struct sockaddr_storage *ss, char *out, uint32_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	unsigned port;
	int bracket = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof ip);
		port = ntohs(v4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
			inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], ip, sizeof ip);
		} else {
			inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof ip);
			bracket = 1;
		}
		port = ntohs(v6->sin6_port);
	} else {
		return -EAFNOSUPPORT;
	}
	int n = snprintf(out, cap, bracket ? "[%s]:%u" : "%s:%u", ip, port);
	return n < 0 || (uint32_t)n >= cap ? -ENOSPC : n;
}

int32_t sk_peer_addr(int32_t fd, char *out, uint32_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) return -errno;
	return format_addr(&ss, out, cap);
}

int32_t sk_local_addr(int32_t fd, char *out, uint32_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -errno;
	return format_addr(&ss, out, cap);
}

int32_t sk_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int32_t sk_eventfd_write(int32_t fd)
{
	uint64_t one = 1;
	if (write(fd, &one, sizeof one) == (ssize_t)sizeof one) return 0;
	/* EAGAIN: the counter is saturated, so a wake is already pending. */
	return errno == EAGAIN ? 0 : -errno;
}

int32_t sk_close(int32_t fd) { return close(fd) < 0 ? -errno : 0; }
