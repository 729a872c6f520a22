import assert from "node:assert/strict";
import { crc16, keySlot, keySlotStr } from "../src/util/crc16.ts";
import { RefRedis } from "../tools/gen_meta.ts";

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

Deno.test("crc16 matches the XMODEM check value and Redis's documented slots", () => {
  assert.equal(crc16(bytes("123456789")), 0x31c3);
  assert.equal(crc16(bytes("x123456789y"), 1, 10), 0x31c3);
  assert.equal(crc16(new Uint8Array(0)), 0);
  // Slots from the Redis Cluster specification and CLUSTER KEYSLOT docs.
  assert.equal(keySlotStr("foo"), 12182);
  assert.equal(keySlotStr("somekey"), 11058);
  assert.equal(keySlotStr("{user1000}.following"), keySlotStr("user1000"));
  assert.equal(keySlotStr("foo{}{bar}"), keySlotStr("foo{}{bar}"));
  assert.equal(keySlotStr("foo{{bar}}zap"), keySlotStr("{bar"));
  assert.equal(keySlotStr("foo{bar}{zap}"), keySlotStr("bar"));
});

function randomKey(): Uint8Array {
  const len = Math.floor(Math.random() * 24);
  const b = new Uint8Array(len);
  // Bias towards braces so every hashtag rule is exercised.
  const alphabet = [0x7b, 0x7d, 0x61, 0x62, 0x30, 0x00, 0xff, 0x80, 0x0d, 0x0a];
  for (let i = 0; i < len; i++) {
    b[i] = Math.random() < 0.6
      ? alphabet[Math.floor(Math.random() * alphabet.length)]
      : Math.floor(Math.random() * 256);
  }
  return b;
}

Deno.test("keySlot and keySlotStr agree with CLUSTER KEYSLOT of redis-server", async () => {
  const server = await RefRedis.start(["--cluster-enabled", "yes"]);
  const c = await server.client();
  try {
    const fixed = [
      "foo",
      "{user1000}.following",
      "{user1000}.followers",
      "foo{}{bar}",
      "foo{{bar}}zap",
      "foo{bar}{zap}",
      "",
      "{",
      "}",
      "{}",
      "}{",
      "{a",
      "a}",
      "{a}",
      "{{}}",
      "}{a}",
      "\x00\xff{\x80}",
      "\r\n{\r\n}",
    ].map(bytes);
    const keys: Uint8Array[] = [...fixed];
    for (let i = 0; i < 500; i++) keys.push(randomKey());
    for (const k of keys) {
      const r = await c.call("CLUSTER", "KEYSLOT", k);
      assert.equal(r.t, "int");
      const label = JSON.stringify(latin1(k));
      assert.equal(keySlot(k), r.v, label);
      assert.equal(keySlotStr(latin1(k)), r.v, label);
    }
  } finally {
    c.close();
    await server.stop();
  }
});
