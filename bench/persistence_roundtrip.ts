/**
 * Section "roundtrip": a dataset of every type made in redis-server (bench/persistence_dataset.ts
 * through `redis-cli --pipe`), SAVE; Skua starts on that file and every key is compared with
 * redis-server's; Skua SAVEs; a second redis-server starts on Skua's file and every key is
 * compared again. Mismatches must be 0; each step is timed.
 */

import type { ServerHandle } from "../tests/helpers/server.ts";
import { fixed, int, mib } from "./keyspace_report.ts";
import { bar } from "./persistence_bgsave.ts";
import {
  compare,
  type Comparison,
  dbsizes,
  describe,
  keysOf,
  type Snapshot,
  snapshot,
} from "./persistence_compare.ts";
import { describePlan, roundtripDataset } from "./persistence_dataset.ts";
import {
  call,
  type Ctx,
  label,
  loggedLoadSeconds,
  makeDir,
  pipe,
  removeDir,
  startOn,
  stopQuietly,
} from "./persistence_env.ts";

interface Step {
  name: string;
  seconds: number;
  note?: string;
}

async function timed<T>(steps: Step[], name: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await f();
  steps.push({ name, seconds: (performance.now() - t0) / 1000 });
  return r;
}

/** Up to five mismatches of `c`, each with both sides' contents (truncated). */
async function details(
  c: Comparison,
  ports: [number, number],
  names: [string, string],
): Promise<string[]> {
  const out: string[] = [];
  for (const [k, why] of c.samples.slice(0, 5)) {
    const db = Number(k.slice(0, k.indexOf(" ")));
    const key = k.slice(k.indexOf(" ") + 1);
    const cut = (s: string) => s.length > 400 ? `${s.slice(0, 400)}…` : s;
    out.push(`- db ${db} \`${key}\`: ${why}`);
    for (let i = 0; i < 2; i++) {
      out.push(`  - ${names[i]}: \`${cut(await describe(ports[i], db, key))}\``);
    }
  }
  return out;
}

export async function roundtripSection(ctx: Ctx): Promise<string> {
  const k = ctx.roundtripKeys;
  const dirs: string[] = [];
  const servers: ServerHandle[] = [];
  const steps: Step[] = [];
  const dir = async (what: string) => {
    const d = await makeDir(ctx, what);
    dirs.push(d);
    return d;
  };
  const start = async (kind: "skua" | "redis", d: string) => {
    const h = await startOn(ctx, kind, d);
    servers.push(h);
    return h;
  };
  try {
    const r1Dir = await dir("rt-redis1");
    const r1 = await start("redis", r1Dir);
    ctx.log(`roundtrip: ${k} keys of every type into redis-server`);
    const expireBase = Date.now() + 86_400_000;
    await timed(
      steps,
      "redis-cli --pipe into redis-server",
      () => pipe(r1.port, roundtripDataset(k, expireBase)),
    );
    await timed(steps, "redis-server SAVE", () => call(r1.port, "SAVE"));
    const redisFile = (await Deno.stat(`${r1Dir}/dump.rdb`)).size;
    const keys = await keysOf(r1.port);
    const sizes = await dbsizes(r1.port);
    const a = await timed(
      steps,
      "read + digest every key, redis-server",
      () => snapshot(r1.port, keys),
    );

    ctx.log("roundtrip: Skua loads redis-server's file");
    const sDir = await dir("rt-skua");
    await Deno.copyFile(`${r1Dir}/dump.rdb`, `${sDir}/dump.rdb`);
    const skua = await timed(
      steps,
      "Skua start on redis-server's file (spawn to PONG)",
      () => start("skua", sDir),
    );
    steps.at(-1)!.note = `logged ${fixed(loggedLoadSeconds(skua.output()), 3)} s`;
    const b = await timed(steps, "read + digest every key, Skua", () => snapshot(skua.port, keys));
    const ab = compare(a, b);
    const abSizes = await dbsizes(skua.port);
    const abDetails = await details(ab, [r1.port, skua.port], [ctx.redisLabel, label(ctx, "skua")]);
    await timed(steps, "Skua SAVE", () => call(skua.port, "SAVE"));
    const skuaFile = (await Deno.stat(`${sDir}/dump.rdb`)).size;

    ctx.log("roundtrip: redis-server loads Skua's file");
    const r2Dir = await dir("rt-redis2");
    await Deno.copyFile(`${sDir}/dump.rdb`, `${r2Dir}/dump.rdb`);
    const r2 = await timed(
      steps,
      "redis-server start on Skua's file (spawn to PONG)",
      () => start("redis", r2Dir),
    );
    steps.at(-1)!.note = `logged ${fixed(loggedLoadSeconds(r2.output()), 3)} s`;
    const c = await timed(
      steps,
      "read + digest every key, redis-server 2",
      () => snapshot(r2.port, keys),
    );
    const ac = compare(a, c);
    const acSizes = await dbsizes(r2.port);
    const acDetails = await details(ac, [r1.port, r2.port], [ctx.redisLabel, "redis-server 2"]);
    return report(ctx, {
      steps,
      redisFile,
      skuaFile,
      sizes,
      encodings: encodingsOf(a),
      legs: [
        {
          name: `${label(ctx, "skua")} after loading redis-server's file`,
          c: ab,
          sizes: abSizes,
          details: abDetails,
        },
        {
          name: "redis-server after loading Skua's file",
          c: ac,
          sizes: acSizes,
          details: acDetails,
        },
      ],
    });
  } finally {
    for (const s of servers) await stopQuietly(s);
    for (const d of dirs) await removeDir(d);
  }
}

/** "type encoding" -> keys, for the report. */
function encodingsOf(s: Snapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of s.values()) {
    out.set(`${x.type} ${x.enc}`, (out.get(`${x.type} ${x.enc}`) ?? 0) + 1);
  }
  return out;
}

interface Leg {
  name: string;
  c: Comparison;
  sizes: number[];
  details: string[];
}

interface Result {
  steps: Step[];
  redisFile: number;
  skuaFile: number;
  sizes: number[];
  encodings: Map<string, number>;
  legs: Leg[];
}

function report(ctx: Ctx, r: Result): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const total = r.sizes.reduce((x, y) => x + y, 0);
  const out = [
    "## Round trip redis-server → Skua → redis-server",
    "",
    `### ${int(total)} keys of every type (db 0: ${int(r.sizes[0])}, db 1: ${int(r.sizes[1])})`,
    "",
    line([
      "compared with the original redis-server",
      "keys",
      "DBSIZE db 0 / db 1",
      "missing",
      "differing",
      "mismatches",
    ]),
    line(["---", "---:", "---:", "---:", "---:", "---:"]),
  ];
  for (const leg of r.legs) {
    const extra = Math.abs(leg.sizes[0] - r.sizes[0]) + Math.abs(leg.sizes[1] - r.sizes[1]);
    const bad = leg.c.missing + leg.c.content + extra;
    out.push(line([
      leg.name,
      int(leg.c.keys),
      `${int(leg.sizes[0])} / ${int(leg.sizes[1])}`,
      int(leg.c.missing),
      int(leg.c.content),
      `**${int(bad)}**`,
    ]));
  }
  out.push("", line(["step", "seconds", ""]), line(["---", "---:", "---"]));
  for (const s of r.steps) out.push(line([s.name, fixed(s.seconds, 2), s.note ?? ""]));
  out.push(
    "",
    `RDB files: redis-server's ${mib(r.redisFile)} MiB, Skua's ${mib(r.skuaFile)} MiB.`,
    "",
    "Encodings in the original redis-server (OBJECT ENCODING): " +
      [...r.encodings].sort().map(([t, n]) => `${t} ${int(n)}`).join(", ") + ".",
    "",
    `Dataset (\`--roundtrip-keys ${ctx.roundtripKeys}\`): ${describePlan(ctx.roundtripKeys)}. ` +
      "Small collections hold 1–10 elements (listpack/intset in Redis 7.0; sets of strings " +
      "are hashtables there); big ones are scaled down so the run stays short: per 2,000 " +
      "keys one list of 1,000 items, one hash of 600 fields, one sorted set of 200, one set of 300 " +
      "strings and one intset of 400; per 10,000 keys one list with a 10 KB item, a hash " +
      "with a 100-byte value, a set of 600 integers (past set-max-intset-entries), a sorted " +
      "set with an 80-byte member and a 100 KB compressible string. Every tenth key has an " +
      "absolute expiry a day ahead; 1% of the small keys are in database 1. Strings include " +
      "16/32/64-bit and non-canonical integers; scores include ±inf, -0 and 17-digit fractions.",
    "",
    "A key matches when TYPE, PEXPIRETIME and its value (GET; LRANGE 0 -1; HGETALL and " +
      "SMEMBERS sorted; ZRANGE 0 -1 WITHSCORES) are equal, compared by a 53-bit digest. " +
      "Mismatches are missing keys, differing keys and any difference in DBSIZE.",
  );
  for (const leg of r.legs) {
    out.push("", `${leg.name}:`, "");
    const encs = [...leg.c.encodings].map(([t, n]) => `${t} ×${int(n)}`);
    out.push(`- encodings changed: ${encs.length === 0 ? "none" : encs.join(", ")}`);
    const dumps = [...leg.c.dumps].map(([t, [same, n]]) => `${t} ${int(same)}/${int(n)}`);
    out.push(
      `- DUMP payload byte-identical, by encoding (informative; a hashtable's order ` +
        `differs between processes): ${dumps.join(", ")}`,
    );
    out.push(...leg.details);
  }
  const bad = r.legs.map((l) =>
    l.c.missing + l.c.content +
    Math.abs(l.sizes[0] - r.sizes[0]) + Math.abs(l.sizes[1] - r.sizes[1])
  );
  out.push(
    "",
    bar(`identical contents both ways: ${bad.join(" and ")} mismatches`, bad.every((x) => x === 0)),
  );
  return out.join("\n");
}
