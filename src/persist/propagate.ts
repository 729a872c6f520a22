/**
 * The propagation point (Redis's propagate / alsoPropagate / feedAppendOnlyFile): every write a
 * shard executes ends here as the RESP commands Redis 7.0 would write into its AOF for it. Each
 * shard has one Propagator; execute.ts calls `before`/`after` around every write (inline,
 * forwarded from a peer, a split command's part, deferred, inside EXEC), the store calls
 * `deleted` for lazy and active expiry and for eviction, and ship.ts calls `stored` for the keys
 * a shipped command stores back. What is emitted lands in this shard's buffer; the AOF file
 * layer (aof.ts) takes it once per loop turn (`take`), before any reply or peer message of that
 * turn leaves, and appends it as one write.
 *
 * Units: the commands one command produced (lazy-expiry DELs, several SREMs for SPOP count) are
 * wrapped in MULTI ... EXEC when there are several, as propagatePendingCommands does; the writes
 * of one EXEC block on this shard form one unit too (so a block with one write has no MULTI, as
 * in Redis). A unit is never split between two turns' chunks. Every chunk starts with SELECT,
 * because chunks of several shards interleave in the one incr file.
 */
import type { Db } from "../store/db.ts";
import type { ConfigStore } from "../config/mod.ts";
import type { ReplyWriter } from "../resp/writer.ts";
import type { EntryCopy } from "../store/transfer.ts";
import { RdbWriter } from "./rdb/writer.ts";
import { RDB_VERSION, writeCopy } from "./rdb/value.ts";
import { crc64Bytes, crc64Of } from "./rdb/crc64.ts";

const enc = new TextEncoder();
const B = (s: string) => enc.encode(s);
const DEL = B("DEL"), UNLINK = B("UNLINK"), SET = B("SET"), PXAT = B("PXAT");
const PEXPIREAT = B("PEXPIREAT"), PERSIST = B("PERSIST"), SREM = B("SREM"), HSET = B("HSET");
const KEEPTTL = B("KEEPTTL"), ABSTTL = B("ABSTTL"), RESTORE = B("RESTORE"), REPLACE = B("REPLACE");
const LPOP = B("LPOP"), RPOP = B("RPOP"), ZPOPMIN = B("ZPOPMIN"), ZPOPMAX = B("ZPOPMAX");
const MULTI = B("*1\r\n$5\r\nMULTI\r\n"), EXEC = B("*1\r\n$4\r\nEXEC\r\n");

/** Fan-outs that change every shard's data: written once, by the last shard (see aofExclusive). */
const EVERYWHERE = new Set(["flushall", "flushdb", "swapdb"]);

/** What a command's client tells about the unit it belongs to (Client satisfies it). */
export interface UnitSource {
  txid: number;
  inExec: boolean;
}

/** The part of a command the propagator reads (Command satisfies it). */
export interface PropagatedCommand {
  name: string;
}

function eqi(a: Uint8Array, s: string): boolean {
  if (a.length !== s.length) return false;
  for (let i = 0; i < a.length; i++) if ((a[i] | 0x20) !== s.charCodeAt(i)) return false;
  return true;
}

function num(n: number | bigint): Uint8Array {
  return enc.encode(String(n));
}

/** Bulk strings of a RESP reply (a bulk, or an array of bulks, nested one level at most). */
function replyBulks(buf: Uint8Array, from: number, to: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = from;
  const line = (): number => {
    let v = 0, neg = false;
    p++;
    if (buf[p] === 45) {
      neg = true;
      p++;
    }
    while (buf[p] !== 13) v = v * 10 + (buf[p++] - 48);
    p += 2;
    return neg ? -v : v;
  };
  while (p < to) {
    const t = buf[p];
    if (t === 36) { // $
      const n = line();
      if (n < 0) continue;
      out.push(buf.slice(p, p + n));
      p += n + 2;
    } else if (t === 42 || t === 126 || t === 62) line(); // * ~ >: elements follow
    else { // anything else: a line
      while (p < to && buf[p] !== 10) p++;
      p++;
    }
  }
  return out;
}

export class Propagator {
  /** appendonly is acting on this shard: writes are propagated */
  on = false;
  /** the txid of the request a peer forwarded that runs now (0: none), and if inside EXEC */
  private forwardTx = 0;
  private forwardExec = false;
  /** the emitted bytes of this turn */
  private out = new Uint8Array(64 * 1024);
  private len = 0;
  /** the database the last command in `out` selected (-1: the next one writes SELECT) */
  private selected = -1;
  /** the open unit: its ops (database, bytes) and what it belongs to */
  private ops: [number, Uint8Array][] = [];
  private unit: unknown = null;
  private inCommand = false;
  private versions = 0;
  private deletions = 0;
  private mark = 0;
  /** the running command was written as DELs of its keys (a flush inside a cross-shard EXEC) */
  private asKeys = false;
  /** the running command is inside EXEC (here or on the coordinator) */
  private exec = false;
  private readonly dump = new RdbWriter();

  constructor(
    readonly id: number,
    readonly n: number,
    readonly dbs: readonly Db[],
    readonly config: ConfigStore,
    private readonly copy: (db: Db, ref: number) => EntryCopy,
  ) {
    dbs.forEach((db, i) => {
      db.prop = { deleted: (d, ref, evicted) => this.deletedKey(i, d, ref, evicted) };
    });
  }

  /** A peer's request runs next: its transaction, and its flags (1: inside EXEC). */
  forward(txid: number, flags: number): void {
    this.forwardTx = txid;
    this.forwardExec = (flags & 1) !== 0;
  }

  /** Before a command runs: what counts as its change, and which unit it belongs to. */
  before(c: UnitSource | null, w: ReplyWriter, cmd: PropagatedCommand, dbIndex: number): void {
    const unit = c === null
      ? (this.forwardTx || null)
      : c.txid !== 0
      ? c.txid
      : c.inExec
      ? c
      : null;
    if (this.unit !== unit || unit === null) this.closeUnit();
    this.unit = unit;
    this.inCommand = true;
    this.deletions = 0;
    let v = 0;
    for (const d of this.dbs) v += d.version;
    this.versions = v;
    this.mark = w.len;
    // FLUSHALL/FLUSHDB inside an EXEC over several shards: no shard can write it once at the
    // right place among the others' blocks, so each writes its own keys' DELs in its block
    const exec = c === null ? this.forwardExec : c.inExec;
    this.exec = exec;
    if (exec && this.n > 1 && (cmd.name === "flushall" || cmd.name === "flushdb")) {
      this.asKeys = true;
      const now = Date.now();
      this.dbs.forEach((db, i) => {
        if (cmd.name === "flushdb" && i !== dbIndex) return;
        db.forEachLive(now, (r) => this.op(i, [DEL, db.key(r).slice()]));
      });
    }
  }

  /**
   * After a write ran on `db` (index `dbIndex`): when it changed something (Redis's dirty),
   * the command, rewritten as Redis rewrites it, joins the unit.
   */
  after(
    cmd: PropagatedCommand,
    argv: Uint8Array[],
    argc: number,
    db: Db,
    dbIndex: number,
    w: ReplyWriter,
  ): void {
    this.inCommand = false;
    let v = 0;
    for (const d of this.dbs) v += d.version;
    // lazy expiry during the command bumped versions too: those were propagated as DELs
    const dirty = v - this.versions - this.deletions;
    this.deletions = 0;
    if (this.asKeys) this.asKeys = false;
    else if (dirty > 0 && cmd.name === "swapdb" && this.exec && this.n > 1) this.swapAsKeys(argv);
    else if (dirty > 0 && !(EVERYWHERE.has(cmd.name) && this.id !== this.n - 1)) {
      this.rewrite(cmd.name, argv, argc, db, dbIndex, w);
    }
    if (this.unit === null) this.closeUnit();
  }

  /** A shipped command stored `entry` (null: removed) as `key` of database `dbIndex` here. */
  stored(dbIndex: number, key: Uint8Array, entry: EntryCopy | null): void {
    if (!this.on) return;
    if (entry === null) return this.op(dbIndex, [DEL, key]);
    const w = this.dump;
    w.reset();
    w.compression = this.config.value("rdbcompression") !== "no";
    writeCopy(w, entry, this.config);
    w.u16le(RDB_VERSION);
    w.raw(crc64Bytes(crc64Of(w.view())));
    const payload = w.take();
    const at = entry.exact !== undefined ? entry.exact : entry.expireAt;
    this.op(dbIndex, [RESTORE, key, num(at), payload, REPLACE, ABSTTL]);
  }

  /** Every key of this shard as RESTORE ... ABSTTL (the dataset when appendonly turns on). */
  dumpAll(now: number): void {
    this.dbs.forEach((db, i) => {
      const refs: number[] = [];
      db.forEachLive(now, (r) => refs.push(r));
      for (const r of refs) this.stored(i, db.key(r).slice(), this.copy(db, r));
      this.closeUnit();
    });
  }

  /**
   * SWAPDB inside an EXEC over several shards, like a flush there: written as this shard's
   * effect, every key of both databases as it now is (RESTORE) or gone (DEL).
   */
  private swapAsKeys(argv: Uint8Array[]): void {
    const ids = [
      Number(new TextDecoder().decode(argv[1])),
      Number(new TextDecoder().decode(argv[2])),
    ];
    const now = Date.now();
    const names = new Map<string, Uint8Array>();
    for (const i of ids) {
      const db = this.dbs[i];
      db.forEachLive(now, (r) => names.set(db.keyLatin1(r), db.key(r).slice()));
    }
    for (const i of ids) {
      const db = this.dbs[i];
      for (const key of names.values()) {
        const r = db.find(key);
        const at = r === 0 ? 0 : db.expireAt(r);
        if (r !== 0 && (at === 0 || at > now)) this.stored(i, key, this.copy(db, r));
        else this.op(i, [DEL, key]);
      }
    }
  }

  /** This turn's bytes (a view valid until the next command), emptied; null when none. */
  take(): Uint8Array | null {
    this.closeUnit();
    if (this.len === 0) return null;
    const v = this.out.subarray(0, this.len);
    this.len = 0;
    this.selected = -1;
    return v;
  }

  /** Forget what is buffered (appendonly turned off). */
  drop(): void {
    this.ops.length = 0;
    this.unit = null;
    this.len = 0;
    this.selected = -1;
  }

  private deletedKey(i: number, d: Db, ref: number, evicted: boolean): void {
    if (!this.on) return;
    this.deletions++;
    const lazy = this.config.value(evicted ? "lazyfree-lazy-eviction" : "lazyfree-lazy-expire");
    this.op(i, [lazy === "yes" ? UNLINK : DEL, d.key(ref).slice()]);
    if (!this.inCommand && this.unit === null) this.closeUnit();
  }

  private op(db: number, argv: Uint8Array[]): void {
    let n = 1 + String(argv.length).length + 2;
    for (const a of argv) n += 1 + String(a.length).length + 2 + a.length + 2;
    const b = new Uint8Array(n);
    let p = 0;
    const ascii = (s: string) => {
      for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    };
    ascii(`*${argv.length}\r\n`);
    for (const a of argv) {
      ascii(`$${a.length}\r\n`);
      b.set(a, p);
      p += a.length;
      ascii("\r\n");
    }
    this.ops.push([db, b]);
  }

  private closeUnit(): void {
    const ops = this.ops;
    this.unit = null;
    if (ops.length === 0) return;
    const wrap = ops.length > 1;
    if (wrap) this.emit(ops[0][0], MULTI);
    for (const [db, b] of ops) this.emit(db, b);
    if (wrap) this.emit(ops[ops.length - 1][0], EXEC);
    ops.length = 0;
  }

  private emit(db: number, b: Uint8Array): void {
    if (db !== this.selected) {
      const s = String(db);
      this.append(enc.encode(`*2\r\n$6\r\nSELECT\r\n$${s.length}\r\n${s}\r\n`));
      this.selected = db;
    }
    this.append(b);
  }

  private append(b: Uint8Array): void {
    if (this.len + b.length > this.out.length) {
      const bigger = new Uint8Array(Math.max(this.out.length * 2, this.len + b.length));
      bigger.set(this.out.subarray(0, this.len));
      this.out = bigger;
    }
    this.out.set(b, this.len);
    this.len += b.length;
  }

  /** The command as Redis 7.0 propagates it (the rewrites of t_string.c, expire.c, ...). */
  private rewrite(
    name: string,
    argv: Uint8Array[],
    argc: number,
    db: Db,
    i: number,
    w: ReplyWriter,
  ): void {
    const key = argv[1];
    const ttlOf = (): number | bigint => {
      const r = db.find(key);
      if (r === 0) return -1;
      const e = db.expireExact(r);
      return e === -1 ? 0 : e;
    };
    const gone = (lazyKey: string) =>
      this.op(i, [this.config.value(lazyKey) === "yes" ? UNLINK : DEL, key]);
    const reply = () => replyBulks(w.buf, this.mark, w.len);
    switch (name) {
      case "set": {
        let expire = false, get = false;
        for (let j = 3; j < argc; j++) {
          const a = argv[j];
          if (eqi(a, "ex") || eqi(a, "px") || eqi(a, "exat") || eqi(a, "pxat")) expire = true;
          else if (eqi(a, "get")) get = true;
        }
        // any expiry: SET key value PXAT ms; GET is dropped (t_string.c setGenericCommand)
        if (expire) return this.setPxat(i, key, argv[2], ttlOf());
        if (get) {
          const keep = [argv[0], argv[1], argv[2]];
          for (let j = 3; j < argc; j++) if (!eqi(argv[j], "get")) keep.push(argv[j]);
          return this.op(i, keep);
        }
        break;
      }
      case "setex":
      case "psetex":
        return this.setPxat(i, key, argv[3], ttlOf());
      case "getset":
        return this.op(i, [SET, key, argv[2]]);
      case "getdel":
        return gone("lazyfree-lazy-user-del");
      case "getex": {
        const t = ttlOf();
        if (t === -1) return gone("lazyfree-lazy-expire");
        return this.op(i, t === 0 ? [PERSIST, key] : [PEXPIREAT, key, num(t)]);
      }
      case "expire":
      case "pexpire":
      case "expireat":
      case "pexpireat": {
        const t = ttlOf();
        if (t === -1) return gone("lazyfree-lazy-expire");
        if (name === "pexpireat") break;
        return this.op(i, [PEXPIREAT, key, num(t)]);
      }
      case "incrbyfloat":
        return this.op(i, [SET, key, reply()[0], KEEPTTL]);
      case "hincrbyfloat":
        return this.op(i, [HSET, key, argv[2], reply()[0]]);
      case "spop": {
        if (argc === 2) return this.op(i, [SREM, key, reply()[0]]);
        if (db.find(key) === 0) return this.op(i, [DEL, key]);
        for (const m of reply()) this.op(i, [SREM, key, m]);
        return;
      }
      case "lmpop":
      case "zmpop": {
        const r = reply();
        if (r.length < 2) break;
        const numkeys = Number(new TextDecoder().decode(argv[1]));
        const where = argv[2 + numkeys];
        const left = eqi(where, "left") || eqi(where, "min");
        const cmd = name === "lmpop" ? (left ? LPOP : RPOP) : (left ? ZPOPMIN : ZPOPMAX);
        // the reply: the key, then its elements (zsets: member and score per element)
        const count = name === "lmpop" ? r.length - 1 : (r.length - 1) / 2;
        return this.op(i, [cmd, r[0], num(count)]);
      }
      case "restore": {
        let absttl = false;
        for (let j = 4; j < argc; j++) if (eqi(argv[j], "absttl")) absttl = true;
        if (absttl || eqi(argv[2], "0")) break;
        const t = ttlOf();
        const out = argv.slice(0, argc);
        out[2] = num(t === -1 ? 0 : t);
        out.push(ABSTTL);
        return this.op(i, out);
      }
    }
    this.op(i, argv.slice(0, argc));
  }

  private setPxat(i: number, key: Uint8Array, value: Uint8Array, t: number | bigint): void {
    if (t === -1) return this.op(i, [DEL, key]);
    this.op(i, t === 0 ? [SET, key, value] : [SET, key, value, PXAT, num(t)]);
  }
}

/**
 * Whether a fan-out that changes every shard runs under the exclusive lock of every key while
 * the AOF is on (route.ts): then its last part, on the highest shard, runs while every shard
 * holds the lock and every earlier write of theirs is already in the file, and writes it once.
 */
export function aofExclusive(p: Propagator, cmd: PropagatedCommand): boolean {
  return p.on && p.n > 1 && EVERYWHERE.has(cmd.name);
}
