/**
 * What values cost. A key with a string value is one arena block, counted exactly (a big one
 * adds its own buffer); so is a small collection, whose compact encoding is a second block
 * (its blob), counted by the arena and never here. A large collection is a JS object graph,
 * so its cost is estimated the way Redis's MEMORY USAGE estimates one: the average size of a
 * few sampled elements times the element count, plus what V8 spends per element for the
 * structure.
 */
import { TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_STRING, TYPE_ZSET } from "./types.ts";
import type { BigString } from "./big_string.ts";
import type { CollectionValue, StringValue } from "./types.ts";
import type { ListValue } from "./list.ts";
import type { HashValue } from "./hash.ts";
import type { SetValue } from "./set.ts";
import type { ZSetValue } from "./zset.ts";

/** Redis's MEMORY USAGE default sample count. */
export const DEFAULT_SAMPLES = 5;

/** V8's cost of a one-byte string of n chars: a 16-byte header, the chars, 8-byte aligned. */
function strBytes(v: StringValue): number {
  if (typeof v !== "string") return 64 + v.length;
  return 16 + ((v.length + 7) & ~7);
}

/** a quicklist node's buffer object and its slot in the ring of nodes */
const LIST_NODE = 120;
/** Per element beyond its strings: array slots, Map entries (measured on V8). */
const HASH_ENTRY = 40;
/**
 * Per element of a large sorted set beyond its member string: the dense member, score and hash
 * arrays, the hash index and the tree's leaves and inner nodes (measured: 62 bytes with 1M
 * members, heap and array buffers).
 */
const ZSET_ENTRY = 62;
/** the object itself and its empty containers */
const BASE = 200;

/** The estimated bytes of a collection, from up to `samples` of its elements (0: all). */
export function objectBytes(type: number, obj: CollectionValue, samples = DEFAULT_SAMPLES): number {
  // a string in its own buffer: the buffer, exactly
  if (type === TYPE_STRING) return 64 + (obj as BigString).bytes.byteLength;
  const n = obj.size;
  if (n === 0) return BASE;
  const take = samples <= 0 ? n : Math.min(samples, n);
  let sum = 0;
  let per = 0;
  switch (type) {
    case TYPE_LIST: {
      // a list's elements are bytes in its quicklist nodes: counted exactly
      const l = obj as ListValue;
      return BASE + l.bufferBytes() + l.nodeCount * LIST_NODE;
    }
    case TYPE_HASH: {
      const h = obj as HashValue;
      // a hashtable keeps its fields in typed arrays and a byte pool: counted exactly
      if (h.tableBytes >= 0) return BASE + h.tableBytes;
      const fs: string[] = [], vs: StringValue[] = [];
      h.scan(0, take, fs, vs);
      const m = Math.min(take, fs.length) || 1;
      for (let i = 0; i < m && i < fs.length; i++) sum += strBytes(fs[i]) + strBytes(vs[i]);
      return BASE + n * (HASH_ENTRY + sum / m);
    }
    case TYPE_SET: {
      // a set's members are bytes in its own typed arrays: counted exactly
      return BASE + (obj as SetValue).ownBytes();
    }
    case TYPE_ZSET: {
      const z = obj as ZSetValue;
      for (let i = 0; i < take; i++) sum += strBytes(z.members[Math.floor((i * n) / take)]);
      per = ZSET_ENTRY;
      break;
    }
  }
  return BASE + n * (per + sum / take);
}
