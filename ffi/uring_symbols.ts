/**
 * Deno.dlopen symbol table for native/build/libskua_uring.so (API documented in
 * native/skua_uring.h) and the constants that go with it.
 *
 * Every symbol is a synchronous call with i32/u32/pointer/buffer parameters only:
 * a 64-bit parameter or `nonblocking: true` would take Deno's slow FFI paths.
 */

/** Must equal SK_ABI_VERSION in native/skua_uring.h. */
export const ABI_VERSION = 2;

export const SYMBOLS = {
  sk_abi_version: { parameters: [], result: "i32" },
  sk_last_error: { parameters: ["buffer", "u32"], result: "i32" },
  sk_probe: { parameters: [], result: "i32" },

  sk_ring_create: { parameters: ["u32", "u32"], result: "i32" },
  sk_ring_destroy: { parameters: ["i32"], result: "i32" },
  sk_ring_setup_flags: { parameters: ["i32"], result: "i32" },

  sk_bufring_setup: { parameters: ["i32", "u32", "u32", "u32"], result: "i32" },
  sk_bufring_base: { parameters: ["i32"], result: "pointer" },
  sk_buf_recycle: { parameters: ["i32", "u32"], result: "i32" },

  sk_prep_accept_multishot: { parameters: ["i32", "i32", "u32"], result: "i32" },
  sk_prep_recv_multishot: { parameters: ["i32", "i32", "u32", "u32"], result: "i32" },
  sk_prep_send: { parameters: ["i32", "i32", "pointer", "u32", "u32", "u32"], result: "i32" },
  sk_prep_read: { parameters: ["i32", "i32", "pointer", "u32", "u32", "u32"], result: "i32" },
  sk_prep_cancel_fd: { parameters: ["i32", "i32", "u32"], result: "i32" },
  sk_prep_recv: { parameters: ["i32", "i32", "pointer", "u32", "u32", "u32"], result: "i32" },
  sk_prep_cancel_tag: { parameters: ["i32", "u32", "u32"], result: "i32" },
  sk_prep_close: { parameters: ["i32", "i32", "u32"], result: "i32" },

  sk_submit_and_wait: { parameters: ["i32", "u32", "i32"], result: "i32" },
  sk_cqe_base: { parameters: ["i32"], result: "pointer" },
  sk_cqe_capacity: { parameters: ["i32"], result: "u32" },

  sk_listen: { parameters: ["buffer", "u32", "u32", "u32"], result: "i32" },
  sk_set_nodelay: { parameters: ["i32"], result: "i32" },
  sk_set_keepalive: { parameters: ["i32", "i32"], result: "i32" },
  sk_send_now: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  sk_peer_addr: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  sk_local_addr: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  sk_eventfd: { parameters: [], result: "i32" },
  sk_eventfd_write: { parameters: ["i32"], result: "i32" },
  sk_close: { parameters: ["i32"], result: "i32" },
  sk_errno: { parameters: [], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened shim. */
export type UringLib = Deno.DynamicLibrary<typeof SYMBOLS>;
/** Its callable symbols. */
export type UringSymbols = UringLib["symbols"];

/** sk_ring_create flag: skip SINGLE_ISSUER/DEFER_TASKRUN/COOP_TASKRUN. */
export const RING_PLAIN = 1;
/** sk_listen flags. */
export const LISTEN_REUSEPORT = 1;
export const LISTEN_V6ONLY = 2;
/** bind only, never listen (a probe for a port in use; an older shim listens, then it is closed) */
export const LISTEN_BIND_ONLY = 4;

/** Completion flags (IORING_CQE_F_*). */
export const CQE_F_BUFFER = 1;
export const CQE_F_MORE = 2;
export const CQE_F_SOCK_NONEMPTY = 4;

/** IORING_SETUP_* bits reported by sk_ring_setup_flags. */
export const SETUP_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [1 << 7, "SUBMIT_ALL"],
  [1 << 8, "COOP_TASKRUN"],
  [1 << 9, "TASKRUN_FLAG"],
  [1 << 12, "SINGLE_ISSUER"],
  [1 << 13, "DEFER_TASKRUN"],
];

/** Linux errno values the reactor reacts to (results are -errno). */
export const Errno = {
  ENOENT: 2,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  ENFILE: 23,
  EMFILE: 24,
  EPIPE: 32,
  ETIME: 62,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EALREADY: 114,
  ECANCELED: 125,
} as const;
