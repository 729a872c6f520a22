/**
 * A shard's keyspace: its databases (db.ts) and what they share — the arena every key and
 * string value lives in, the table of collection objects, and how accesses are tracked. The
 * store is the only code that knows how keys and values are laid out in memory.
 */
import { Arena } from "./arena.ts";
import { ObjectTable } from "./objects.ts";
import { AccessPolicy } from "./access.ts";
import { RecordView } from "./record.ts";
import { Db, type DbShared } from "./db.ts";
import { LazyFree } from "./lazyfree.ts";

export { Db, type ScanFilter } from "./db.ts";

export { ENC_AUTO, ENC_AUTO_UNSHARED, ENC_EMBSTR, ENC_RAW } from "./record.ts";

export class Keyspace implements DbShared {
  readonly arena: Arena;
  readonly objects = new ObjectTable();
  readonly access = new AccessPolicy();
  /** FLUSHDB ASYNC's records, freed a batch per turn (lazyfree.ts) */
  readonly lazy = new LazyFree();
  /** scratch for decoding a record (reused by every read) */
  readonly view = new RecordView();
  readonly dbs: Db[] = [];

  constructor(databases: number, initialPages?: number) {
    this.arena = new Arena(initialPages);
    for (let i = 0; i < databases; i++) this.dbs.push(new Db(this));
  }

  /** keys in every database */
  get keys(): number {
    let n = 0;
    for (const db of this.dbs) n += db.size;
    return n;
  }

  /** Empty every database at once (FLUSHALL): the whole arena goes back to the system. */
  flushAll(): void {
    this.lazy.dropAll();
    for (const db of this.dbs) {
      if (db.onTouch !== null) db.flush();
    }
    for (const db of this.dbs) {
      db.version++;
      db.dict.clear();
      db.vol.clear();
    }
    this.objects.clear();
    this.arena.reset();
  }

  /**
   * FLUSHDB: the only database holding keys goes with the whole arena (flushAll's O(pages)
   * reset); otherwise `async` empties it at once and frees its records over the next turns,
   * and sync frees them now, key by key.
   */
  flushDb(db: Db, async: boolean): void {
    if (this.dbs.every((d) => d === db || d.size === 0)) {
      this.flushAll();
    } else if (async) this.lazy.schedule(db);
    else db.flush();
  }

  /** Keep rehashing the databases' indexes for up to `ms` milliseconds (the tick). */
  rehash(ms: number): void {
    const deadline = performance.now() + ms;
    for (const db of this.dbs) {
      if (!db.dict.rehashing) continue;
      db.dict.rehashFor(Math.max(0, deadline - performance.now()));
    }
  }

  /**
   * Bytes the keyspace uses: every record's block, the tables, and the estimated cost of the
   * collections (memory.ts).
   */
  usedBytes(): number {
    return this.arena.liveBytes + this.tableBytes + this.objects.bytes();
  }

  /** Bytes of the indexes and TTL tables of every database. */
  get tableBytes(): number {
    let n = this.arena.tableBytes;
    for (const db of this.dbs) n += db.dict.tableBytes + db.vol.tableBytes;
    return n;
  }
}
