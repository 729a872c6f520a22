import assert from "node:assert/strict";
import { formatDouble, ReplyWriter } from "../src/resp/writer.ts";
import { readReply } from "../src/resp/reply_reader.ts";
import type { Reply } from "../src/resp/reply_reader.ts";

function enc(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

function dec(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

interface Case {
  name: string;
  write: (w: ReplyWriter) => void;
  resp2: string;
  resp3: string;
  /** what readReply gives back for [resp2, resp3] */
  read2: Reply;
  read3: Reply;
}

const bin = enc("a\r\n\x00\xff");

const CASES: Case[] = [
  {
    name: "ok",
    write: (w) => w.ok(),
    resp2: "+OK\r\n",
    resp3: "+OK\r\n",
    read2: "OK",
    read3: "OK",
  },
  {
    name: "simple",
    write: (w) => w.simple("PONG"),
    resp2: "+PONG\r\n",
    resp3: "+PONG\r\n",
    read2: "PONG",
    read3: "PONG",
  },
  {
    name: "simple keeps one line",
    write: (w) => w.simple("a\r\nb"),
    resp2: "+a  b\r\n",
    resp3: "+a  b\r\n",
    read2: "a  b",
    read3: "a  b",
  },
  {
    name: "error",
    write: (w) => w.error("ERR syntax error"),
    resp2: "-ERR syntax error\r\n",
    resp3: "-ERR syntax error\r\n",
    read2: { error: "ERR syntax error" },
    read3: { error: "ERR syntax error" },
  },
  {
    name: "error with newline",
    write: (w) => w.error("ERR bad\nthing"),
    resp2: "-ERR bad thing\r\n",
    resp3: "-ERR bad thing\r\n",
    read2: { error: "ERR bad thing" },
    read3: { error: "ERR bad thing" },
  },
  ...[
    0,
    1,
    7,
    9,
    10,
    31,
    32,
    99,
    100,
    12345,
    2147483647,
    -1,
    -10,
    -2147483648,
    2147483648,
    9007199254740991,
    -9007199254740991,
  ]
    .map((n): Case => ({
      name: `integer ${n}`,
      write: (w) => w.integer(n),
      resp2: `:${n}\r\n`,
      resp3: `:${n}\r\n`,
      read2: n,
      read3: n,
    })),
  {
    name: "bigint",
    write: (w) => w.bigint(-9223372036854775808n),
    resp2: ":-9223372036854775808\r\n",
    resp3: ":-9223372036854775808\r\n",
    read2: -9223372036854775808n,
    read3: -9223372036854775808n,
  },
  {
    name: "bigint max",
    write: (w) => w.bigint(18446744073709551615n),
    resp2: ":18446744073709551615\r\n",
    resp3: ":18446744073709551615\r\n",
    read2: 18446744073709551615n,
    read3: 18446744073709551615n,
  },
  {
    name: "bulk binary",
    write: (w) => w.bulk(bin),
    resp2: "$5\r\na\r\n\x00\xff\r\n",
    resp3: "$5\r\na\r\n\x00\xff\r\n",
    read2: bin,
    read3: bin,
  },
  {
    name: "bulk empty",
    write: (w) => w.bulk(new Uint8Array(0)),
    resp2: "$0\r\n\r\n",
    resp3: "$0\r\n\r\n",
    read2: new Uint8Array(0),
    read3: new Uint8Array(0),
  },
  {
    name: "bulk long",
    write: (w) => w.bulk(enc("z".repeat(100))),
    resp2: `$100\r\n${"z".repeat(100)}\r\n`,
    resp3: `$100\r\n${"z".repeat(100)}\r\n`,
    read2: enc("z".repeat(100)),
    read3: enc("z".repeat(100)),
  },
  {
    name: "bulkStr latin1",
    write: (w) => w.bulkStr("h\xe9\xff"),
    resp2: "$3\r\nh\xe9\xff\r\n",
    resp3: "$3\r\nh\xe9\xff\r\n",
    read2: enc("h\xe9\xff"),
    read3: enc("h\xe9\xff"),
  },
  {
    name: "bulkStr 40 chars",
    write: (w) => w.bulkStr("q".repeat(40)),
    resp2: `$40\r\n${"q".repeat(40)}\r\n`,
    resp3: `$40\r\n${"q".repeat(40)}\r\n`,
    read2: enc("q".repeat(40)),
    read3: enc("q".repeat(40)),
  },
  {
    name: "nullBulk",
    write: (w) => w.nullBulk(),
    resp2: "$-1\r\n",
    resp3: "_\r\n",
    read2: null,
    read3: null,
  },
  {
    name: "nullArray",
    write: (w) => w.nullArray(),
    resp2: "*-1\r\n",
    resp3: "_\r\n",
    read2: null,
    read3: null,
  },
  {
    name: "arrayHeader",
    write: (w) => {
      w.arrayHeader(2);
      w.integer(1);
      w.bulkStr("x");
    },
    resp2: "*2\r\n:1\r\n$1\r\nx\r\n",
    resp3: "*2\r\n:1\r\n$1\r\nx\r\n",
    read2: [1, enc("x")],
    read3: [1, enc("x")],
  },
  {
    name: "arrayHeader 0",
    write: (w) => w.arrayHeader(0),
    resp2: "*0\r\n",
    resp3: "*0\r\n",
    read2: [],
    read3: [],
  },
  {
    name: "arrayHeader 1000",
    write: (w) => {
      w.arrayHeader(1000);
      for (let i = 0; i < 1000; i++) w.integer(i);
    },
    resp2: "*1000\r\n" + Array.from({ length: 1000 }, (_, i) => `:${i}\r\n`).join(""),
    resp3: "*1000\r\n" + Array.from({ length: 1000 }, (_, i) => `:${i}\r\n`).join(""),
    read2: Array.from({ length: 1000 }, (_, i) => i),
    read3: Array.from({ length: 1000 }, (_, i) => i),
  },
  {
    name: "mapHeader",
    write: (w) => {
      w.mapHeader(1);
      w.bulkStr("f");
      w.bulkStr("v");
    },
    resp2: "*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    resp3: "%1\r\n$1\r\nf\r\n$1\r\nv\r\n",
    read2: [enc("f"), enc("v")],
    read3: { map: [[enc("f"), enc("v")]] },
  },
  {
    name: "mapHeader 40",
    write: (w) => {
      w.mapHeader(40);
      for (let i = 0; i < 40; i++) {
        w.integer(i);
        w.bool(true);
      }
    },
    resp2: "*80\r\n" + Array.from({ length: 40 }, (_, i) => `:${i}\r\n:1\r\n`).join(""),
    resp3: "%40\r\n" + Array.from({ length: 40 }, (_, i) => `:${i}\r\n#t\r\n`).join(""),
    read2: Array.from({ length: 40 }, (_, i) => [i, 1]).flat(),
    read3: { map: Array.from({ length: 40 }, (_, i): [Reply, Reply] => [i, true]) },
  },
  {
    name: "setHeader",
    write: (w) => {
      w.setHeader(1);
      w.bulkStr("x");
    },
    resp2: "*1\r\n$1\r\nx\r\n",
    resp3: "~1\r\n$1\r\nx\r\n",
    read2: [enc("x")],
    read3: { set: [enc("x")] },
  },
  {
    name: "setHeader 100",
    write: (w) => {
      w.setHeader(100);
      for (let i = 0; i < 100; i++) w.integer(i - 50);
    },
    resp2: "*100\r\n" + Array.from({ length: 100 }, (_, i) => `:${i - 50}\r\n`).join(""),
    resp3: "~100\r\n" + Array.from({ length: 100 }, (_, i) => `:${i - 50}\r\n`).join(""),
    read2: Array.from({ length: 100 }, (_, i) => i - 50),
    read3: { set: Array.from({ length: 100 }, (_, i) => i - 50) },
  },
  {
    name: "pushHeader",
    write: (w) => {
      w.pushHeader(3);
      w.bulkStr("message");
      w.bulkStr("ch");
      w.bulkStr("hi");
    },
    resp2: "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
    resp3: ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
    read2: [enc("message"), enc("ch"), enc("hi")],
    read3: { push: [enc("message"), enc("ch"), enc("hi")] },
  },
  {
    name: "pushHeader 33",
    write: (w) => {
      w.pushHeader(33);
      for (let i = 0; i < 33; i++) w.ok();
    },
    resp2: "*33\r\n" + "+OK\r\n".repeat(33),
    resp3: ">33\r\n" + "+OK\r\n".repeat(33),
    read2: Array(33).fill("OK"),
    read3: { push: Array(33).fill("OK") },
  },
  // doubles as redis-server 7.0.15 printed them (ZSCORE / ZRANGE WITHSCORES, RESP2 and HELLO 3)
  ...([
    [1.1, "1.1000000000000001"],
    [3, "3"],
    [1.5, "1.5"],
    [0, "0"],
    [0.0001, "0.0001"],
    [0.00001, "1.0000000000000001e-05"],
    [1e300, "1.0000000000000001e+300"],
    [2.5e-300, "2.5e-300"],
    [123456789012345678, "1.2345678901234568e+17"],
    [3.141, "3.141"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
  ] as [number, string][]).map(([d, s]): Case => ({
    name: `double ${s}`,
    write: (w) => w.double(d),
    resp2: `$${s.length}\r\n${s}\r\n`,
    resp3: `,${s}\r\n`,
    read2: enc(s),
    read3: { double: d },
  })),
  {
    name: "bool true",
    write: (w) => w.bool(true),
    resp2: ":1\r\n",
    resp3: "#t\r\n",
    read2: 1,
    read3: true,
  },
  {
    name: "bool false",
    write: (w) => w.bool(false),
    resp2: ":0\r\n",
    resp3: "#f\r\n",
    read2: 0,
    read3: false,
  },
  {
    name: "verbatim",
    write: (w) => w.verbatim("# Server\r\nredis_version:7.0.15\r\n"),
    resp2: "$32\r\n# Server\r\nredis_version:7.0.15\r\n\r\n",
    resp3: "=36\r\ntxt:# Server\r\nredis_version:7.0.15\r\n\r\n",
    read2: enc("# Server\r\nredis_version:7.0.15\r\n"),
    read3: { verbatim: "# Server\r\nredis_version:7.0.15\r\n" },
  },
  {
    name: "verbatim fmt",
    write: (w) => w.verbatim("**hi**", "mkd"),
    resp2: "$6\r\n**hi**\r\n",
    resp3: "=10\r\nmkd:**hi**\r\n",
    read2: enc("**hi**"),
    read3: { verbatim: "**hi**" },
  },
  {
    name: "raw",
    write: (w) => w.raw(enc("+PONG\r\n")),
    resp2: "+PONG\r\n",
    resp3: "+PONG\r\n",
    read2: "PONG",
    read3: "PONG",
  },
  {
    name: "rawStr",
    write: (w) => w.rawStr(":42\r\n"),
    resp2: ":42\r\n",
    resp3: ":42\r\n",
    read2: 42,
    read3: 42,
  },
];

Deno.test("writer: every method, RESP2 and RESP3 bytes, and readReply round trip", () => {
  for (const c of CASES) {
    for (const proto of [2, 3] as const) {
      // a tiny initial capacity makes every case go through growth as well
      for (const cap of [16 * 1024, 1]) {
        const w = new ReplyWriter(cap);
        w.proto = proto;
        c.write(w);
        const want = proto === 2 ? c.resp2 : c.resp3;
        assert.equal(dec(w.view()), want, `${c.name} RESP${proto}`);
        const r = readReply(w.view(), 0);
        assert.ok(r !== null, c.name);
        assert.deepEqual(r[0], proto === 2 ? c.read2 : c.read3, `${c.name} RESP${proto} read back`);
        assert.equal(r[1], w.len);
      }
    }
  }
});

Deno.test("writer: replies accumulate; take, view and reset", () => {
  const w = new ReplyWriter(8);
  w.ok();
  w.integer(5);
  w.nullBulk();
  const v = w.view();
  assert.equal(dec(v), "+OK\r\n:5\r\n$-1\r\n");
  assert.equal(v.buffer, w.buf.buffer, "view does not copy");
  const t = w.take();
  assert.equal(dec(t), "+OK\r\n:5\r\n$-1\r\n");
  assert.notEqual(t.buffer, w.buf.buffer, "take copies");
  assert.equal(w.len, 0);
  w.bulkStr("abc");
  w.reset();
  assert.equal(w.len, 0);
  assert.equal(w.view().length, 0);
  w.error("ERR x");
  assert.equal(dec(w.take()), "-ERR x\r\n");
});

Deno.test("writer: growth keeps earlier bytes (large bulk after small replies)", () => {
  const w = new ReplyWriter(16);
  const big = new Uint8Array(1_000_000).fill(7);
  w.integer(1);
  w.bulk(big);
  w.integer(2);
  const r1 = readReply(w.view(), 0)!;
  assert.equal(r1[0], 1);
  const r2 = readReply(w.view(), r1[1])!;
  assert.deepEqual(r2[0], big);
  assert.deepEqual(readReply(w.view(), r2[1]), [2, w.len]);
});

Deno.test("writer: integers of every magnitude", () => {
  const w = new ReplyWriter(16);
  const values: number[] = [];
  for (let p = 1; p <= 9007199254740991; p *= 3) values.push(p, -p, p - 1, -(p - 1), p + 1);
  for (let p = 1; p < 1e16; p *= 10) values.push(p, p - 1, -p, -(p - 1));
  for (const n of values) {
    w.reset();
    w.integer(n);
    assert.equal(dec(w.view()), `:${n}\r\n`);
    w.reset();
    w.arrayHeader(n);
    assert.equal(dec(w.view()), `*${n}\r\n`);
  }
});

Deno.test("writer: formatDouble matches C printf %.17g", () => {
  // Expected strings from Python's '%.17g' % x (same correctly rounded, ties-to-even output
  // as glibc printf, which redis-server uses).
  const cases: [number, string][] = [
    [0.1, "0.10000000000000001"],
    [-0.1, "-0.10000000000000001"],
    [1e-4, "0.0001"],
    [1.5e-5, "1.5e-05"],
    [1e-5, "1.0000000000000001e-05"],
    [1e16, "10000000000000000"],
    [1e17, "1e+17"],
    [12345678901234567, "12345678901234568"],
    [5e-324, "4.9406564584124654e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [-0, "-0"],
    [NaN, "nan"],
    [9007199254740993, "9007199254740992"],
    [100, "100"],
    [0.5, "0.5"],
    [-2.5, "-2.5"],
    // exact ties at the 17th digit: glibc rounds to even, JS toExponential would round up
    [1234567890123456.25, "1234567890123456.2"],
    [1234567890123456.75, "1234567890123456.8"],
    [-1234567890123456.25, "-1234567890123456.2"],
    [2 ** -25, "2.9802322387695312e-08"],
    [3 * 2 ** -25, "8.9406967163085938e-08"],
  ];
  for (const [d, s] of cases) assert.equal(formatDouble(d), s, String(d));
});
