/**
 * A value read from RDB (rdb.c's rdbLoadObject of Redis 7.0), in the encoding Redis 7.0 would
 * give it: every type and encoding 7.0 writes or still loads (strings; lists as QUICKLIST_2,
 * QUICKLIST, LIST, LIST_ZIPLIST; sets as SET, SET_INTSET, and 7.2's SET_LISTPACK converted;
 * hashes as HASH, HASH_LISTPACK, HASH_ZIPLIST, HASH_ZIPMAP; sorted sets as ZSET_2, ZSET,
 * ZSET_LISTPACK, ZSET_ZIPLIST). Blobs are checked as deep sanitization would (blobs.ts), plus
 * what Skua's blob readers rely on (a sorted set's listpack in order, with valid scores).
 * Streams and modules are refused. The result is an EntryCopy's value (transfer.ts).
 */
import type { ConfigStore } from "../../config/mod.ts";
import {
  type StringValue,
  TYPE_HASH,
  TYPE_LIST,
  TYPE_SET,
  TYPE_STRING,
  TYPE_ZSET,
} from "../../store/types.ts";
import { BLOB_INTSET, BLOB_LISTPACK, ENC_AUTO } from "../../store/record.ts";
import { ListValue } from "../../store/list.ts";
import { QuickList } from "../../store/quicklist.ts";
import { HashValue } from "../../store/hash.ts";
import {
  compactBytes,
  compactIntset,
  compactListpack,
  isIntMember,
  SetValue,
} from "../../store/set.ts";
import { ZSetValue } from "../../store/zset.ts";
import { LpBuilder } from "../../store/listpack.ts";
import { latin1 } from "../../util/bytes.ts";
import { parseDoubleStr } from "../../util/numbers.ts";
import { RdbError, type RdbReader } from "./reader.ts";
import { d2string } from "./save_value.ts";
import { checkIntset, intsetValues, walkListpack, walkZiplist, walkZipmap } from "./blobs.ts";
import {
  type LoadedValue,
  QL_CONTAINER_PACKED,
  QL_CONTAINER_PLAIN,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_ZIPLIST,
  RDB_TYPE_HASH_ZIPMAP,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST,
  RDB_TYPE_MODULE,
  RDB_TYPE_MODULE_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_SET_LISTPACK,
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STREAM_LISTPACKS_3,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_TYPE_ZSET_ZIPLIST,
} from "./types.ts";

/** Thrown inside the readers for a collection with no elements (readValue answers it). */
class RdbEmptyKeyError extends RdbError {
  constructor() {
    super("empty keys are not allowed");
    this.name = "RdbEmptyKeyError";
  }
}

/** The encoding thresholds loading applies (read once per load from the config). */
export interface LoadLimits {
  hashEntries: number;
  hashValue: number;
  setIntsetEntries: number;
  zsetEntries: number;
  zsetValue: number;
}

/** The thresholds in `config` now. */
export function loadLimits(config: ConfigStore): LoadLimits {
  const n = (k: string, d: number) => Number(config.value(k) ?? d);
  return {
    hashEntries: n("hash-max-listpack-entries", 512),
    hashValue: n("hash-max-listpack-value", 64),
    setIntsetEntries: Math.min(n("set-max-intset-entries", 512), 1 << 30),
    zsetEntries: n("zset-max-listpack-entries", 128),
    zsetValue: n("zset-max-listpack-value", 64),
  };
}

/** Per-Worker cache of the last config's limits (re-read when its version moves). */
let cachedConfig: ConfigStore | null = null;
let cachedVersion = -1;
let cachedLimits: LoadLimits | null = null;

function limitsOf(src: ConfigStore | LoadLimits): LoadLimits {
  if (!("version" in src)) return src;
  if (src !== cachedConfig || src.version !== cachedVersion || cachedLimits === null) {
    cachedLimits = loadLimits(src);
    cachedConfig = src;
    cachedVersion = src.version;
  }
  return cachedLimits;
}

/** What readValue answers for a collection with no elements (see isEmptyLoaded). */
function emptyValue(rdbType: number): LoadedValue {
  return { type: rdbType, value: new Uint8Array(0), blob: false, enc: ENC_AUTO, empty: true };
}

/**
 * Whether readValue found a collection with no elements: Redis skips such a key when loading
 * a file (an older writer could leave one) and RESTORE answers "Bad data format".
 */
export function isEmptyLoaded(v: LoadedValue): boolean {
  return v.empty === true;
}

/**
 * Reads a value of RDB type `rdbType` (the type byte already read) as rdbLoadObject does,
 * with the encoding thresholds of `config` (or limits read once from it, loadLimits). Throws
 * RdbError on bad input; a collection with no elements comes back as a value isEmptyLoaded
 * says is one. `key` only names the key in errors.
 */
export function readValue(
  r: RdbReader,
  rdbType: number,
  config: ConfigStore | LoadLimits,
  key?: Uint8Array,
): LoadedValue {
  try {
    return readAny(r, rdbType, limitsOf(config), key);
  } catch (e) {
    if (e instanceof RdbEmptyKeyError) return emptyValue(rdbType);
    throw e;
  }
}

function readAny(r: RdbReader, rdbType: number, limits: LoadLimits, key?: Uint8Array): LoadedValue {
  switch (rdbType) {
    case RDB_TYPE_STRING:
      return { type: TYPE_STRING, value: r.string().slice(), blob: false, enc: ENC_AUTO };
    case RDB_TYPE_LIST:
      return readPlainList(r);
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2:
      return readQuicklist(r, rdbType === RDB_TYPE_LIST_QUICKLIST_2);
    case RDB_TYPE_LIST_ZIPLIST: {
      const elements: string[] = [];
      walkZiplist(r.string(), (e) => elements.push(e), "list ziplist");
      return listOf(elements);
    }
    case RDB_TYPE_SET:
      return readSet(r, limits);
    case RDB_TYPE_SET_INTSET: {
      const blob = r.string().slice();
      const n = checkIntset(blob);
      if (n > limits.setIntsetEntries) return hashtableSet(intsetValues(blob));
      return { type: TYPE_SET, value: blob, blob: true, enc: BLOB_INTSET };
    }
    case RDB_TYPE_SET_LISTPACK: {
      const members: string[] = [];
      walkListpack(r.string(), (m) => members.push(m), "set listpack");
      noDuplicates(members, 1, "set");
      return setOf(members, limits);
    }
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2:
      return readZset(r, rdbType === RDB_TYPE_ZSET_2, limits);
    case RDB_TYPE_ZSET_LISTPACK: {
      const blob = r.string().slice();
      const entries: string[] = [];
      walkListpack(blob, (e) => entries.push(e), "zset listpack");
      return zsetFromPairs(entries, limits, blob);
    }
    case RDB_TYPE_ZSET_ZIPLIST: {
      const entries: string[] = [];
      walkZiplist(r.string(), (e) => entries.push(e), "zset ziplist");
      return zsetFromPairs(entries, limits, null);
    }
    case RDB_TYPE_HASH:
      return readHash(r, limits);
    case RDB_TYPE_HASH_LISTPACK: {
      const blob = r.string().slice();
      const entries: string[] = [];
      walkListpack(blob, (e) => entries.push(e), "hash listpack");
      return hashFromPairs(entries, limits, blob, false);
    }
    case RDB_TYPE_HASH_ZIPLIST: {
      const entries: string[] = [];
      walkZiplist(r.string(), (e) => entries.push(e), "hash ziplist");
      return hashFromPairs(entries, limits, null, false);
    }
    case RDB_TYPE_HASH_ZIPMAP: {
      const entries: string[] = [];
      walkZipmap(r.string(), (e) => entries.push(e));
      return hashFromPairs(entries, limits, null, true);
    }
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
    case RDB_TYPE_STREAM_LISTPACKS_3:
      throw new RdbError(`${named(key)}holds a stream (RDB type ${rdbType}): Skua has no streams`);
    case RDB_TYPE_MODULE:
    case RDB_TYPE_MODULE_2:
      throw new RdbError(
        `${named(key)}holds a module value (RDB type ${rdbType}): Skua has no modules`,
      );
  }
  throw new RdbError(`unknown RDB encoding type ${rdbType}`);
}

function named(key: Uint8Array | undefined): string {
  return key === undefined ? "the value " : `key '${latin1(key)}' `;
}

/** A listpack header's count when it does not say (65535 or more entries). */
const LP_COUNT_UNKNOWN = 65535;

/**
 * A listpack kept as a blob with its header's count filled in (`count` < 65535): Redis's
 * lpLength fills an unknown count in as well, and the store's readers take it from there.
 */
function withCount(lp: Uint8Array, count: number): Uint8Array {
  lp[4] = count & 255;
  lp[5] = count >> 8;
  return lp;
}

// ---- lists

/** Per-Worker scratch for listpacks built while loading. */
const lp = new LpBuilder();

/** RDB_TYPE_LIST: a count, then every element (quicklistPushTail each). */
function readPlainList(r: RdbReader): LoadedValue {
  const n = r.count(1, "list element");
  if (n === 0) throw new RdbEmptyKeyError();
  const elements: StringValue[] = [];
  for (let i = 0; i < n; i++) elements.push(latin1(r.string()));
  return listOf(elements);
}

/** A list of `elements` pushed at the tail one by one: a blob while they fit one node. */
function listOf(elements: StringValue[]): LoadedValue {
  if (elements.length === 0) throw new RdbEmptyKeyError();
  const list = new ListValue();
  for (const e of elements) list.pushBack(e);
  if (list.nodeCount === 1 && list.size < LP_COUNT_UNKNOWN) {
    let blob: Uint8Array | null = null;
    list.forEachNode((buf, start, bytes) => (blob = buf.slice(start, start + bytes)));
    return { type: TYPE_LIST, value: blob!, blob: true, enc: BLOB_LISTPACK };
  }
  return { type: TYPE_LIST, value: list, blob: false, enc: ENC_AUTO };
}

/** QUICKLIST (ziplist nodes) and QUICKLIST_2 (container + listpack nodes), node layout kept. */
function readQuicklist(r: RdbReader, v2: boolean): LoadedValue {
  const n = r.count(2, "quicklist node");
  if (n === 0) throw new RdbEmptyKeyError();
  const nodes: Uint8Array[] = [], counts: number[] = [];
  for (let i = 0; i < n; i++) {
    let container = QL_CONTAINER_PACKED;
    if (v2) {
      container = r.len();
      if (container !== QL_CONTAINER_PACKED && container !== QL_CONTAINER_PLAIN) {
        throw new RdbError("quicklist integrity check failed");
      }
    }
    const data = r.string();
    if (data.length === 0) throw new RdbError("empty quicklist node");
    if (container === QL_CONTAINER_PLAIN) {
      // a plain node holds one huge element: Skua keeps it in a listpack node of its own
      lp.begin();
      lp.add(latin1(data));
      nodes.push(lp.buf.slice(0, lp.end()));
      counts.push(1);
      continue;
    }
    if (v2) {
      const node = data.slice();
      const c = walkListpack(node, null);
      if (c === 0) continue; // skipped, as Redis does
      nodes.push(node);
      counts.push(c);
    } else {
      lp.begin();
      walkZiplist(data, (e) => lp.add(e), "quicklist ziplist");
      if (lp.count === 0) continue;
      counts.push(lp.count);
      nodes.push(lp.buf.slice(0, lp.end()));
    }
  }
  if (nodes.length === 0) throw new RdbEmptyKeyError();
  if (nodes.length === 1 && counts[0] < LP_COUNT_UNKNOWN) {
    return {
      type: TYPE_LIST,
      value: withCount(nodes[0], counts[0]),
      blob: true,
      enc: BLOB_LISTPACK,
    };
  }
  return {
    type: TYPE_LIST,
    value: new ListValue(0, QuickList.fromNodes(nodes, counts)),
    blob: false,
    enc: ENC_AUTO,
  };
}

// ---- sets

function readSet(r: RdbReader, limits: LoadLimits): LoadedValue {
  const n = r.count(1, "set member");
  if (n === 0) throw new RdbEmptyKeyError();
  const members: string[] = [];
  for (let i = 0; i < n; i++) members.push(latin1(r.string()));
  noDuplicates(members, 1, "set");
  return setOf(members, limits);
}

/** Distinct members: an intset while Redis's rules allow one, else a hashtable set. */
function setOf(members: string[], limits: LoadLimits): LoadedValue {
  if (members.length === 0) throw new RdbEmptyKeyError();
  if (members.length <= limits.setIntsetEntries && members.every(isIntMember)) {
    SetValue.fromMembers(members, true).encodeCompact();
    return {
      type: TYPE_SET,
      value: compactIntset.buf.slice(0, compactBytes),
      blob: true,
      enc: BLOB_INTSET,
    };
  }
  return hashtableSet(members);
}

/** A hashtable set: Skua's listpack blob while small (set.ts), else an object. */
function hashtableSet(members: string[]): LoadedValue {
  const s = SetValue.fromMembers(members, false);
  if (s.encodeCompact() === BLOB_LISTPACK) {
    return {
      type: TYPE_SET,
      value: compactListpack.buf.slice(0, compactBytes),
      blob: true,
      enc: BLOB_LISTPACK,
    };
  }
  return { type: TYPE_SET, value: s, blob: false, enc: ENC_AUTO };
}

/** Throws on a repeated name among items[0], items[step], ... (a corrupt payload). */
function noDuplicates(items: string[], step: number, what: string): void {
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i += step) {
    if (seen.has(items[i])) throw new RdbError(`duplicate ${what} members detected`);
    seen.add(items[i]);
  }
}

// ---- sorted sets

function readZset(r: RdbReader, binary: boolean, limits: LoadLimits): LoadedValue {
  const n = r.count(binary ? 9 : 2, "zset member");
  if (n === 0) throw new RdbEmptyKeyError();
  const members: string[] = [], scores: number[] = [];
  for (let i = 0; i < n; i++) {
    members.push(latin1(r.string()));
    const s = binary ? r.binaryDouble() : r.asciiDouble();
    if (s !== s) throw new RdbError("zset with NAN score detected");
    scores.push(s);
  }
  noDuplicates(members, 1, "zset");
  let maxLen = 0;
  for (const m of members) if (m.length > maxLen) maxLen = m.length;
  // converted after loading, as Redis does (the members are not saved in order)
  if (n <= limits.zsetEntries && maxLen <= limits.zsetValue && 2 * n < LP_COUNT_UNKNOWN) {
    return zsetListpack(members, scores);
  }
  return zsetObject(members, scores);
}

/** A listpack zset's bytes from unordered pairs (zsetConvert: in skiplist order). */
function zsetListpack(members: string[], scores: number[]): LoadedValue {
  const idx = members.map((_, i) => i);
  idx.sort((a, b) =>
    scores[a] !== scores[b]
      ? scores[a] - scores[b]
      : members[a] < members[b]
      ? -1
      : members[a] > members[b]
      ? 1
      : 0
  );
  lp.begin();
  for (const i of idx) {
    lp.add(members[i]);
    lp.add(d2string(scores[i]));
  }
  return { type: TYPE_ZSET, value: lp.buf.slice(0, lp.end()), blob: true, enc: BLOB_LISTPACK };
}

function zsetObject(members: string[], scores: number[]): LoadedValue {
  const z = new ZSetValue();
  z.listpack = false;
  for (let i = 0; i < members.length; i++) z.insert(members[i], scores[i]);
  return { type: TYPE_ZSET, value: z, blob: false, enc: ENC_AUTO };
}

/**
 * A listpack's (member, score) entries. `blob` (the listpack itself, ZSET_LISTPACK) is kept as
 * it is when in order; a ziplist's pairs (ZSET_ZIPLIST) are laid out as a new listpack.
 */
function zsetFromPairs(
  entries: string[],
  limits: LoadLimits,
  blob: Uint8Array | null,
): LoadedValue {
  if (entries.length % 2 !== 0) throw new RdbError("zset listpack with an odd number of entries");
  if (entries.length === 0) throw new RdbEmptyKeyError();
  noDuplicates(entries, 2, "zset");
  const members: string[] = [], scores: number[] = [];
  for (let i = 0; i < entries.length; i += 2) {
    const s = parseDoubleStr(entries[i + 1]);
    if (s === null || s !== s) throw new RdbError("zset listpack with an invalid score");
    if (members.length > 0) {
      const ps = scores[scores.length - 1], pm = members[members.length - 1];
      if (s < ps || (s === ps && entries[i] <= pm)) {
        throw new RdbError("zset listpack out of order");
      }
    }
    members.push(entries[i]);
    scores.push(s);
  }
  if (members.length > limits.zsetEntries || entries.length >= LP_COUNT_UNKNOWN) {
    return zsetObject(members, scores);
  }
  if (blob !== null) {
    return {
      type: TYPE_ZSET,
      value: withCount(blob, entries.length),
      blob: true,
      enc: BLOB_LISTPACK,
    };
  }
  lp.begin();
  for (const e of entries) lp.add(e);
  return { type: TYPE_ZSET, value: lp.buf.slice(0, lp.end()), blob: true, enc: BLOB_LISTPACK };
}

// ---- hashes

function readHash(r: RdbReader, limits: LoadLimits): LoadedValue {
  const n = r.count(2, "hash field");
  if (n === 0) throw new RdbEmptyKeyError();
  const entries: string[] = [];
  let listpack = n <= limits.hashEntries && 2 * n < LP_COUNT_UNKNOWN;
  for (let i = 0; i < n; i++) {
    const f = latin1(r.string()), v = latin1(r.string());
    // a field or value over hash-max-listpack-value converts, as it is read
    if (f.length > limits.hashValue || v.length > limits.hashValue) listpack = false;
    entries.push(f, v);
  }
  noDuplicates(entries, 2, "hash");
  if (!listpack) return hashObject(entries);
  lp.begin();
  for (const e of entries) lp.add(e);
  return { type: TYPE_HASH, value: lp.buf.slice(0, lp.end()), blob: true, enc: BLOB_LISTPACK };
}

/**
 * A hash from a listpack's, ziplist's or zipmap's (field, value) entries: a listpack while
 * within hash-max-listpack-entries (and, for a zipmap only, -value, as Redis checks), else a
 * hashtable. `blob` is the listpack itself (HASH_LISTPACK), kept as it is.
 */
function hashFromPairs(
  entries: string[],
  limits: LoadLimits,
  blob: Uint8Array | null,
  checkValues: boolean,
): LoadedValue {
  if (entries.length % 2 !== 0) throw new RdbError("hash listpack with an odd number of entries");
  if (entries.length === 0) throw new RdbEmptyKeyError();
  noDuplicates(entries, 2, "hash");
  let convert = entries.length / 2 > limits.hashEntries || entries.length >= LP_COUNT_UNKNOWN;
  if (checkValues) { for (const e of entries) if (e.length > limits.hashValue) convert = true; }
  if (convert) return hashObject(entries);
  if (blob !== null) {
    return {
      type: TYPE_HASH,
      value: withCount(blob, entries.length),
      blob: true,
      enc: BLOB_LISTPACK,
    };
  }
  lp.begin();
  for (const e of entries) lp.add(e);
  return { type: TYPE_HASH, value: lp.buf.slice(0, lp.end()), blob: true, enc: BLOB_LISTPACK };
}

function hashObject(entries: string[]): LoadedValue {
  const h = new HashValue();
  h.convert();
  for (let i = 0; i < entries.length; i += 2) h.set(entries[i], entries[i + 1]);
  return { type: TYPE_HASH, value: h, blob: false, enc: ENC_AUTO };
}
