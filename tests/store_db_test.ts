/**
 * The byte keyspace against a plain Map model: random writes, overwrites of every size,
 * deletes, TTLs, in-place resizes and objects, checked key by key; SCAN returns every key
 * present for the whole scan while the table grows and shrinks under it; memory comes back.
 */
import { BIG_STRING } from "../src/store/big_string.ts";
import assert from "node:assert/strict";
import { Keyspace } from "../src/store/keyspace.ts";
import { TYPE_LIST, TYPE_STRING } from "../src/store/types.ts";
import type { CollectionValue } from "../src/store/types.ts";
import { rng } from "./helpers/rng.ts";

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);
const latin1 = (u: Uint8Array) => String.fromCharCode(...u);

class Obj implements CollectionValue {
  constructor(public size: number) {}
  encoding(): string {
    return "test";
  }
  clone(): CollectionValue {
    return new Obj(this.size);
  }
}

interface ModelEntry {
  value: string | Obj;
  expireAt: number;
}

Deno.test("keyspace: random operations agree with a Map", () => {
  const rnd = rng(11);
  const ks = new Keyspace(2);
  const db = ks.dbs[0];
  const model = new Map<string, ModelEntry>();
  let now = 1_000_000;
  const randomValue = () => {
    const r = rnd();
    const n = r < 0.6
      ? Math.floor(rnd() * 40)
      : r < 0.95
      ? Math.floor(rnd() * 3000)
      : Math.floor(rnd() * 70_000);
    const c = 97 + Math.floor(rnd() * 26);
    return String.fromCharCode(c).repeat(n) + String(Math.floor(rnd() * 1000));
  };
  const live = (k: string) => {
    const e = model.get(k);
    if (e === undefined) return undefined;
    if (e.expireAt !== 0 && e.expireAt <= now) {
      model.delete(k);
      return undefined;
    }
    return e;
  };
  for (let step = 0; step < 40_000; step++) {
    const k = `k:${Math.floor(rnd() * 3000)}`;
    const key = b(k);
    const op = rnd();
    if (op < 0.35) {
      const v = randomValue();
      const keep = rnd() < 0.2;
      const old = live(k);
      const vb = Uint8Array.from(v, (c) => c.charCodeAt(0));
      db.setString(key, vb, 0, vb.length, now, keep);
      model.set(k, { value: v, expireAt: keep && old !== undefined ? old.expireAt : 0 });
    } else if (op < 0.45) {
      db.setObject(key, TYPE_LIST, new Obj(step), now);
      model.set(k, { value: new Obj(step), expireAt: 0 });
    } else if (op < 0.55) {
      assert.equal(db.delete(key, now), live(k) !== undefined, `delete ${k}`);
      model.delete(k);
    } else if (op < 0.65) {
      const r = db.lookup(key, now);
      const e = live(k);
      assert.equal(r !== 0, e !== undefined, `exists ${k}`);
      if (r !== 0 && e !== undefined) {
        const at = now + 1 + Math.floor(rnd() * 5000);
        db.setExpire(r, at);
        e.expireAt = at;
      }
    } else if (op < 0.7) {
      const r = db.lookup(key, now);
      const e = live(k);
      if (r !== 0 && e !== undefined && typeof e.value === "string") {
        // an in-place edit: grow or shrink, keep the prefix, zero the rest
        const len = Math.floor(rnd() * (rnd() < 0.8 ? 4000 : 40_000));
        db.resizeString(r, len);
        const kept = e.value.slice(0, len);
        e.value = kept + "\0".repeat(len - kept.length);
      }
    } else if (op < 0.72) {
      now += Math.floor(rnd() * 3000);
    } else if (op < 0.73) {
      db.activeExpire(now, 200);
    } else {
      const r = db.lookup(key, now);
      const e = live(k);
      assert.equal(r !== 0, e !== undefined, `lookup ${k} at step ${step}`);
      if (r === 0 || e === undefined) continue;
      if (typeof e.value === "string") {
        assert.equal(db.typeOf(r), TYPE_STRING);
        assert.equal(latin1(db.str(r)), e.value, `value of ${k} at step ${step}`);
      } else {
        assert.equal(db.typeOf(r), TYPE_LIST);
        assert.equal(db.object<Obj>(r).size, e.value.size);
      }
      assert.equal(db.expireAt(r), e.expireAt, `ttl of ${k}`);
      assert.equal(db.keyLatin1(r), k);
    }
  }
  let alive = 0;
  for (const k of [...model.keys()]) if (live(k) !== undefined) alive++;
  // expired keys stay in the table until something touches them: a lookup of every key
  let found = 0;
  for (let i = 0; i < 3000; i++) if (db.peek(b(`k:${i}`), now) !== 0) found++;
  assert.equal(found, alive);
  assert.equal(db.size, alive);
  assert.equal(
    ks.objects.count,
    // collections, and strings too big for an arena block (they have their own buffer)
    [...model.values()].filter((e) => typeof e.value !== "string" || e.value.length > BIG_STRING)
      .length,
  );
  ks.flushAll();
  assert.equal(db.size, 0);
  assert.equal(ks.arena.liveBytes, 0);
});

Deno.test("keyspace: SCAN returns every key present throughout, while the table resizes", () => {
  const rnd = rng(5);
  const ks = new Keyspace(1);
  const db = ks.dbs[0];
  for (let i = 0; i < 5000; i++) db.setString(b(`stay:${i}`), b("v"), 0, 1, 1);
  const seen = new Set<string>();
  let cursor = 0, rounds = 0, churn = 0;
  do {
    const out: string[] = [];
    cursor = db.scan(cursor, 10, 1, {}, out);
    for (const k of out) seen.add(k);
    // grow hard, then shrink hard, while the scan runs
    const grow = rounds < 150;
    for (let j = 0; j < 200; j++) {
      const k = b(`churn:${churn++}`);
      if (grow) db.setString(k, b("x"), 0, 1, 1);
      else db.delete(b(`churn:${Math.floor(rnd() * churn)}`), 1);
    }
    rounds++;
  } while (cursor !== 0 && rounds < 100_000);
  assert.equal(cursor, 0, "the scan ended");
  for (let i = 0; i < 5000; i++) assert.ok(seen.has(`stay:${i}`), `stay:${i} was returned`);
});

/** Uniform: every key is drawn within 5 standard deviations of the mean (Redis's own pick is biased). */
Deno.test("keyspace: RANDOMKEY is fair across buckets", () => {
  const ks = new Keyspace(1);
  const db = ks.dbs[0];
  for (let i = 0; i < 100; i++) db.setString(b(`r:${i}`), b("v"), 0, 1, 1);
  const counts = new Map<string, number>();
  for (let i = 0; i < 20_000; i++) {
    const k = db.randomKey(1)!;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  assert.equal(counts.size, 100);
  for (const [k, n] of counts) assert.ok(n > 130 && n < 280, `${k} drawn ${n} times of 20000`);
});

Deno.test("keyspace: FLUSHDB frees every record, chained buckets included", () => {
  const ks = new Keyspace(2);
  const [a, other] = ks.dbs;
  other.setString(b("stays"), b("v"), 0, 1, 1);
  const before = ks.arena.liveBytes;
  for (let i = 0; i < 20_000; i++) {
    const r = a.setString(b(`f:${i}`), b("value"), 0, 5, 1);
    if (i % 3 === 0) a.setExpire(r, 1_000_000);
  }
  a.flush();
  assert.equal(a.size, 0);
  assert.equal(a.volatileCount, 0);
  assert.equal(ks.arena.liveBytes, before);
  assert.equal(other.peek(b("stays"), 1) !== 0, true);
});

Deno.test("keyspace: a prefetch counts no access and expires nothing, while the table resizes", () => {
  const ks = new Keyspace(1);
  const db = ks.dbs[0];
  const t0 = 1_000_000_000;
  const keys: Uint8Array[] = [];
  // past the size where prefetching starts, and on into a resize
  for (let i = 0; !db.dict.rehashing || i < 70_000; i++) {
    keys.push(b(`p:${i}`));
    db.setString(keys[i], b("v"), 0, 1, t0);
    if (i % 7 === 0) db.setExpire(db.find(keys[i]), t0 + 5);
  }
  assert.ok(db.prefetching && db.dict.rehashing);
  const size = db.size;
  const lru = db.lruOf(db.find(keys[1]));
  // long after: a lookup then would move the LRU field, and expire every seventh key
  const later = t0 + 3_600_000;
  const buf = new Uint8Array(keys.length * 12);
  const offs = new Int32Array(64), lens = new Int32Array(64);
  for (let i = 0; i < keys.length; i += 64) {
    const end = Math.min(keys.length, i + 64);
    db.prefetch(keys, i, end, 1);
    let at = 0, n = 0;
    for (let j = i; j < end; j++) {
      buf.set(keys[j], at);
      offs[n] = at;
      lens[n++] = keys[j].length;
      at += keys[j].length;
    }
    db.prefetchRanges(buf, offs, lens, n);
  }
  assert.equal(db.size, size, "nothing expired");
  for (let i = 0; i < keys.length; i++) {
    assert.equal(db.lruOf(db.find(keys[i])), lru, `the LRU field of ${latin1(keys[i])}`);
  }
  // the lookups after it find what is there
  assert.notEqual(db.lookup(keys[1], later), 0);
  assert.equal(db.lookup(keys[7], later), 0);
});
