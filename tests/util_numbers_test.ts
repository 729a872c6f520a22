import assert from "node:assert/strict";
import {
  classifyLongDouble,
  formatDouble,
  formatIncrFloat,
  incrByFloat,
  INCRFLOAT_BAD_CURRENT,
  INCRFLOAT_BAD_INCR,
  INCRFLOAT_INCR_INF,
  INCRFLOAT_NAN_INF,
  intBytes,
  parseDouble,
  parseDoubleStr,
  parseInt64,
  parseInt64Str,
  parseLongDouble,
  parseSafeInt,
  writeInt,
} from "../src/util/numbers.ts";
import { binFromDouble } from "../src/util/longdouble.ts";
import { RefRedis, type RespClient } from "../tools/gen_meta.ts";
import { rng } from "./helpers/rng.ts";

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

const SEED = Number(Deno.env.get("SKUA_TEST_SEED") ?? 20240611);
const rand = rng(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: T[]): T => xs[int(xs.length)];
const digits = (n: number) => Array.from({ length: n }, () => String(int(10))).join("");

async function withRedis(fn: (c: RespClient) => Promise<void>): Promise<void> {
  const server = await RefRedis.start();
  const c = await server.client();
  try {
    await fn(c);
  } finally {
    c.close();
    await server.stop();
  }
}

/** The reply text, or "ERR ..." for an error reply. */
async function text(c: RespClient, ...args: (string | Uint8Array)[]): Promise<string> {
  const r = await c.call(...args);
  if (r.t === "err") return r.v;
  if (r.t === "bulk" || r.t === "simple") return r.v;
  if (r.t === "int") return String(r.v);
  throw new Error(`unexpected reply ${JSON.stringify(r)}`);
}

// ---------------------------------------------------------------------------------------------

const INT_EDGE = [
  "0",
  "-0",
  "00",
  "01",
  "-01",
  "+1",
  " 1",
  "1 ",
  "",
  "-",
  "1-",
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775808",
  "-9223372036854775809",
  "18446744073709551615",
  "18446744073709551616",
  "99999999999999999999",
  "-99999999999999999999",
  "100000000000000000000",
  "9007199254740991",
  "9007199254740992",
  "-9007199254740991",
  "-9007199254740992",
  "1e5",
  "1.0",
  "0x10",
  "12a",
  "\x001",
  "1\x00",
  "12345678901234567890",
  "-1234567890123456789",
];

function randomIntString(): string {
  switch (int(5)) {
    case 0:
      return String(int(1000) - 500);
    case 1:
      return (rand() < 0.5 ? "-" : "") + String(1 + int(9)) + digits(int(19));
    case 2:
      return pick(["", "-", "+", " ", "0"]) + digits(1 + int(20));
    case 3:
      return String(BigInt(Math.floor(rand() * 2 ** 53)) * BigInt(int(1200)) - 2n ** 62n);
    default:
      return pick(INT_EDGE) + pick(["", "0", "1", "-"]);
  }
}

Deno.test("parseInt64 / parseSafeInt match string2ll (INCRBY on redis-server)", async () => {
  await withRedis(async (c) => {
    const cases = [...INT_EDGE];
    for (let i = 0; i < 1500; i++) cases.push(randomIntString());
    for (const s of cases) {
      await c.call("DEL", "k");
      const want = await text(c, "INCRBY", "k", bytes(s));
      const got = parseInt64(bytes(s));
      const label = `${JSON.stringify(s)} (seed ${SEED})`;
      if (want.startsWith("ERR")) {
        assert.equal(got, null, label);
        assert.ok(Number.isNaN(parseSafeInt(bytes(s))), label);
        continue;
      }
      assert.equal(String(got), want, label);
      assert.equal(typeof got, Number.isSafeInteger(Number(want)) ? "number" : "bigint", label);
      assert.equal(parseInt64Str(s), got, label);
      const safe = parseSafeInt(bytes(s));
      if (typeof got === "number") assert.equal(safe, got, label);
      else assert.ok(Number.isNaN(safe), label);
    }
  });
});

Deno.test("intBytes / writeInt", () => {
  for (const n of [0, 7, 9999, 10000, -1, -123, 2 ** 53 - 1, -(2 ** 53 - 1), 1234567]) {
    assert.deepEqual(intBytes(n), bytes(String(n)));
    const buf = new Uint8Array(32);
    const end = writeInt(buf, 3, n);
    assert.deepEqual(buf.subarray(3, end), bytes(String(n)));
  }
  assert.equal(intBytes(42), intBytes(42)); // cached
});

// ---------------------------------------------------------------------------------------------

const FLOAT_EDGE = [
  "0",
  "-0",
  "0.0",
  "-0.0",
  "1",
  "1.",
  ".5",
  "-.5",
  "+.5e+3",
  ".",
  "+",
  "-",
  "",
  " 1",
  "1 ",
  "1e",
  "1e+",
  "1E5",
  "1e-5",
  "-2.5E-3",
  "5.0e3",
  "inf",
  "+inf",
  "-inf",
  "INF",
  "Infinity",
  "-infinity",
  "infinit",
  "nan",
  "NaN",
  "-nan",
  "nan(123)",
  "0x10",
  "0X1P-2",
  "0x1.8p1",
  "0x",
  "0x.p1",
  "0xp1",
  "0x1p",
  "1e400",
  "-1e400",
  "1e308",
  "1.7976931348623157e308",
  "1.7976931348623159e308",
  "1e-400",
  "5e-324",
  "2.4703282292062328e-324",
  "2.4703282292062327e-324",
  "1e-310",
  "1e4932",
  "1e4933",
  "1.18973149535723176502e4932",
  "1.18973149535723176509e4932",
  "1e-4940",
  "1e-4951",
  "3.7e-4951",
  "0x1p-16445",
  "0x1p-16446",
  "0x1.8p-16446",
  "0x1p-1074",
  "0x1p-1075",
  "0x1.0000000000001p-1075",
  "0e99999999999",
  "1e-99999999999",
  "0.1",
  "0.2",
  "0.3",
  "10.5",
  "3001.1",
  "1234.1",
  "123456789012345678901234567890",
  "0.000003814697265625",
  "1125899906842624.25",
  "0.100002288818359375",
  "1.5\x00",
  "\x001",
  "1_000",
  "1,5",
  "١",
  "00000000000000000000000000000000000000000001.5",
  "9".repeat(400),
  "0." + "0".repeat(300) + "1",
];

function randomDecimal(): string {
  const sign = pick(["", "", "", "-", "+"]);
  switch (int(7)) {
    case 0: // typical decimals
      return sign + String(int(10 ** (1 + int(6)))) + "." + digits(1 + int(10));
    case 1: // integers
      return sign + String(int(2 ** 31)) + (rand() < 0.3 ? digits(int(12)) : "");
    case 2: // exponents
      return sign + digits(1 + int(5)) + (rand() < 0.5 ? "." + digits(int(6)) : "") +
        pick(["e", "E"]) + pick(["", "+", "-"]) + String(int(30));
    case 3: // huge / tiny magnitudes
      return sign + "1." + digits(int(20)) + "e" + String(int(9900) - 4950);
    case 6: // around the exact fast path's magnitude limit
      return sign + String(int(100)) + "." + digits(1 + int(16));
    case 4: // long digit strings
      return sign + digits(1 + int(40)) + "." + digits(int(40));
    default:
      return sign + "0." + digits(1 + int(18));
  }
}

function exactHex(x: number): string {
  const b = binFromDouble(x);
  return `${b.neg ? "-" : ""}0x${b.mant.toString(16)}p${b.exp}`;
}

Deno.test("parseDouble + formatDouble match ZINCRBY / ZSCORE of redis-server", async () => {
  await withRedis(async (c) => {
    const cases: string[] = [...FLOAT_EDGE];
    for (let i = 0; i < 1500; i++) cases.push(randomDecimal());
    // Random bit patterns, and values with exactly 18 significant digits (printf ties).
    const f64 = new Float64Array(1);
    const u32 = new Uint32Array(f64.buffer);
    for (let i = 0; i < 800; i++) {
      u32[0] = int(2 ** 32);
      u32[1] = int(2 ** 32);
      if (Number.isFinite(f64[0])) cases.push(String(f64[0]));
    }
    for (let i = 0; i < 400; i++) {
      const k = 1 + int(22);
      const x = (2 * int(2 ** 52 / 2 ** int(30)) + 1) / 2 ** k;
      cases.push(x.toPrecision(18), (-x).toPrecision(18), String(x));
    }
    let n = 0;
    for (const s of cases) {
      const want = await text(c, "ZINCRBY", "z", bytes(s), `m${n++}`);
      const got = parseDouble(bytes(s));
      const label = `${JSON.stringify(s)} (seed ${SEED})`;
      if (want.startsWith("ERR")) {
        assert.equal(want, "ERR value is not a valid float", label);
        assert.equal(got, null, label);
        continue;
      }
      assert.notEqual(got, null, label);
      assert.equal(formatDouble(got!), want, label);
      assert.equal(parseDoubleStr(s), got, label);
    }
  });
});

Deno.test("formatDouble handles every double class", () => {
  assert.equal(formatDouble(0.1), "0.10000000000000001");
  assert.equal(formatDouble(-0), "-0");
  assert.equal(formatDouble(Infinity), "inf");
  assert.equal(formatDouble(-Infinity), "-inf");
  assert.equal(formatDouble(1e20), "1e+20");
  assert.equal(formatDouble(1e-5), "1.0000000000000001e-05");
  assert.equal(formatDouble(1125899906842624.25), "1125899906842624.2");
  assert.equal(formatDouble(1125899906842624.75), "1125899906842624.8");
  assert.equal(formatDouble(-(2 ** 53) - 2), "-9007199254740994");
});

// ---------------------------------------------------------------------------------------------

const INCR_ERRORS: Record<number, string> = {
  [INCRFLOAT_BAD_CURRENT]: "ERR value is not a valid float",
  [INCRFLOAT_BAD_INCR]: "ERR value is not a valid float",
  [INCRFLOAT_NAN_INF]: "ERR increment would produce NaN or Infinity",
};

function incrText(cur: string | null, incr: string): string {
  const r = incrByFloat(cur === null ? null : bytes(cur), bytes(incr));
  return typeof r === "string" ? r : INCR_ERRORS[r];
}

async function redisIncr(c: RespClient, cur: string | null, incr: string): Promise<string> {
  await c.call("DEL", "k");
  if (cur !== null) await c.call("SET", "k", bytes(cur));
  return await text(c, "INCRBYFLOAT", "k", bytes(incr));
}

Deno.test("incrByFloat matches INCRBYFLOAT of redis-server", async () => {
  await withRedis(async (c) => {
    const pairs: [string | null, string][] = [
      [null, "0.1"],
      ["0.1", "0.2"],
      ["10.5", "0.1"],
      ["5.0e3", "2.0e2"],
      ["10.50", "-5"],
      ["1e4932", "1e4932"],
      ["inf", "1"],
      ["1", "-inf"],
      ["inf", "-inf"],
      ["-0.0", "-0"],
      ["", "1"],
      ["abc", "1"],
      ["1", "abc"],
      ["1", ""],
      ["0x1p-16445", "0"],
      ["1e-4951", "0"],
      ["9".repeat(5119), "1"],
      ["9".repeat(5120), "1"],
      ["1", "0".repeat(5119)],
      ["1", "0".repeat(5120)],
      ["0".repeat(5119), "1"],
      ["0".repeat(5120), "1"],
      ["0.1", "-0.1"],
      ["1e300", "1e300"],
      ["89.99", "0.01"],
      ["-45", "44.99999999999999999"],
    ];
    for (const a of FLOAT_EDGE) pairs.push([a, pick(FLOAT_EDGE)], [null, a]);
    for (let i = 0; i < 4000; i++) {
      pairs.push([rand() < 0.1 ? null : randomDecimal(), randomDecimal()]);
    }
    for (const [a, b] of pairs) {
      const want = await redisIncr(c, a, b);
      assert.equal(
        incrText(a, b),
        want,
        `${JSON.stringify(a)} + ${JSON.stringify(b)} (seed ${SEED})`,
      );
      const validIncr = incrByFloat(null, bytes(b)) !== INCRFLOAT_BAD_INCR;
      assert.equal(parseLongDouble(bytes(b)) !== null, validIncr, JSON.stringify(b));
    }
    // Chains: each result is the next current value, as stored by Redis.
    for (let chain = 0; chain < 20; chain++) {
      await c.call("DEL", "k");
      let cur: string | null = null;
      for (let i = 0; i < 50; i++) {
        const b = randomDecimal();
        const want = await text(c, "INCRBYFLOAT", "k", b);
        const got = incrText(cur, b);
        assert.equal(got, want, `${JSON.stringify(cur)} + ${JSON.stringify(b)} (seed ${SEED})`);
        if (!want.startsWith("ERR")) cur = want;
      }
    }
  });
});

Deno.test("incrByFloat with rejectInfIncr matches HINCRBYFLOAT of redis-server", async () => {
  await withRedis(async (c) => {
    const errors: Record<number, string> = {
      [INCRFLOAT_BAD_CURRENT]: "ERR hash value is not a float",
      [INCRFLOAT_BAD_INCR]: "ERR value is not a valid float",
      [INCRFLOAT_INCR_INF]: "ERR value is NaN or Infinity",
      [INCRFLOAT_NAN_INF]: "ERR increment would produce NaN or Infinity",
    };
    const cases: [string | null, string][] = [
      [null, "inf"],
      ["1", "-inf"],
      ["abc", "inf"],
      ["abc", "1"],
      ["1e4932", "1e4932"],
      ["1", "nan"],
      [null, "0.1"],
      ["3001.1", "0"],
      ["1", "1e400"],
    ];
    for (const [a, b] of cases) {
      await c.call("DEL", "h");
      if (a !== null) await c.call("HSET", "h", "f", a);
      const want = await text(c, "HINCRBYFLOAT", "h", "f", b);
      const r = incrByFloat(a, b, true);
      const cls = classifyLongDouble(bytes(b));
      assert.equal(cls, r === INCRFLOAT_BAD_INCR || r === INCRFLOAT_INCR_INF ? r : 0, b);
      assert.equal(typeof r === "string" ? r : errors[r], want, `${a} + ${b}`);
    }
  });
});

Deno.test("formatIncrFloat prints a double as Redis prints that long double", async () => {
  await withRedis(async (c) => {
    const xs = [0.1, 0.3, 0.30000000000000004, -2.5, 1e20, 1e300, -1e-300, 5e-324, 3001.1, 2 ** 70];
    const f64 = new Float64Array(1);
    const u32 = new Uint32Array(f64.buffer);
    for (let i = 0; i < 300; i++) {
      u32[0] = int(2 ** 32);
      u32[1] = pick([0x3ff00000, 0x40f00000, 0x3e000000, 0xc0300000]) + int(2 ** 20);
      xs.push(f64[0]);
      xs.push(Math.round(rand() * 1e6) / 10 ** int(8));
    }
    for (const x of xs) {
      // The hex form makes strtold exact, so INCRBYFLOAT by 0 prints exactly x.
      const want = await redisIncr(c, exactHex(x), "0");
      assert.equal(formatIncrFloat(x), want, String(x));
    }
    assert.equal(formatIncrFloat(Infinity), "inf");
    assert.equal(formatIncrFloat(-0), "0");
  });
});

Deno.test("parseLongDouble accepts long double range", () => {
  assert.equal(parseLongDouble(bytes("1e400")), Infinity);
  assert.equal(parseLongDouble(bytes("1e4933")), null);
  assert.equal(parseLongDouble(bytes("0.5")), 0.5);
  assert.equal(parseLongDouble(bytes("nan")), null);
  assert.equal(parseLongDouble(bytes("-inf")), -Infinity);
});
