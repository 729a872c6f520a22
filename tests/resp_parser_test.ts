import assert from "node:assert/strict";
import { ProtocolError, RequestParser } from "../src/resp/parser.ts";
import { latin1 } from "../src/util/bytes.ts";
import { string2llRange as string2ll } from "../src/util/numbers.ts";
import type { ParserLimits } from "../src/resp/parser.ts";

/** latin1 string -> bytes */
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

function drain(p: RequestParser, out: string[][]): void {
  for (let n = p.next(); n > 0; n = p.next()) {
    assert.ok(p.argv.length >= n);
    out.push(p.argv.slice(0, n).map(dec));
  }
}

/** Feeds the chunks one at a time, draining after each, and returns every command's argv. */
function parseChunks(chunks: Uint8Array[], limits?: Partial<ParserLimits>): string[][] {
  const p = new RequestParser(limits);
  const out: string[][] = [];
  for (const c of chunks) {
    p.push(c);
    drain(p, out);
  }
  assert.equal(p.pending, 0, "bytes left over");
  return out;
}

function splitAt(b: Uint8Array, i: number): Uint8Array[] {
  return [b.slice(0, i), b.slice(i)];
}

function bytewise(b: Uint8Array): Uint8Array[] {
  return Array.from(b, (x) => Uint8Array.of(x));
}

function inChunks(b: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.slice(i, i + size));
  return out;
}

/** The message of the ProtocolError raised while feeding `chunks`, or null if none. */
function errorOf(chunks: Uint8Array[], limits?: Partial<ParserLimits>): string | null {
  const p = new RequestParser(limits);
  try {
    for (const c of chunks) {
      p.push(c);
      while (p.next() > 0);
    }
  } catch (e) {
    assert.ok(e instanceof ProtocolError, `unexpected ${e}`);
    return e.message;
  }
  return null;
}

// A pipeline mixing every request shape; expected argv written out by hand.
const PIPELINE: [string, string[][]][] = [
  ["*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", [["SET", "key", "value"]]],
  ["*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", [["GET", "key"]]],
  // \r\n inside a payload, an empty bulk, NUL and high bytes
  ["*2\r\n$4\r\nECHO\r\n$6\r\na\r\nb\r\n\r\n", [["ECHO", "a\r\nb\r\n"]]],
  ["*4\r\n$4\r\nECHO\r\n$0\r\n\r\n$1\r\n\x00\r\n$3\r\n\xff\x80\r\r\n", [[
    "ECHO",
    "",
    "\x00",
    "\xff\x80\r",
  ]]],
  // empty requests are skipped
  ["*0\r\n*-1\r\n\r\n   \n\t\r\n", []],
  ["PING\r\n", [["PING"]]],
  ["GET k\n", [["GET", "k"]]],
  [`SET k "a b\\x41\\n" 'it\\'s'\r\n`, [["SET", "k", "a bA\n", "it's"]]],
  ["  ECHO   x\t y \r\n", [["ECHO", "x", "y"]]],
  ["*1\r\n$4\r\nPING\r\n", [["PING"]]],
];
const PIPE_BYTES = enc(PIPELINE.map(([s]) => s).join(""));
const PIPE_ARGV = PIPELINE.flatMap(([, a]) => a);

Deno.test("parser: pipeline in one chunk", () => {
  assert.deepEqual(parseChunks([PIPE_BYTES]), PIPE_ARGV);
});

Deno.test("parser: pipeline split at every byte boundary", () => {
  for (let i = 0; i <= PIPE_BYTES.length; i++) {
    assert.deepEqual(parseChunks(splitAt(PIPE_BYTES, i)), PIPE_ARGV, `split at ${i}`);
  }
});

Deno.test("parser: pipeline fed byte by byte", () => {
  assert.deepEqual(parseChunks(bytewise(PIPE_BYTES)), PIPE_ARGV);
});

Deno.test("parser: each request alone, split everywhere", () => {
  for (const [s, want] of PIPELINE) {
    const b = enc(s);
    for (let i = 0; i <= b.length; i++) assert.deepEqual(parseChunks(splitAt(b, i)), want, s);
  }
});

// Behaviour checked against redis-server 7.0.15 over a raw socket.
Deno.test("parser: Redis quirks that are accepted", () => {
  const cases: [string, string[][]][] = [
    // bytes after a payload and after a line's '\r' are skipped unchecked
    ["*1\r\n$4\r\nPINGXY*1\r\n$4\r\nPING\r\n", [["PING"], ["PING"]]],
    ["*1\rX$4\rYPING\r\n", [["PING"]]],
    // any negative count (within int64) is an empty request
    ["*-99999999999\r\nPING\r\n", [["PING"]]],
    ["*-9223372036854775808\r\nPING\r\n", [["PING"]]],
    ["*1\r\n$4\r\nPING\r\n\r\n*1\r\n$4\r\nPING\r\n", [["PING"], ["PING"]]],
    [" \t \r\nPING\r\n", [["PING"]]],
    ['ECHO "\\x41\\n"\r\n', [["ECHO", "A\n"]]],
    ["ECHO \x0ba\x0bb\r\n", [["ECHO", "a\x0bb"]]], // \v skipped as blank, but not a separator
    ['ECHO ab"c d"\r\n', [["ECHO", "abc d"]]],
    ["ECHO 'a\\'b'\r\n", [["ECHO", "a'b"]]],
    ['ECHO "a\\qb"\r\n', [["ECHO", "aqb"]]],
    ['ECHO "\\x4g"\r\n', [["ECHO", "x4g"]]],
    ['ECHO x""\r\n', [["ECHO", "x"]]],
    ['ECHO ""\r\n', [["ECHO", ""]]],
    [
      `RPUSH L "a\\"b" 'x' "\\xZZ" "\\t\\b\\a\\r\\\\" 'a\\\\b' a\\b "\\x" "\\xff\\xA0"  \t\x0c "\r" x'y z'\r\n`,
      [[
        "RPUSH",
        "L",
        'a"b',
        "x",
        "xZZ",
        "\t\b\x07\r\\",
        "a\\\\b",
        "a\\b",
        "x",
        "\xff\xa0",
        "\r",
        "xy z",
      ]],
    ],
  ];
  for (const [s, want] of cases) {
    const b = enc(s);
    for (let i = 0; i <= b.length; i++) assert.deepEqual(parseChunks(splitAt(b, i)), want, s);
    assert.deepEqual(parseChunks(bytewise(b)), want, s);
  }
});

// Every message below was produced by redis-server 7.0.15 for the same bytes (raw socket).
const ERRORS: [string, string][] = [
  ["*abc\r\n", "Protocol error: invalid multibulk length"],
  ["*01\r\n", "Protocol error: invalid multibulk length"],
  ["*+1\r\n", "Protocol error: invalid multibulk length"],
  ["*-0\r\n", "Protocol error: invalid multibulk length"],
  ["*\r\n", "Protocol error: invalid multibulk length"],
  ["*2147483648\r\n", "Protocol error: invalid multibulk length"],
  ["*3000000000\r\n", "Protocol error: invalid multibulk length"],
  ["*99999999999999999999\r\n", "Protocol error: invalid multibulk length"],
  ["*-9223372036854775809\r\nPING\r\n", "Protocol error: invalid multibulk length"],
  ["*1\r\nxyz\r\n", "Protocol error: expected '$', got 'x'"],
  ["*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", "Protocol error: expected '$', got 'f'"],
  ["*1\r\n\nfoo\r\n", "Protocol error: expected '$', got ' '"],
  ["*1\r\n\r\nxx", "Protocol error: expected '$', got ' '"],
  ["*1\r\n\xfffoo\r\n", "Protocol error: expected '$', got '\xff'"],
  ["*1\r\n$12a\r\n", "Protocol error: invalid bulk length"],
  ["*1\r\n$-1\r\n", "Protocol error: invalid bulk length"],
  ["*1\r\n$-5\r\n", "Protocol error: invalid bulk length"],
  ["*1\r\n$03\r\n", "Protocol error: invalid bulk length"],
  ["*1\r\n$\r\n", "Protocol error: invalid bulk length"],
  ["*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n", "Protocol error: invalid bulk length"],
  ["*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"],
  ["*1\r\n$2000000000\r\n", "Protocol error: invalid bulk length"],
  ["*1\r\n$9223372036854775807\r\n", "Protocol error: invalid bulk length"],
  ["*1\r\n$9223372036854775808\r\n", "Protocol error: invalid bulk length"],
  ['PING "a\r\n', "Protocol error: unbalanced quotes in request"],
  ['ECHO "a"b\r\n', "Protocol error: unbalanced quotes in request"],
  ["ECHO 'a'b\r\n", "Protocol error: unbalanced quotes in request"],
  ["ECHO 'a\r\n", "Protocol error: unbalanced quotes in request"],
  ['set """test-key""" test-value\r\nping\r\n', "Protocol error: unbalanced quotes in request"],
];

Deno.test("parser: exact Redis error messages, at every split", () => {
  for (const [s, msg] of ERRORS) {
    const b = enc(s);
    assert.equal(errorOf([b]), msg, s);
    for (let i = 0; i <= b.length; i++) assert.equal(errorOf(splitAt(b, i)), msg, `${s} @${i}`);
    assert.equal(errorOf(bytewise(b)), msg, s);
  }
});

Deno.test("parser: commands before a protocol error are still returned", () => {
  const p = new RequestParser();
  p.push(enc("*1\r\n$4\r\nPING\r\nGET a\r\n*x\r\n"));
  assert.equal(p.next(), 1);
  assert.equal(p.next(), 2);
  assert.throws(() => p.next(), new ProtocolError("Protocol error: invalid multibulk length"));
});

// Also checked against redis-server 7.0.15: these wait for more bytes, with no reply.
Deno.test("parser: incomplete or stalled requests wait", () => {
  for (
    const s of [
      "*2147483647\r\n",
      "*1\r\n$536870912\r\n",
      "*1\r\n$4\r\nPING\r",
      // a line counts only once the byte after its '\r' has arrived, even when it is invalid
      "*abc\r",
      "*1\r\n$-5\r",
      "*1\r\nxyz\r",
      "*2\r\n$4\r\nECHO\r\n$2\r\nab",
      'ECHO "a\\',
      "*1\r\n\x00foo\r\n", // strchr stops at the NUL: the line never completes
      "*1\r\n$\x00\r\n",
      "PING\x00\r\n",
      "A".repeat(65536),
      "*" + "1".repeat(65535),
      "*1\r\n$" + "1".repeat(65535),
    ]
  ) {
    const p = new RequestParser();
    p.push(enc(s));
    assert.equal(p.next(), 0, JSON.stringify(s.slice(0, 40)));
    assert.equal(p.pending, s.length);
  }
});

Deno.test("parser: too big lines (pending > 64KB without a terminator)", () => {
  const cases: [string, string][] = [
    ["A".repeat(65537), "Protocol error: too big inline request"],
    ["*" + "1".repeat(65536), "Protocol error: too big mbulk count string"],
    ["*1\r\n$" + "1".repeat(65536), "Protocol error: too big bulk count string"],
    // Redis's "protocol desync" regression tests: a NUL stalls the line until it is too big
    ["\x00" + "payload".repeat(10000), "Protocol error: too big inline request"],
    ["*\x00" + "payload".repeat(10000), "Protocol error: too big mbulk count string"],
    ["$\x00" + "payload".repeat(10000), "Protocol error: too big inline request"],
  ];
  for (const [s, msg] of cases) {
    const b = enc(s);
    assert.equal(errorOf([b]), msg);
    assert.equal(errorOf(inChunks(b, 16 * 1024)), msg);
    assert.equal(errorOf(inChunks(b, 1000)), msg);
  }
  // a complete long inline line is fine (Redis only checks while the line is incomplete)
  const long = "ECHO " + "x".repeat(70000) + "\r\n";
  assert.deepEqual(parseChunks([enc(long)]), [["ECHO", "x".repeat(70000)]]);
});

Deno.test("parser: unauthenticated limits (redis-server 7.0.15 with requirepass)", () => {
  const check = (s: string, msg: string | null) => {
    const p = new RequestParser();
    p.authRequired = true;
    p.push(enc(s));
    if (msg === null) assert.equal(p.next(), 0);
    else assert.throws(() => p.next(), new ProtocolError(msg));
  };
  check("*11\r\n", "Protocol error: unauthenticated multibulk length");
  check("*10\r\n", null);
  check("*1\r\n$16385\r\n", "Protocol error: unauthenticated bulk length");
  check("*1\r\n$16384\r\n", null);
  check("*2147483648\r\n", "Protocol error: invalid multibulk length");
  check("*1\r\n$-1\r\n", "Protocol error: invalid bulk length");
});

Deno.test("parser: configurable limits, changed live", () => {
  assert.equal(
    errorOf([enc("*6\r\n")], { maxMultibulkLen: 5 }),
    "Protocol error: invalid multibulk length",
  );
  assert.equal(errorOf([enc("*5\r\n")], { maxMultibulkLen: 5 }), null);
  assert.equal(
    errorOf([enc("*1\r\n$11\r\n")], { maxBulkLen: 10 }),
    "Protocol error: invalid bulk length",
  );
  assert.deepEqual(parseChunks([enc("*1\r\n$10\r\n0123456789\r\n")], { maxBulkLen: 10 }), [[
    "0123456789",
  ]]);
  assert.equal(
    errorOf([enc("x".repeat(101))], { maxInlineLen: 100 }),
    "Protocol error: too big inline request",
  );
  assert.equal(errorOf([enc("x".repeat(100))], { maxInlineLen: 100 }), null);

  const p = new RequestParser();
  p.push(enc("*1\r\n$5\r\nhello\r\n"));
  assert.equal(p.next(), 1);
  p.limits.maxBulkLen = 4; // CONFIG SET proto-max-bulk-len
  p.push(enc("*1\r\n$5\r\nhello\r\n"));
  assert.throws(() => p.next(), new ProtocolError("Protocol error: invalid bulk length"));
});

Deno.test("parser: string2ll follows Redis", () => {
  const v = (s: string) => string2ll(enc(s), 0, s.length);
  assert.equal(v("0"), 0);
  assert.equal(v("7"), 7);
  assert.equal(v("-12"), -12);
  assert.equal(v("123456789012345"), 123456789012345);
  assert.equal(v("9223372036854775807"), 9223372036854775807);
  assert.equal(v("-9223372036854775808"), -9223372036854775808);
  for (
    const bad of [
      "",
      "-",
      "-0",
      "01",
      "+1",
      " 1",
      "1 ",
      "1a",
      "9223372036854775808",
      "-9223372036854775809",
      "12345678901234567890",
    ]
  ) {
    assert.ok(Number.isNaN(v(bad)), bad);
  }
});

Deno.test("parser: pending and argv reuse", () => {
  const p = new RequestParser();
  const argv = p.argv;
  p.push(enc("*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n"));
  assert.equal(p.next(), 2);
  assert.equal(p.argv, argv);
  assert.equal(p.next(), 0);
  assert.equal(p.pending, 13, "a partial command counts as pending");
  p.push(enc("$1\r\nb\r\n"));
  assert.equal(p.next(), 2);
  assert.equal(dec(argv[1]), "b");
  assert.equal(p.pending, 0);
  p.push(enc("GET"));
  assert.equal(p.next(), 0);
  assert.equal(p.pending, 3);
});

/** A deterministic pseudo-random generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

Deno.test("parser: large random pipeline in many chunk sizes (compaction and growth)", () => {
  const r = rng(12345);
  const want: string[][] = [];
  let text = "";
  for (let c = 0; c < 400; c++) {
    if (r() < 0.15) {
      const args = Array.from(
        { length: 1 + Math.floor(r() * 4) },
        () => "w" + Math.floor(r() * 1e6),
      );
      text += args.join(" ") + (r() < 0.5 ? "\r\n" : "\n");
      want.push(args);
      continue;
    }
    const n = 1 + Math.floor(r() * 5);
    const args: string[] = [];
    text += `*${n}\r\n`;
    for (let i = 0; i < n; i++) {
      const len = r() < 0.1 ? Math.floor(r() * 40000) : Math.floor(r() * 30);
      let a = "";
      for (let j = 0; j < len; j++) a += String.fromCharCode(Math.floor(r() * 256));
      text += `$${len}\r\n${a}\r\n`;
      args.push(a);
    }
    want.push(args);
  }
  const bytes = enc(text);
  for (const size of [13, 100, 1000, 4096, 16383, 16384, 16385, 65536, bytes.length]) {
    assert.deepEqual(parseChunks(inChunks(bytes, size)), want, `chunk size ${size}`);
  }
  // random chunk sizes
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length;) {
    const n = 1 + Math.floor(r() * 50000);
    chunks.push(bytes.slice(i, i + n));
    i += n;
  }
  assert.deepEqual(parseChunks(chunks), want);
});

function bigBulkTime(size: number, chunk: number): number {
  const header = enc(`*2\r\n$3\r\nSET\r\n$${size}\r\n`);
  const payload = new Uint8Array(size + 2);
  payload.fill(120);
  payload[size] = 13;
  payload[size + 1] = 10;
  const p = new RequestParser();
  const t0 = performance.now();
  p.push(header);
  assert.equal(p.next(), 0);
  for (let i = 0; i < payload.length; i += chunk) {
    p.push(payload.subarray(i, i + chunk));
    const n = p.next();
    if (i + chunk < payload.length) assert.equal(n, 0);
    else {
      assert.equal(n, 2);
      assert.equal(p.argv[1].length, size);
      assert.equal(p.argv[1][size - 1], 120);
    }
  }
  return performance.now() - t0;
}

Deno.test("parser: 10MB bulk in 64KB (and 4KB) chunks parses in linear time", () => {
  bigBulkTime(1 << 20, 65536); // warm-up
  const t64 = bigBulkTime(10 * 1024 * 1024, 64 * 1024);
  assert.ok(t64 < 1000, `10MB in 64KB chunks took ${t64}ms`);
  // 2560 pushes: rescanning or recopying the payload on each one would take many seconds
  const t4 = bigBulkTime(10 * 1024 * 1024, 4 * 1024);
  assert.ok(t4 < 1000, `10MB in 4KB chunks took ${t4}ms`);
});

Deno.test("parser: a long incomplete inline line is not rescanned from its start", () => {
  const p = new RequestParser({ maxInlineLen: 1 << 30 });
  const chunk = enc("x".repeat(1024));
  const t0 = performance.now();
  for (let i = 0; i < 8192; i++) {
    p.push(chunk);
    assert.equal(p.next(), 0);
  }
  p.push(enc("\n"));
  assert.equal(p.next(), 1);
  assert.equal(p.argv[0].length, 8 * 1024 * 1024);
  const t = performance.now() - t0;
  assert.ok(t < 1000, `took ${t}ms`);
});

Deno.test("parser: buffer shrinks back after a big argument and keeps working", () => {
  const p = new RequestParser();
  const big = "y".repeat(3 * 1024 * 1024);
  p.push(enc(`*2\r\n$4\r\nECHO\r\n$${big.length}\r\n${big}\r\n`));
  assert.equal(p.next(), 2);
  assert.equal(p.argv[1].length, big.length);
  p.push(enc("*1\r\n$4\r\nPING\r\n"));
  assert.equal(p.next(), 1);
  assert.equal(dec(p.argv[0]), "PING");
  assert.ok(p.argv[0].buffer.byteLength <= 64 * 1024, "buffer was not released");
});

Deno.test("parser: a big bulk's buffer grows with what arrived, ends at its command, is given away", () => {
  const size = 3 * 1024 * 1024;
  const head = enc(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${size}\r\n`);
  const next = enc("*1\r\n$4\r\nPING\r\n");
  const whole = new Uint8Array(head.length + size + 2 + next.length);
  whole.set(head);
  whole.fill(120, head.length, head.length + size);
  whole.set([13, 10], head.length + size);
  whole.set(next, head.length + size + 2);
  const p = new RequestParser();
  const chunk = 16 * 1024;
  let n = 0;
  for (let i = 0; i < whole.length; i += chunk) {
    p.borrow(whole.subarray(i, Math.min(whole.length, i + chunk)));
    n = p.next();
    if (n !== 0) break;
    p.release();
    // never more than twice what arrived (doubling), never sized by the announced length
    assert.ok(p.bufferBytes <= Math.max(2 * (i + chunk), 16 * 1024), `${p.bufferBytes} at ${i}`);
  }
  assert.equal(n, 3);
  const val = p.argv[2];
  assert.equal(val.length, size);
  // given away: the last growth stopped at the end of the command
  assert.ok(p.take(val));
  assert.equal(latin1(p.argv[1]), "k");
  // a small argument is not given away; what followed the command still parses
  assert.equal(p.take(p.argv[1]), false);
  assert.equal(p.next(), 1);
  assert.equal(latin1(p.argv[0]), "PING");
  p.release();
  assert.equal(val[0], 120);
  assert.equal(val[size - 1], 120);
});

Deno.test("parser: the arguments after a big bulk stay in its buffer, which is still given away", () => {
  // SET k <3 MiB> EX 100 PX: the options come after the value, in chunks of their own
  const size = 3 * 1024 * 1024;
  const head = enc(`*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$${size}\r\n`);
  const value = new Uint8Array(size).fill(121);
  const tail = enc("\r\n$2\r\nEX\r\n$3\r\n100\r\n");
  for (const split of [0, 2, 7, tail.length]) {
    const p = new RequestParser();
    // as the engines do: what arrived is parsed before more is pushed
    const feed = (b: Uint8Array) => {
      p.push(b);
      return p.next();
    };
    assert.equal(feed(head), 0);
    for (let i = 0; i < size; i += 64 * 1024) {
      assert.equal(feed(value.subarray(i, i + 64 * 1024)), 0);
    }
    if (split > 0) assert.equal(feed(tail.subarray(0, split)), split === tail.length ? 5 : 0);
    if (split < tail.length) assert.equal(feed(tail.subarray(split)), 5);
    const val = p.argv[2];
    const grown = val.buffer;
    assert.equal(val.length, size);
    assert.equal(latin1(p.argv[3]), "EX");
    assert.equal(latin1(p.argv[4]), "100");
    // one buffer from the first byte of the value on (a second would have copied it), and it
    // holds little besides the value, so the value can be kept as it lies
    assert.ok(p.take(val), `split ${split}: ${grown.byteLength} bytes for a ${size}-byte value`);
    assert.equal(val[0], 121);
    assert.equal(val[size - 1], 121);
  }
});

Deno.test("parser: an announced length is not allocated before its bytes arrive", () => {
  // 1000 stalled headers announcing 512MB each: a fixed-size buffer each, not the announced size
  const parsers: RequestParser[] = [];
  for (let i = 0; i < 1000; i++) {
    const p = new RequestParser();
    p.borrow(enc("*1\r\n$536870912\r\n"));
    assert.equal(p.next(), 0);
    p.release();
    p.push(enc("abc"));
    assert.equal(p.next(), 0);
    assert.ok(p.bufferBytes <= 16 * 1024, `${p.bufferBytes}`);
    parsers.push(p);
  }
  // the same through push() alone, and for an argument after others
  const q = new RequestParser();
  const head = enc("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n");
  q.push(head);
  assert.equal(q.next(), 0);
  assert.ok(q.bufferBytes <= 16 * 1024, `${q.bufferBytes}`);
  // as the bulk streams in, the buffer stays within twice what arrived
  const chunk = new Uint8Array(64 * 1024).fill(120);
  let arrived = head.length;
  for (let i = 0; i < 64; i++) {
    q.push(chunk);
    arrived += chunk.length;
    assert.equal(q.next(), 0);
    assert.ok(q.bufferBytes <= 2 * arrived, `${q.bufferBytes} for ${arrived}`);
  }
  assert.equal(q.unparsed, arrived - head.length, "unparsed: the bulk's bytes, not the header");
  assert.equal(q.pending, arrived);
});

Deno.test("peekKeys: the second argument of every complete command ahead, up to where next() needs more", () => {
  const r = rng(777);
  const arg = () => {
    let s = "";
    const n = Math.floor(r() * 12);
    for (let i = 0; i < n; i++) {
      s += String.fromCharCode(r() < 0.2 ? 13 : 32 + Math.floor(r() * 90));
    }
    return s;
  };
  interface Cmd {
    args: string[];
    inline: boolean;
    end: number;
  }
  const cmds: Cmd[] = [];
  let text = "";
  for (let i = 0; i < 300; i++) {
    const inline = r() < 0.05;
    const args = inline ? ["PING"] : Array.from({ length: 1 + Math.floor(r() * 4) }, arg);
    text += inline
      ? "PING\r\n"
      : `*${args.length}\r\n` + args.map((a) => `$${a.length}\r\n${a}\r\n`).join("");
    cmds.push({ args, inline, end: text.length });
  }
  const all = enc(text);
  const offs = new Int32Array(32), lens = new Int32Array(32);
  for (let trial = 0; trial < 200; trial++) {
    const cut = Math.floor(r() * all.length);
    const p = new RequestParser();
    p.push(all.subarray(0, cut));
    for (let k = 0;; k++) {
      const max = 1 + Math.floor(r() * 31);
      const n = p.peekKeys(max, offs, lens);
      let want = 0;
      while (
        want < max && k + want < cmds.length && !cmds[k + want].inline &&
        cmds[k + want].end <= cut
      ) want++;
      assert.equal(n, want, `trial ${trial} (cut ${cut}), command ${k}`);
      for (let i = 0; i < n; i++) {
        const key = cmds[k + i].args[1];
        if (key === undefined) assert.equal(lens[i], -1);
        else assert.equal(dec(p.input.subarray(offs[i], offs[i] + lens[i])), key);
      }
      const argc = p.next();
      if (argc === 0) {
        assert.ok(k === cmds.length || cmds[k].end > cut, `next() stopped at ${k}`);
        break;
      }
      assert.deepEqual(p.argv.slice(0, argc).map(dec), cmds[k].args);
    }
  }
});

Deno.test("peekKeys: what is not a well-formed command stops it, and next() still judges it", () => {
  const offs = new Int32Array(8), lens = new Int32Array(8);
  const cases: [string, number][] = [
    ["*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n:12\r\n", 1],
    ["*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*x\r\n", 1],
    ["*-1\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 0],
    ["*1234567890123456789\r\n", 0],
    ["*2\r\n$-5\r\nGET\r\n", 0],
    ["*2\r\n$99999999999\r\nGET\r\n", 0],
    ["*2\r\n$3\r\nGETX\r\n$1\r\nk\r\n", 0],
  ];
  for (const [text, want] of cases) {
    const p = new RequestParser();
    p.push(enc(text));
    assert.equal(p.peekKeys(8, offs, lens), want, JSON.stringify(text));
    // next() parses or refuses exactly as without the peek
    const q = new RequestParser();
    q.push(enc(text));
    const outcome = (x: RequestParser) => {
      const got: string[] = [];
      try {
        for (let n = x.next(); n > 0; n = x.next()) got.push(x.argv.slice(0, n).map(dec).join(" "));
      } catch (e) {
        got.push(e instanceof ProtocolError ? `error: ${e.message}` : String(e));
      }
      return got;
    };
    assert.deepEqual(outcome(p), outcome(q), JSON.stringify(text));
  }
});
