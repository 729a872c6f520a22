/**
 * Randomized differential test of the string family, bitmaps and HyperLogLog: seeded random
 * sequences of commands over a small set of keys go to redis-server and to Skua (1 and 3
 * shards); every reply must be identical, and a final GET of every key compares the whole
 * state. Values move between small and big (strings and byte buffers in Skua), and HLLs are
 * sometimes damaged by string commands to exercise the corrupt-value paths.
 */

import { assertSame, type Cmd, withDiffTargets } from "./helpers/diff.ts";
import { spreadKeys } from "./helpers/keys.ts";
import { xorshift32 } from "./helpers/rng.ts";

/** Keys of one hash tag (multi-key commands) and keys spread over the shards. */
const TAGGED = ["{r}0", "{r}1", "{r}2", "{r}3", "{r}h0", "{r}h1"];
const SPREAD = spreadKeys("rnd:", 3);
const ALL = [...TAGGED, ...SPREAD];

function rng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() / 4294967296;
}

function sequence(seed: number, n: number): Cmd[] {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const key = () => pick(ALL);
  const tagged = () => pick(TAGGED);
  const hll = () => (r() < 0.85 ? pick(["{r}h0", "{r}h1"]) : tagged());
  const value = (): string => {
    const len = r() < 0.8 ? int(0, 12) : int(50, 150);
    let s = "";
    for (let i = 0; i < len; i++) {
      s += r() < 0.7 ? String.fromCharCode(int(97, 100)) : String.fromCharCode(int(0, 255));
    }
    return s;
  };
  const idx = () => String(r() < 0.7 ? int(-20, 20) : int(-300, 300));
  const unit = (): string[] => (r() < 0.4 ? [] : [pick(["BIT", "BYTE", "bit"])]);
  const field = () => `${pick(["i", "u"])}${int(1, 63)}`;
  const offset = () => (r() < 0.2 ? `#${int(0, 40)}` : String(int(0, 900)));

  const cmds: Cmd[] = [];
  for (let i = 0; i < n; i++) {
    const op = int(0, 33);
    switch (op) {
      case 0:
        cmds.push(["SET", key(), value()]);
        break;
      case 1:
        cmds.push(["APPEND", key(), value()]);
        break;
      case 2:
        cmds.push(["SETRANGE", key(), String(int(0, r() < 0.8 ? 30 : 400)), value()]);
        break;
      case 3:
        cmds.push([pick(["GETRANGE", "SUBSTR"]), key(), idx(), idx()]);
        break;
      case 4:
        cmds.push(["SETBIT", key(), String(int(0, r() < 0.7 ? 200 : 3000)), String(int(0, 1))]);
        break;
      case 5:
        cmds.push(["GETBIT", key(), String(int(0, 600))]);
        break;
      case 6: {
        const k = key();
        const form = int(0, 2);
        if (form === 0) cmds.push(["BITCOUNT", k]);
        else cmds.push(["BITCOUNT", k, idx(), idx(), ...unit()]);
        break;
      }
      case 7: {
        const k = key(), bit = String(int(0, 1));
        const form = int(0, 3);
        if (form === 0) cmds.push(["BITPOS", k, bit]);
        else if (form === 1) cmds.push(["BITPOS", k, bit, idx()]);
        else cmds.push(["BITPOS", k, bit, idx(), idx(), ...unit()]);
        break;
      }
      case 8: {
        const opn = pick(["AND", "OR", "XOR", "NOT"]);
        const srcs = opn === "NOT" ? [tagged()] : Array.from({ length: int(1, 3) }, tagged);
        cmds.push(["BITOP", opn, tagged(), ...srcs]);
        break;
      }
      case 9:
      case 10: {
        const args: string[] = [r() < 0.15 ? "BITFIELD_RO" : "BITFIELD", key()];
        for (let k = int(1, 4); k > 0; k--) {
          const sub = int(0, 4);
          if (sub === 0) args.push("GET", field(), offset());
          else if (sub === 1) args.push("SET", field(), offset(), String(int(-300, 300)));
          else if (sub === 2) {
            const by = r() < 0.8 ? int(-300, 300) : int(-(2 ** 40), 2 ** 40);
            args.push("INCRBY", field(), offset(), String(by));
          } else args.push("OVERFLOW", pick(["WRAP", "SAT", "FAIL"]));
        }
        cmds.push(args);
        break;
      }
      case 11:
        cmds.push(["GETSET", key(), value()]);
        break;
      case 12:
        cmds.push(["GETDEL", key()]);
        break;
      case 13:
        cmds.push(["SETNX", key(), value()]);
        break;
      case 14:
        cmds.push(["MSETNX", tagged(), value(), tagged(), value()]);
        break;
      case 15:
        cmds.push(["GETEX", key(), ...pick([[], ["PERSIST"], ["EX", "1000"], ["PXAT", "1"]])]);
        break;
      case 16:
        cmds.push([
          "LCS",
          tagged(),
          tagged(),
          ...pick([[], ["LEN"], ["IDX"], [
            "IDX",
            "WITHMATCHLEN",
            "MINMATCHLEN",
            String(int(0, 3)),
          ]]),
        ]);
        break;
      case 17:
        cmds.push(["STRLEN", key()], ["GET", key()]);
        break;
      case 18:
        cmds.push(["INCRBY", key(), String(int(-5, 5))]);
        break;
      case 19:
      case 20:
      case 21: {
        const els = Array.from({ length: int(0, r() < 0.8 ? 5 : 300) }, () => value());
        cmds.push(["PFADD", hll(), ...els]);
        break;
      }
      case 22:
      case 23:
        cmds.push(["PFCOUNT", hll()]);
        break;
      case 24:
        cmds.push(["PFCOUNT", hll(), hll()]);
        break;
      case 25:
        cmds.push(["PFMERGE", hll(), hll(), ...(r() < 0.5 ? [hll()] : [])]);
        break;
      case 26:
        cmds.push(["GET", hll()]);
        break;
      case 27:
        // damage an HLL now and then
        if (r() < 0.3) cmds.push(["SETRANGE", hll(), String(int(0, 40)), value()]);
        else cmds.push(["GETRANGE", hll(), "0", "40"]);
        break;
      case 28:
        cmds.push(["DEL", key()]);
        break;
      case 29:
        cmds.push(["SETEX", key(), "1000", value()]);
        break;
      case 30:
        cmds.push(["BITCOUNT", hll(), idx(), idx(), ...unit()]);
        break;
      case 31:
        cmds.push(["BITFIELD", hll(), "INCRBY", "u6", String(int(128, 200)), "1"]);
        break;
      default:
        cmds.push(["GET", key()]);
    }
  }
  for (const k of ALL) cmds.push(["TYPE", k], ["GET", k]);
  return cmds;
}

Deno.test("random: string, bitmap and HLL command sequences match redis-server", async (t) => {
  await withDiffTargets(async (targets) => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      await t.step(`seed ${seed}`, () => assertSame(targets, sequence(seed, 400)));
    }
  });
});
