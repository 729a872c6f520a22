/**
 * Set encodings against redis-server 7.0.15 (Skua with 1 and 3 shards; both sides with
 * `rdbcompression no` and DEBUG enabled, so DEBUG OBJECT's serializedlength is the exact size of
 * an intset's bytes): set-max-intset-entries crossed both ways (grow past it, then remove: a
 * hashtable stays one), CONFIG SET of the threshold, intset encoding upgrades (16 -> 32 -> 64
 * bits, negatives, the int64 limits; removals never narrow), canonical-integer edge cases, the
 * store commands' destinations (setTypeCreate rules, SDIFF's second algorithm keeping the first
 * set's width), SMOVE into each encoding, and a seeded random program over all of them.
 * Intsets come back in numeric order and are compared as they are; hashtable replies sorted.
 */
import { assertSame, type Cmd, type Normalizer, sorted, type Target } from "./helpers/diff.ts";
import { toLatin1 } from "./helpers/resp.ts";
import { startRedis, startUnderTest, withServers } from "./helpers/server.ts";
import { rng } from "./helpers/rng.ts";

const ARGS = ["--enable-debug-command", "yes", "--rdbcompression", "no"];

async function withTargets(fn: (targets: Target[]) => Promise<void>): Promise<void> {
  await withServers(
    [
      () => startRedis(ARGS),
      () => startUnderTest({ shards: 1, args: ARGS }),
      () => startUnderTest({ shards: 3, args: ARGS }),
    ],
    async (s) => {
      await fn([
        { name: "redis", port: s[0].port },
        { name: "skua1", port: s[1].port },
        { name: "skua3", port: s[2].port },
      ]);
    },
  );
}

/** DEBUG OBJECT's line without the address and the LRU clock. */
const objectLine: Normalizer = (raw) =>
  toLatin1(raw)
    .replace(/Value at:0x[0-9a-f]+/, "Value at:<addr>")
    .replace(/ lru:\d+ lru_seconds_idle:\d+/, " lru:<clock> lru_seconds_idle:<secs>");

const dbg = (k: string): Cmd => ({ args: ["DEBUG", "OBJECT", k], norm: objectLine });
const enc = (k: string): Cmd => ["OBJECT", "ENCODING", k];
const u = (args: string[]): Cmd => ({ args, norm: sorted });
const ints = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));
const cfg = (n: number): Cmd => ["CONFIG", "SET", "set-max-intset-entries", String(n)];

const I64_MAX = "9223372036854775807";
const I64_MIN = "-9223372036854775808";

const GROUPS: Record<string, Cmd[]> = {
  "set-max-intset-entries crossed both ways": [
    cfg(16),
    ["SADD", "{k}1", ...ints(1, 16)],
    enc("{k}1"),
    dbg("{k}1"),
    ["SADD", "{k}1", "16"],
    enc("{k}1"),
    ["SADD", "{k}1", "17"],
    enc("{k}1"),
    u(["SMEMBERS", "{k}1"]),
    ["SREM", "{k}1", ...ints(3, 15)],
    enc("{k}1"),
    u(["SMEMBERS", "{k}1"]),
    dbg("{k}1"),
    ["SREM", "{k}1", "1", "2"],
    ["EXISTS", "{k}1"],
    // a non-integer member converts, and removing it does not convert back
    ["SADD", "{k}2", ...ints(-8, 16)],
    ["SADD", "{k}2", "x"],
    enc("{k}2"),
    ["SREM", "{k}2", "x"],
    enc("{k}2"),
    u(["SMEMBERS", "{k}2"]),
    ["SISMEMBER", "{k}2", "-8"],
    ["SMISMEMBER", "{k}2", "7", "8", "x", "-9"],
    // several members in one SADD crossing the limit
    ["SADD", "{k}3", ...ints(100, 20)],
    enc("{k}3"),
    ["SCARD", "{k}3"],
    // a lower limit leaves an existing intset alone until it next grows
    cfg(4),
    ["SADD", "{k}4", "1", "2", "3", "4"],
    enc("{k}4"),
    cfg(2),
    enc("{k}4"),
    ["SADD", "{k}4", "1"],
    enc("{k}4"),
    ["SREM", "{k}4", "4"],
    enc("{k}4"),
    ["SADD", "{k}4", "9"],
    enc("{k}4"),
    cfg(0),
    ["SADD", "{k}5", "1"],
    enc("{k}5"),
    u(["SMEMBERS", "{k}5"]),
    cfg(1),
    ["SADD", "{k}6", "1"],
    enc("{k}6"),
    ["SADD", "{k}6", "2"],
    enc("{k}6"),
    cfg(512),
    ["SADD", "{k}7", ...ints(1, 512)],
    enc("{k}7"),
    dbg("{k}7"),
    ["SADD", "{k}7", "513"],
    enc("{k}7"),
    ["SREM", "{k}7", ...ints(1, 500)],
    enc("{k}7"),
    u(["SMEMBERS", "{k}7"]),
    ["SCARD", "{k}7"],
    // hashtables of every size (Skua's compact form ends at 128 members of 64 bytes)
    ["SADD", "{k}8", ...ints(0, 128).map((i) => `m${i}`)],
    enc("{k}8"),
    ["SADD", "{k}8", "m128", "x".repeat(64), "y".repeat(65)],
    enc("{k}8"),
    ["SCARD", "{k}8"],
    ["SISMEMBER", "{k}8", "y".repeat(65)],
    ["SREM", "{k}8", ...ints(0, 129).map((i) => `m${i}`)],
    u(["SMEMBERS", "{k}8"]),
    ["SADD", "{k}9", "a", "y".repeat(65)],
    enc("{k}9"),
    dbg("{k}9"),
    u(["SMEMBERS", "{k}9"]),
  ],
  "what is a canonical integer": [
    ...["01", "-0", "+1", " 1", "1 ", "1.0", "0x1", "", "-", "9223372036854775808"].flatMap(
      (m, i) => [["SADD", `{c}${i}`, m], enc(`{c}${i}`)] as Cmd[],
    ),
    ["SADD", "{c}a", "-9223372036854775809"],
    enc("{c}a"),
    ["SADD", "{c}b", I64_MAX, I64_MIN, "0", "-1"],
    enc("{c}b"),
    ["SMEMBERS", "{c}b"],
    dbg("{c}b"),
    ["SISMEMBER", "{c}b", "9223372036854775806"],
    ["SISMEMBER", "{c}b", I64_MAX],
    ["SISMEMBER", "{c}b", "9223372036854775808"],
    ["SISMEMBER", "{c}b", "-00"],
    ["SREM", "{c}b", "-0", "00", "+0"],
    ["SMEMBERS", "{c}b"],
  ],
  "intset upgrades 16 -> 32 -> 64 bits": [
    ["SADD", "{u}", "3", "1", "2"],
    dbg("{u}"),
    ["SADD", "{u}", "32767", "-32768"],
    dbg("{u}"),
    ["SADD", "{u}", "32768"],
    dbg("{u}"),
    ["SMEMBERS", "{u}"],
    ["SADD", "{u}", "-40000", "2147483647", "-2147483648"],
    dbg("{u}"),
    ["SADD", "{u}", "2147483648"],
    dbg("{u}"),
    ["SADD", "{u}", "-3000000000", I64_MAX, I64_MIN, "4294967296", "-4294967296", "4294967295"],
    dbg("{u}"),
    ["SMEMBERS", "{u}"],
    ["SMISMEMBER", "{u}", "2147483648", "-3000000000", "-2147483649", "32768", "1", "4"],
    // removals never narrow the encoding
    ["SREM", "{u}", "-3000000000", I64_MAX, I64_MIN, "4294967296", "-4294967296", "4294967295"],
    ["SREM", "{u}", "2147483648", "2147483647", "-2147483648", "-40000", "32768"],
    dbg("{u}"),
    ["SMEMBERS", "{u}"],
    { args: ["SSCAN", "{u}", "0"] },
    { args: ["SSCAN", "{u}", "0", "MATCH", "*2*", "COUNT", "1"] },
    ["SRANDMEMBER", "{u}", "100"],
    ["SRANDMEMBER", "{u}", "5"],
    ["SINTER", "{u}", "{u}"],
    // a negative 64-bit value into a 16-bit set goes first, a positive one last
    ["SADD", "{v}", "5", "-5", "0"],
    ["SADD", "{v}", "-5000000000"],
    ["SMEMBERS", "{v}"],
    dbg("{v}"),
    ["SADD", "{w}", "5", "-5", "0"],
    ["SADD", "{w}", "5000000000"],
    ["SMEMBERS", "{w}"],
    ["SPOP", "{w}", "10"],
    ["EXISTS", "{w}"],
    ["SADD", "{w}", "70000"],
    ["SPOP", "{w}"],
    ["EXISTS", "{w}"],
  ],
  "store commands and SMOVE": [
    ["SADD", "{s}a", "1", "2", "3", "100000"],
    ["SADD", "{s}b", "2", "3", "4"],
    ["SADD", "{s}c", "x", "2", "3"],
    ["SINTERSTORE", "{s}d", "{s}a", "{s}b"],
    ["SMEMBERS", "{s}d"],
    dbg("{s}d"),
    ["SINTERSTORE", "{s}d", "{s}a", "{s}c"],
    ["SMEMBERS", "{s}d"],
    dbg("{s}d"),
    ["SUNIONSTORE", "{s}d", "{s}a", "{s}b"],
    ["SMEMBERS", "{s}d"],
    dbg("{s}d"),
    ["SUNIONSTORE", "{s}d", "{s}a", "{s}c"],
    u(["SMEMBERS", "{s}d"]),
    enc("{s}d"),
    ["SDIFFSTORE", "{s}d", "{s}a", "{s}b"],
    ["SMEMBERS", "{s}d"],
    dbg("{s}d"),
    ["SDIFFSTORE", "{s}d", "{s}c", "{s}a"],
    u(["SMEMBERS", "{s}d"]),
    enc("{s}d"),
    // SDIFF's second algorithm: the first set whole, then removals (its width stays)
    ["SADD", "{s}big", ...ints(1, 40), "100000"],
    ["SADD", "{s}o1", "100000"],
    ["SADD", "{s}o2", "7"],
    ["SDIFFSTORE", "{s}d", "{s}big", "{s}o1", "{s}o2"],
    dbg("{s}d"),
    ["SMEMBERS", "{s}d"],
    ["SDIFFSTORE", "{s}d", "{s}big", "{s}o1"],
    dbg("{s}d"),
    ["SINTERCARD", "2", "{s}a", "{s}b"],
    // results past the limit are hashtables; the store replaces any type
    cfg(3),
    ["SUNIONSTORE", "{s}d", "{s}a", "{s}b"],
    enc("{s}d"),
    ["SINTERSTORE", "{s}d", "{s}a", "{s}a"],
    enc("{s}d"),
    ["SET", "{s}str", "v"],
    ["SINTERSTORE", "{s}str", "{s}b", "{s}b"],
    enc("{s}str"),
    ["SMEMBERS", "{s}str"],
    cfg(512),
    // SMOVE: into a new key, into an intset, converting it, out of a hashtable
    ["SMOVE", "{s}a", "{s}new", "100000"],
    ["SMEMBERS", "{s}new"],
    dbg("{s}new"),
    ["SMOVE", "{s}c", "{s}new2", "x"],
    enc("{s}new2"),
    ["SMOVE", "{s}a", "{s}b", "1"],
    ["SMEMBERS", "{s}b"],
    enc("{s}b"),
    ["SMOVE", "{s}new2", "{s}b", "x"],
    enc("{s}b"),
    u(["SMEMBERS", "{s}b"]),
    ["EXISTS", "{s}new2"],
    ["SMOVE", "{s}b", "{s}a", "x"],
    enc("{s}a"),
    ["SMOVE", "{s}a", "{s}a", "2"],
    ["SMOVE", "{s}a", "{s}a", "zz"],
    u(["SMEMBERS", "{s}a"]),
  ],
};

/**
 * A seeded program: integer members of every width and some strings, small limits so sets
 * cross set-max-intset-entries often, every write kind, and the full state checked often.
 */
function program(seed: number): Cmd[] {
  const r = rng(seed);
  const keys = ["{r}0", "{r}1", "{r}2", "{r}3"];
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const widths = [10, 40000, 3000000000, 9000000000000000000];
  const member = () => {
    const x = r();
    if (x < 0.08) return pick(["a", "b", "01", "-0", "s".repeat(70)]);
    const w = x < 0.6 ? widths[0] : x < 0.8 ? widths[1] : x < 0.93 ? widths[2] : widths[3];
    const v = Math.floor(r() * 2 * w) - w;
    return w > 1e15 ? (BigInt(v) * 1000n + BigInt(Math.floor(r() * 1000))).toString() : String(v);
  };
  const members = (n: number) => Array.from({ length: 1 + Math.floor(r() * n) }, member);
  const out: Cmd[] = [cfg(pick([5, 20, 130]))];
  for (let i = 0; i < 300; i++) {
    const k = pick(keys);
    const x = r();
    if (x < 0.35) out.push(["SADD", k, ...members(r() < 0.1 ? 40 : 4)]);
    else if (x < 0.55) out.push(["SREM", k, ...members(4)]);
    else if (x < 0.62) out.push(["SMOVE", k, pick(keys), member()]);
    else if (x < 0.7) {
      out.push([pick(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), k, pick(keys), pick(keys)]);
    } else if (x < 0.75) out.push(cfg(pick([3, 16, 64, 200])));
    else if (x < 0.85) out.push(["SMISMEMBER", k, ...members(3)]);
    else out.push(["SCARD", k]);
    if (i % 10 === 9) {
      for (const key of keys) {
        out.push(enc(key), u(["SMEMBERS", key]), dbg(key));
      }
    }
  }
  return out;
}

Deno.test("differential: set encodings and intset bytes match redis-server", async (t) => {
  await withTargets(async (targets) => {
    for (const [name, cmds] of Object.entries(GROUPS)) {
      await t.step(name, () => assertSame(targets, [...cmds, cfg(512)]));
    }
    for (const seed of [1, 2, 3, 4]) {
      await t.step(`random program, seed ${seed}`, () => assertSame(targets, program(seed)));
    }
  });
});
