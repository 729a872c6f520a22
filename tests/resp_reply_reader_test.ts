import assert from "node:assert/strict";
import { readHeader, readInteger, readReply, skipReply } from "../src/resp/reply_reader.ts";
import type { Reply } from "../src/resp/reply_reader.ts";

function enc(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

// Replies with the value readReply must give. The RESP3 ones marked (redis) are byte-for-byte
// what redis-server 7.0.15 sent for DEBUG PROTOCOL <type> / HGETALL / SMEMBERS after HELLO 3.
const REPLIES: [string, Reply][] = [
  ["+OK\r\n", "OK"],
  ["+\r\n", ""],
  ["-ERR unknown command\r\n", { error: "ERR unknown command" }],
  [":0\r\n", 0],
  [":-42\r\n", -42],
  [":9007199254740991\r\n", 9007199254740991],
  [":9223372036854775807\r\n", 9223372036854775807n],
  [":-9223372036854775808\r\n", -9223372036854775808n],
  ["$3\r\nfoo\r\n", enc("foo")],
  ["$0\r\n\r\n", enc("")],
  ["$4\r\n\r\n\x00\xff\r\n", enc("\r\n\x00\xff")],
  ["$-1\r\n", null],
  ["*-1\r\n", null],
  ["_\r\n", null], // (redis)
  ["*0\r\n", []],
  ["*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n", [1, enc("a"), ["x"]]],
  ["*2\r\n$-1\r\n*-1\r\n", [null, null]],
  ["%1\r\n$1\r\nf\r\n$1\r\nv\r\n", { map: [[enc("f"), enc("v")]] }], // (redis)
  ["%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n", { map: [[0, false], [1, true], [2, false]] }], // (redis)
  ["~3\r\n:0\r\n:1\r\n:2\r\n", { set: [0, 1, 2] }], // (redis)
  [">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", {
    push: [enc("message"), enc("ch"), enc("hi")],
  }],
  [",3.141\r\n", { double: 3.141 }], // (redis)
  [",1.1000000000000001\r\n", { double: 1.1 }], // (redis)
  [",inf\r\n", { double: Infinity }], // (redis)
  [",-inf\r\n", { double: -Infinity }],
  [",1.0000000000000001e-05\r\n", { double: 1e-5 }],
  ["#t\r\n", true], // (redis)
  ["#f\r\n", false], // (redis)
  ["(1234567999999999999999999999999999999\r\n", { big: "1234567999999999999999999999999999999" }], // (redis)
  ["=29\r\ntxt:This is a verbatim\nstring\r\n", { verbatim: "This is a verbatim\nstring" }], // (redis)
  ["!21\r\nSYNTAX invalid syntax\r\n", { error: "SYNTAX invalid syntax" }],
  // an attribute is dropped; the reply it annotates is returned (redis)
  [
    "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n",
    enc("Some real reply following the attribute"),
  ],
  ["*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n", [1, 2]],
  [
    "*2\r\n%1\r\n+k\r\n~2\r\n:1\r\n>1\r\n_\r\n*1\r\n*1\r\n*0\r\n",
    [{ map: [["k", { set: [1, { push: [null] }] }]] }, [[[]]]],
  ],
];

Deno.test("reply_reader: every type, alone and after other bytes", () => {
  for (const [s, want] of REPLIES) {
    const b = enc(s);
    assert.deepEqual(readReply(b), [want, b.length], JSON.stringify(s));
    assert.equal(skipReply(b, 0), b.length, JSON.stringify(s));
    // at an offset, followed by another reply
    const padded = enc("+pad\r\n" + s + ":7\r\n");
    assert.deepEqual(readReply(padded, 6), [want, 6 + b.length]);
    assert.equal(skipReply(padded, 6), 6 + b.length);
    assert.deepEqual(readReply(padded, 6 + b.length), [7, padded.length]);
  }
});

Deno.test("reply_reader: incomplete input at every truncation point", () => {
  for (const [s] of REPLIES) {
    const b = enc(s);
    for (let i = 0; i < b.length; i++) {
      const cut = b.subarray(0, i);
      assert.equal(readReply(cut, 0), null, `${JSON.stringify(s)} cut at ${i}`);
      assert.equal(skipReply(cut, 0), -1, `${JSON.stringify(s)} cut at ${i}`);
    }
  }
});

Deno.test("reply_reader: a stream of replies is walked by skipReply", () => {
  const all = enc(REPLIES.map(([s]) => s).join(""));
  let off = 0;
  let count = 0;
  while (off < all.length) {
    const next = skipReply(all, off);
    assert.ok(next > off);
    const r = readReply(all, off);
    assert.ok(r !== null);
    assert.deepEqual(r[0], REPLIES[count][1]);
    assert.equal(r[1], next);
    off = next;
    count++;
  }
  assert.equal(count, REPLIES.length);
  assert.equal(off, all.length);
});

Deno.test("reply_reader: bulk replies are copies", () => {
  const b = enc("$3\r\nabc\r\n");
  const r = readReply(b)!;
  b[4] = 120;
  assert.deepEqual(r[0], enc("abc"));
});

Deno.test("reply_reader: readHeader and readInteger", () => {
  const b = enc("*3\r\n:1\r\n:-20\r\n:300\r\n");
  const [type, n, first] = readHeader(b, 0);
  assert.equal(type, 42);
  assert.equal(n, 3);
  assert.equal(first, 4);
  let off = first;
  const got: number[] = [];
  for (let i = 0; i < n; i++) {
    got.push(readInteger(b, off));
    off = skipReply(b, off);
  }
  assert.deepEqual(got, [1, -20, 300]);
  assert.equal(off, b.length);

  assert.deepEqual(readHeader(enc("%12\r\n"), 0), [37, 12, 5]);
  assert.deepEqual(readHeader(enc("~0\r\n"), 0), [126, 0, 4]);
  assert.deepEqual(readHeader(enc(">3\r\n"), 0), [62, 3, 4]);
  assert.deepEqual(readHeader(enc("*-1\r\n"), 0), [42, -1, 5]);
  assert.deepEqual(readHeader(enc("xx_\r\n"), 2), [95, -1, 5]);
  assert.throws(() => readHeader(enc("$3\r\nabc\r\n"), 0));
  assert.throws(() => readHeader(enc(":3\r\n"), 0));
  assert.throws(() => readInteger(enc("+3\r\n"), 0));
  assert.throws(() => readInteger(enc(":x\r\n"), 0));
  assert.equal(readInteger(enc("+OK\r\n:12345678\r\n"), 5), 12345678);
});

Deno.test("reply_reader: bytes that are not RESP throw", () => {
  for (const s of ["?\r\n", ":abc\r\n", "$x\r\n", "*1\r\n?\r\n"]) {
    assert.throws(() => readReply(enc(s)), JSON.stringify(s));
    // skipReply only skims line contents, but it still rejects unknown types and bad lengths
    if (s !== ":abc\r\n") assert.throws(() => skipReply(enc(s), 0), JSON.stringify(s));
  }
});

Deno.test("reply_reader: long simple strings and deep nesting", () => {
  const long = "s".repeat(100_000);
  assert.deepEqual(readReply(enc(`+${long}\r\n`)), [long, long.length + 3]);
  const depth = 500;
  const nested = enc("*1\r\n".repeat(depth) + ":1\r\n");
  assert.equal(skipReply(nested, 0), nested.length);
  let r = readReply(nested)![0];
  for (let i = 0; i < depth; i++) r = (r as Reply[])[0];
  assert.equal(r, 1);
});
