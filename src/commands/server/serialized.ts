/**
 * DEBUG OBJECT's `serializedlength`: what Redis 7.0's rdbSavedObjectLen counts for a value,
 * i.e. the bytes rdbSaveObject writes (the type byte excluded). Measured by writing the value
 * with the RDB codec itself (src/persist/rdb/value.ts), so it is exactly what DUMP and the RDB
 * file hold: listpack and intset blobs as their bytes, lists as their quicklist nodes, LZF
 * where `rdbcompression` applies. The quicklist facts (ql_*) come from the list's own nodes.
 */
import type { Db } from "../../store/keyspace.ts";
import type { ListValue } from "../../store/list.ts";
import type { ConfigStore } from "../../config/mod.ts";
import { RdbWriter } from "../../persist/rdb/writer.ts";
import { writeValue } from "../../persist/rdb/value.ts";

/** DEBUG OBJECT's extra fields of a quicklist. */
export interface QuicklistFacts {
  nodes: number;
  count: number;
  fill: number;
  compressed: boolean;
  uncompressed: number;
}

/** A list's quicklist nodes as DEBUG OBJECT reports them. */
export function quicklistFacts(list: ListValue, config: ConfigStore): QuicklistFacts {
  let uncompressed = 0;
  list.forEachNode((_buf, _start, bytes) => (uncompressed += bytes));
  return {
    nodes: list.nodeCount,
    count: list.size,
    fill: Number(config.value("list-max-listpack-size") ?? -2),
    compressed: (config.value("list-compress-depth") ?? "0") !== "0",
    uncompressed,
  };
}

/** Per-Worker scratch writer (emptied after each measure). */
const measure = new RdbWriter();

/** The serialized length of record `r` of `db` (`_int`: its string is int-encoded). */
export function serializedLength(db: Db, r: number, _int: boolean, config: ConfigStore): number {
  const w = measure;
  w.reset();
  w.compression = config.value("rdbcompression") !== "no";
  writeValue(w, db, r, config);
  const n = w.length - 1; // without the type byte
  w.drain(); // lets a huge value's buffer go
  return n;
}
