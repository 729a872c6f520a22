/**
 * Typed wrapper over the io_uring shim: one `Uring` per shard thread.
 *
 * Every native region (completion array, provided buffers) is mapped into JS
 * views once, in the constructor, and reused for the life of the ring; the hot
 * methods are one synchronous FFI call or a typed-array read, with no
 * allocation.
 *
 * Typical loop:
 *   const n = ring.submitAndWait(0, 0);
 *   for (let i = 0; i < n; i++) {
 *     const tag = ring.tag(i), res = ring.res(i);
 *     if (ring.hasBuffer(i)) { parse(ring.bufs, ring.bufOffset(ring.bid(i)), res); ring.recycle(ring.bid(i)); }
 *     if (!ring.more(i)) { ...re-arm the multishot request... }
 *   }
 *
 * Rules the reactor must keep (details in native/skua_uring.h):
 * - Recycle every bid >= 0 exactly once, after its bytes are consumed or
 *   copied; a recv with res <= 0 carries no buffer.
 * - A completion without F_MORE ends a multishot request: re-arm it unless
 *   the connection is closing (-ENOBUFS: recycle first; the data waits).
 * - Closing an fd does not end the requests that hold it: prepCancelFd, then
 *   prepClose, in one batch. Completions for the old tag can still arrive
 *   after that, so a connection slot is reusable only after its last
 *   F_MORE-less recv completion (or put a generation in the tag).
 * - All calls on a ring come from the thread that created it.
 */
import { lastError } from "./uring_load.ts";
import {
  CQE_F_BUFFER,
  CQE_F_MORE,
  LISTEN_BIND_ONLY,
  LISTEN_REUSEPORT,
  LISTEN_V6ONLY,
  RING_PLAIN,
  SETUP_FLAG_NAMES,
  type UringLib,
  type UringSymbols,
} from "./uring_symbols.ts";

export { lastError, loadUring, probeUring } from "./uring_load.ts";
export { pointerOf } from "./address.ts";
export * from "./uring_symbols.ts";

export interface UringOptions {
  /** SQ entries (CQ gets 4x). Default 256. */
  entries?: number;
  /** Provided buffers, a power of two <= 32768. Default 128. */
  bufCount?: number;
  /** Bytes per provided buffer. Default 16384. */
  bufSize?: number;
  /** Buffer group id. Default 0. */
  bgid?: number;
  /** Don't ask for SINGLE_ISSUER/DEFER_TASKRUN/COOP_TASKRUN. */
  plain?: boolean;
}

export class Uring {
  readonly handle: number;
  readonly bgid: number;
  readonly bufCount: number;
  readonly bufSize: number;
  /** IORING_SETUP_* flags the kernel accepted (see setupFlagNames). */
  readonly setupFlags: number;
  /** Completion array: entry i is words [4i .. 4i+3] = tag, res, flags, bid. */
  readonly cq: Int32Array;
  /** The same memory unsigned, for tags >= 2^31. */
  readonly cqU: Uint32Array;
  readonly cqCapacity: number;
  /** All provided buffers: buffer `bid` starts at `bid * bufSize`. */
  readonly bufs: Uint8Array;
  readonly #s: UringSymbols;
  readonly #h: number;
  #open = true;

  constructor(lib: UringLib, opts: UringOptions = {}) {
    const s = lib.symbols;
    this.#s = s;
    this.bgid = opts.bgid ?? 0;
    this.bufCount = opts.bufCount ?? 128;
    this.bufSize = opts.bufSize ?? 16384;
    const h = s.sk_ring_create(opts.entries ?? 256, opts.plain ? RING_PLAIN : 0);
    if (h < 0) throw new Error(`io_uring ring: ${lastError(lib)}`);
    const rc = s.sk_bufring_setup(h, this.bgid, this.bufCount, this.bufSize);
    if (rc < 0) {
      const why = lastError(lib);
      s.sk_ring_destroy(h);
      throw new Error(`io_uring buffer ring: ${why}`);
    }
    this.handle = this.#h = h;
    this.setupFlags = s.sk_ring_setup_flags(h);
    this.cqCapacity = s.sk_cqe_capacity(h);
    const cqAb = Deno.UnsafePointerView.getArrayBuffer(s.sk_cqe_base(h)!, this.cqCapacity * 16);
    this.cq = new Int32Array(cqAb);
    this.cqU = new Uint32Array(cqAb);
    const bufAb = Deno.UnsafePointerView.getArrayBuffer(
      s.sk_bufring_base(h)!,
      this.bufCount * this.bufSize,
    );
    this.bufs = new Uint8Array(bufAb);
  }

  /** Names of the accepted setup flags, for the startup log line. */
  setupFlagNames(): string[] {
    return SETUP_FLAG_NAMES.filter(([bit]) => (this.setupFlags & bit) !== 0).map(([, n]) => n);
  }

  /**
   * Publishes recycled buffers, submits queued SQEs, waits for `min`
   * completions (timeoutMs < 0: forever; 0: don't wait) and copies up to
   * cqCapacity completions into `cq`. Returns their count, or -errno for a
   * real failure (a timeout or signal is just 0). With nothing queued and no
   * kernel work pending, a (0, 0) call makes no syscall.
   */
  submitAndWait(min: number, timeoutMs: number): number {
    return this.#s.sk_submit_and_wait(this.#h, min, timeoutMs);
  }

  tag(i: number): number {
    return this.cqU[i << 2];
  }
  res(i: number): number {
    return this.cq[(i << 2) + 1];
  }
  flags(i: number): number {
    return this.cq[(i << 2) + 2];
  }
  /** Provided-buffer id of completion i, or -1. */
  bid(i: number): number {
    return this.cq[(i << 2) + 3];
  }
  /** The multishot request that produced completion i is still armed. */
  more(i: number): boolean {
    return (this.cq[(i << 2) + 2] & CQE_F_MORE) !== 0;
  }
  hasBuffer(i: number): boolean {
    return (this.cq[(i << 2) + 2] & CQE_F_BUFFER) !== 0;
  }

  /** Offset of buffer `bid` in `bufs`. */
  bufOffset(bid: number): number {
    return bid * this.bufSize;
  }
  /** A view of buffer `bid` (allocates a subarray: prefer bufs + bufOffset). */
  bufferView(bid: number, len: number): Uint8Array {
    const off = bid * this.bufSize;
    return this.bufs.subarray(off, off + len);
  }
  /**
   * Gives buffer `bid` back to the kernel (published at the next
   * submitAndWait). Its bytes must not be read afterwards. Returns 0, or
   * -EALREADY when the kernel already owns it (double recycle, ignored).
   */
  recycle(bid: number): number {
    return this.#s.sk_buf_recycle(this.#h, bid);
  }

  prepAcceptMultishot(fd: number, tag: number): number {
    return this.#s.sk_prep_accept_multishot(this.#h, fd, tag);
  }
  prepRecvMultishot(fd: number, tag: number): number {
    return this.#s.sk_prep_recv_multishot(this.#h, fd, this.bgid, tag);
  }
  /** `base` from pointerOf(buffer), taken once; the bytes must stay put until the completion. */
  prepSend(fd: number, base: Deno.PointerValue, off: number, len: number, tag: number): number {
    return this.#s.sk_prep_send(this.#h, fd, base, off, len, tag);
  }
  prepRead(fd: number, base: Deno.PointerValue, off: number, len: number, tag: number): number {
    return this.#s.sk_prep_read(this.#h, fd, base, off, len, tag);
  }
  /** A recv of up to `len` bytes into base+off: what the socket holds (0 at EOF). */
  prepRecv(fd: number, base: Deno.PointerValue, off: number, len: number, tag: number): number {
    return this.#s.sk_prep_recv(this.#h, fd, base, off, len, tag);
  }
  /** Cancels the request tagged `target` (it posts -ECANCELED). */
  prepCancelTag(target: number, tag: number): number {
    return this.#s.sk_prep_cancel_tag(this.#h, target, tag);
  }
  /** Cancels every request on fd; each posts -ECANCELED, this one the count. */
  prepCancelFd(fd: number, tag: number): number {
    return this.#s.sk_prep_cancel_fd(this.#h, fd, tag);
  }
  prepClose(fd: number, tag: number): number {
    return this.#s.sk_prep_close(this.#h, fd, tag);
  }

  /**
   * Closes the ring (cancelling what is in flight) and frees the native
   * memory. `cq` and `bufs` must not be touched afterwards: they point at
   * unmapped memory.
   */
  destroy(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#s.sk_ring_destroy(this.#h);
  }
}

export interface ListenOptions {
  backlog?: number;
  reusePort?: boolean;
  v6Only?: boolean;
}

/** A non-blocking listening socket; throws with the reason on failure. */
export function listenFd(lib: UringLib, host: string, port: number, o: ListenOptions = {}): number {
  const name = new TextEncoder().encode(host + "\0");
  const flags = (o.reusePort ? LISTEN_REUSEPORT : 0) | (o.v6Only ? LISTEN_V6ONLY : 0);
  const fd = lib.symbols.sk_listen(name, port, o.backlog ?? 511, flags);
  if (fd < 0) throw new Error(lastError(lib));
  return fd;
}

/**
 * Is `host:port` free to listen on? Binds a socket there without listening, and closes it: 0
 * when free, else the errno (the shim's last error says more). Unlike a listener, it never
 * takes a client's handshake.
 */
export function probePort(lib: UringLib, host: string, port: number): number {
  const name = new TextEncoder().encode(host + "\0");
  const fd = lib.symbols.sk_listen(name, port, 0, LISTEN_BIND_ONLY);
  if (fd < 0) return -fd;
  lib.symbols.sk_close(fd);
  return 0;
}

const addrBuf = new Uint8Array(64);
const latin1 = new TextDecoder("latin1");

/** "ip:port" ("[ip]:port" for IPv6) of the peer, or "" if unknown. */
export function peerAddr(lib: UringLib, fd: number): string {
  const n = lib.symbols.sk_peer_addr(fd, addrBuf, addrBuf.length);
  return n > 0 ? latin1.decode(addrBuf.subarray(0, n)) : "";
}

/** "ip:port" of the local end, or "" if unknown. */
export function localAddr(lib: UringLib, fd: number): string {
  const n = lib.symbols.sk_local_addr(fd, addrBuf, addrBuf.length);
  return n > 0 ? latin1.decode(addrBuf.subarray(0, n)) : "";
}
