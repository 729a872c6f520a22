/**
 * Byte <-> latin1 string helpers. Keys are held as one-byte JS strings (one char per byte):
 * compact in V8, good Map keys, and binary-safe. Never UTF-8 decode client bytes.
 */
import { Buffer } from "node:buffer";

interface Latin1Proto {
  latin1Slice(this: Uint8Array, start: number, end: number): string;
  latin1Write(this: Uint8Array, s: string, offset: number, length: number): number;
}
const proto = Buffer.prototype as unknown as Latin1Proto;
const slice = proto.latin1Slice;

/** Bytes as a one-char-per-byte string (native, no per-char loop). */
export function latin1(b: Uint8Array): string {
  return slice.call(b, 0, b.length);
}

/** b[start, end) as a one-char-per-byte string (native, no per-char loop, no subarray). */
export function latin1Range(b: Uint8Array, start: number, end: number): string {
  return slice.call(b, start, end);
}

/** A received argument as a stored string value (copied out of the receive buffer). */
export function toValue(b: Uint8Array): string | Uint8Array {
  return b.length <= 256 * 1024 * 1024 ? slice.call(b, 0, b.length) : b.slice();
}

/** A stored string value as bytes. */
export function valueBytes(v: string | Uint8Array): Uint8Array {
  return typeof v === "string" ? fromLatin1(v) : v;
}

/** A one-char-per-byte string back to bytes (chars above 0xff are truncated to 8 bits). */
export function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** UTF-8 text (error messages, INFO) to bytes. */
const enc = new TextEncoder();
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

/** Case-insensitive compare of raw bytes with a lower-case ASCII word. */
export function eqi(b: Uint8Array, lower: string): boolean {
  if (b.length !== lower.length) return false;
  for (let i = 0; i < b.length; i++) {
    let c = b[i];
    if (c >= 65 && c <= 90) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Lower-case ASCII view of an argument, as a string (for option parsing; not the hot path). */
export function lowerArg(b: Uint8Array): string {
  return latin1(b).toLowerCase();
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The first `argc` arguments, copied into one buffer of their own (one allocation). */
export function copyArgs(argv: Uint8Array[], argc: number): Uint8Array[] {
  let bytes = 0;
  for (let i = 0; i < argc; i++) bytes += argv[i].length;
  const buf = new Uint8Array(bytes);
  const out: Uint8Array[] = new Array(argc);
  for (let i = 0, off = 0; i < argc; i++) {
    buf.set(argv[i], off);
    out[i] = buf.subarray(off, off += argv[i].length);
  }
  return out;
}
