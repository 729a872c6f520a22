/**
 * The collection value that reads and writes a small collection's blob in place, by type: each
 * family's class answers for its compact encoding (listpack, intset) through a Blob.
 */
import type { Blob } from "./blob.ts";
import { type CollectionValue, TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_ZSET } from "./types.ts";
import { HashValue } from "./hash.ts";
import { ListValue } from "./list.ts";
import { SetValue } from "./set.ts";
import { ZSetValue } from "./zset.ts";

export function blobView(type: number, b: Blob): CollectionValue {
  if (type === TYPE_HASH) return HashValue.view(b);
  if (type === TYPE_LIST) return ListValue.view(b);
  if (type === TYPE_SET) return SetValue.view(b, b.format);
  if (type === TYPE_ZSET) return new ZSetValue(b);
  throw new Error(`no compact encoding for type ${type} (blob ${b.ref})`);
}
