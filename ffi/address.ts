/**
 * Buffers by their native address, so that the shards of one process (Workers, each with its
 * own V8 isolate) can read and write a big value where it lies instead of copying it through
 * a ring. A view made from an address does not keep the memory alive: the isolate that owns
 * the buffer must hold it until the other side says it is done (src/shard/lend.ts).
 */

let granted: boolean | undefined;

/** Whether addresses can be taken here (Deno's FFI permission is granted). */
export function addressesAvailable(): boolean {
  if (granted === undefined) {
    try {
      granted = Deno.permissions.querySync({ name: "ffi" }).state === "granted" &&
        typeof Deno.UnsafePointer?.of === "function";
    } catch {
      granted = false;
    }
  }
  return granted;
}

/**
 * The native address of a JS buffer, to take ONCE per buffer (~0.2-0.5 µs).
 * Use a buffer made from `new ArrayBuffer(n)` (always off-heap, never moved
 * by the GC) and keep a reference to it while a request uses it.
 */
export function pointerOf(buf: ArrayBuffer | ArrayBufferView): Deno.PointerValue {
  return Deno.UnsafePointer.of(buf as BufferSource);
}

/** The address of `b`'s first byte (an off-heap buffer: a big one never moves). */
export function addressOf(b: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(pointerOf(b)));
}

/** A view of `len` bytes at `addr`, memory this isolate does not own. */
export function viewAt(addr: bigint, len: number): Uint8Array {
  const p = Deno.UnsafePointer.create(addr);
  if (p === null) throw new RangeError("null address");
  return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, len));
}
