/**
 * Generators for the RESP fuzzer (tests/resp_fuzz_test.ts): hostile and random request streams,
 * each with what the server must do with it, as far as that is known without a reference
 * server. Every generator draws only from the `Rand` it is given, so a seed replays a run.
 * Inputs never contain a command that changes anything outside the generator's own keys.
 */
import { fromLatin1 } from "./resp.ts";
import { concat } from "../../src/util/bytes.ts";

export type Rand = () => number;

/** What the server must answer; null where only the generic rules apply. */
export interface FuzzCase {
  kind: string;
  input: Uint8Array;
  /** exact reply bytes expected (all of them) */
  expect: Uint8Array | null;
  /** the connection must close (true), stay open (false), or either (null) */
  closes: boolean | null;
  /** send HELLO 3 first (its reply is skipped) */
  resp3: boolean;
}

export function int(r: Rand, n: number): number {
  return Math.floor(r() * n);
}

function pick<T>(r: Rand, xs: readonly T[]): T {
  return xs[int(r, xs.length)];
}

/** A length from 1 to max, small ones much more likely (log-uniform). */
export function logSize(r: Rand, max: number): number {
  return Math.max(1, Math.floor(Math.exp(r() * Math.log(max))));
}

function randomBytes(r: Rand, n: number, alphabet?: string): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    b[i] = alphabet === undefined ? int(r, 256) : alphabet.charCodeAt(int(r, alphabet.length));
  }
  return b;
}

function bulk(b: Uint8Array): Uint8Array {
  return concat([fromLatin1(`$${b.length}\r\n`), b, fromLatin1("\r\n")]);
}

const enc = fromLatin1;

function multibulk(args: Uint8Array[]): Uint8Array {
  return concat([enc(`*${args.length}\r\n`), ...args.map(bulk)]);
}

const BARE = /^[A-Za-z0-9:{}_.-]+$/;

/** One command as an inline line, quoted in one of the ways Redis's sdssplitargs reads. */
function inline(r: Rand, args: Uint8Array[]): Uint8Array | null {
  const words: string[] = [];
  for (const a of args) {
    const s = String.fromCharCode(...a);
    const style = int(r, 3);
    if (s.length > 0 && BARE.test(s) && style === 0) words.push(s);
    else if (style === 1 && !/['\\\r\n\0]/.test(s)) words.push(`'${s}'`);
    else {
      let q = '"';
      for (const c of a) {
        if (c === 34 || c === 92) q += "\\" + String.fromCharCode(c);
        else if (c === 10 && r() < 0.5) q += "\\n";
        else if (c >= 32 && c < 127 && c !== 39) q += String.fromCharCode(c);
        else q += "\\x" + c.toString(16).padStart(2, "0");
      }
      words.push(q + '"');
    }
  }
  const sep = () => pick(r, [" ", " ", "  ", "\t", " \t "]);
  let line = words.join(sep());
  if (r() < 0.2) line = sep() + line + sep();
  if (line.length > 16 * 1024) return null;
  return enc(line + (r() < 0.7 ? "\r\n" : "\n"));
}

/** Replies of the one connection's model (RESP2 or RESP3). */
class Replies {
  parts: Uint8Array[] = [];
  constructor(readonly resp3: boolean) {}
  ok() {
    this.parts.push(enc("+OK\r\n"));
  }
  simple(s: string) {
    this.parts.push(enc(`+${s}\r\n`));
  }
  int(n: number) {
    this.parts.push(enc(`:${n}\r\n`));
  }
  bulk(b: Uint8Array | undefined) {
    this.parts.push(b === undefined ? enc(this.resp3 ? "_\r\n" : "$-1\r\n") : bulk(b));
  }
  array(n: number) {
    this.parts.push(enc(`*${n}\r\n`));
  }
}

/**
 * A valid pipeline on keys of connection `id` only (hash tags spread them over the shards):
 * multibulk and inline requests, empty requests between them, binary payloads, arguments
 * past Redis's 32KB big-argument size. The replies are known exactly.
 */
export function validPipeline(r: Rand, id: string): FuzzCase {
  const resp3 = r() < 0.3;
  const model = new Map<string, Uint8Array>();
  const counter = `fz:{${id}}:n`;
  let count = 0;
  const key = () => `fz:{${id}.${int(r, 6)}}:${int(r, 4)}`;
  const value = () => {
    const big = r() < 0.05;
    const n = big ? 30_000 + int(r, 40_000) : int(r, 40);
    return r() < 0.5 ? randomBytes(r, n) : randomBytes(r, n, "abcxyz0123 \"'\\\r\n");
  };
  const out = new Replies(resp3);
  const reqs: Uint8Array[] = [];
  const n = 1 + int(r, 40);
  for (let i = 0; i < n; i++) {
    let args: string[] | Uint8Array[];
    const op = int(r, 11);
    if (op === 0) {
      args = ["PING"];
      out.simple("PONG");
    } else if (op === 1) {
      const v = value();
      args = [enc("ECHO"), v];
      out.bulk(v);
    } else if (op === 2 || op === 3) {
      const k = key(), v = value();
      args = [enc("SET"), enc(k), v];
      model.set(k, v);
      out.ok();
    } else if (op === 4) {
      const k = key();
      args = ["GET", k];
      out.bulk(model.get(k));
    } else if (op === 5) {
      const k = key(), v = value();
      args = [enc("APPEND"), enc(k), v];
      const now = concat([model.get(k) ?? new Uint8Array(0), v]);
      model.set(k, now);
      out.int(now.length);
    } else if (op === 6) {
      const ks = Array.from({ length: 1 + int(r, 4) }, key);
      args = ["MGET", ...ks];
      out.array(ks.length);
      for (const k of ks) out.bulk(model.get(k));
    } else if (op === 7) {
      const ks = Array.from({ length: 1 + int(r, 3) }, key);
      const flat: Uint8Array[] = [enc("MSET")];
      for (const k of ks) {
        const v = value();
        flat.push(enc(k), v);
        model.set(k, v);
      }
      args = flat;
      out.ok();
    } else if (op === 8) {
      const ks = Array.from({ length: 1 + int(r, 4) }, key);
      args = ["DEL", ...ks];
      let d = 0;
      for (const k of new Set(ks)) if (model.delete(k)) d++;
      out.int(d);
    } else if (op === 9) {
      const ks = Array.from({ length: 1 + int(r, 4) }, key);
      args = ["EXISTS", ...ks];
      out.int(ks.filter((k) => model.has(k)).length);
    } else {
      const by = int(r, 2000) - 1000;
      count += by;
      args = ["INCRBY", counter, String(by)];
      out.int(count);
    }
    const bytes = args.map((a) => typeof a === "string" ? enc(a) : a);
    const line = r() < 0.3 ? inline(r, bytes) : null;
    reqs.push(line ?? multibulk(bytes));
    // empty requests: skipped without a reply
    if (r() < 0.05) reqs.push(enc(pick(r, ["*0\r\n", "*-1\r\n", "\r\n", "\n", "  \t\r\n"])));
  }
  return {
    kind: "valid pipeline",
    input: concat(reqs),
    expect: concat(out.parts),
    closes: false,
    resp3,
  };
}

const LENGTHS = [
  "-1",
  "-2",
  "-2147483648",
  "-9223372036854775808",
  "-9223372036854775809",
  "0",
  "1",
  "3",
  "32767",
  "32768",
  "65536",
  "1048576",
  "536870912",
  "536870913",
  "2147483647",
  "2147483648",
  "4294967296",
  "9223372036854775807",
  "9223372036854775808",
  "18446744073709551616",
  "99999999999999999999",
  "",
  "+1",
  "01",
  "-0",
  " 1",
  "1 ",
  "0x10",
  "1e3",
];

/** Redis's string2ll: the value, or null when it would refuse the text. */
export function string2ll(s: string): bigint | null {
  if (s.length === 0 || s.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(s)) return null;
  const v = BigInt(s);
  return v < -(2n ** 63n) || v > 2n ** 63n - 1n ? null : v;
}

function lengthText(r: Rand): string {
  const x = int(r, 10);
  if (x < 6) return pick(r, LENGTHS);
  if (x < 9) return String(r() < 0.5 ? int(r, 100_000) : logSize(r, 600_000_000));
  return Array.from({ length: 1 + int(r, 25) }, () => String(int(r, 10))).join("");
}

const MAX_BULK = 536870912n;
const INT_MAX = 2147483647n;

/** Huge, negative and malformed multibulk counts and bulk lengths, with some payload. */
export function lengths(r: Rand): FuzzCase {
  const t = lengthText(r);
  const v = string2ll(t);
  if (r() < 0.4) {
    // a count alone: refused, skipped, or waited on
    const bad = v === null || v > INT_MAX;
    return {
      kind: `multibulk count ${JSON.stringify(t)}`,
      input: enc(`*${t}\r\n`),
      expect: enc(bad ? "-ERR Protocol error: invalid multibulk length\r\n" : ""),
      closes: bad,
      resp3: false,
    };
  }
  const bad = v === null || v < 0n || v > MAX_BULK;
  const len = bad ? 0 : Number(v);
  const complete = !bad && len <= 100_000 && r() < 0.5;
  const sent = complete ? len : bad ? int(r, 100) : int(r, Math.min(len, 300_000) + 1);
  const payload = randomBytes(r, sent);
  const input = concat([
    enc(`*2\r\n$4\r\nECHO\r\n$${t}\r\n`),
    payload,
    enc(complete ? "\r\n" : ""),
  ]);
  let expect = enc("");
  if (bad) expect = enc("-ERR Protocol error: invalid bulk length\r\n");
  else if (complete) expect = bulk(payload);
  // an incomplete bulk is waited for, even when what came is not its full length yet
  return { kind: `bulk length ${JSON.stringify(t)}`, input, expect, closes: bad, resp3: false };
}

/** `*1\r\n*1\r\n...`: an aggregate where a bulk must be. */
export function nesting(r: Rand): FuzzCase {
  const depth = 1 + logSize(r, 100_000);
  const type = pick(r, ["*", "*", "%", "~", ">", "|"]);
  const head = `*${1 + int(r, 3)}\r\n`;
  const input = enc(head + `${type}1\r\n`.repeat(depth));
  return {
    kind: `nesting ${type} x${depth}`,
    input,
    expect: enc(`-ERR Protocol error: expected '$', got '${type}'\r\n`),
    closes: true,
    resp3: false,
  };
}

/** Inline lines of quotes, escapes and blanks: ECHO's reply, its arity error, or unbalanced. */
export function inlineQuotes(r: Rand): FuzzCase {
  const atoms = ["a", "b", " ", "  ", "\t", '"', "'", "\\", "\\x", "4", "1", "n", "\\n", "\\'"];
  let line = pick(r, ["ECHO ", "echo ", "ECHO", " ECHO\t"]);
  const n = int(r, 14);
  for (let i = 0; i < n; i++) line += pick(r, atoms);
  return {
    kind: "inline quotes",
    input: enc(line + pick(r, ["\r\n", "\n"])),
    expect: null,
    closes: null,
    resp3: false,
  };
}

/** Random bytes: uniformly random, or from an alphabet of RESP's own characters. */
export function noise(r: Rand): FuzzCase {
  const n = logSize(r, 4000);
  const input = r() < 0.5 ? randomBytes(r, n) : randomBytes(r, n, "*$\r\n0123456789-+ \"'\\ax\0");
  return { kind: "random bytes", input, expect: null, closes: null, resp3: false };
}

/**
 * A big SET: complete (a few MB, replied +OK), or announced up to 64MB and cut after some MB
 * (no reply; the connection is closed by the client).
 */
export function bigBulk(r: Rand, id: string): FuzzCase {
  const complete = r() < 0.3;
  const size = complete ? logSize(r, 4 << 20) + 32768 : logSize(r, 64 << 20) + 65536;
  const sent = complete ? size : int(r, Math.min(size, 8 << 20));
  const key = `fz:{${id}}:big`;
  const input = concat([
    enc(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${size}\r\n`),
    randomBytes(r, Math.min(sent, 4096)),
    new Uint8Array(Math.max(0, sent - 4096)).fill(120),
    enc(complete ? "\r\n" : ""),
  ]);
  return {
    kind: `big bulk ${sent}/${size}`,
    input,
    expect: enc(complete ? "+OK\r\n" : ""),
    closes: false,
    resp3: false,
  };
}

/** One case, chosen with fixed weights. */
export function anyCase(r: Rand, id: string): FuzzCase {
  const x = r();
  if (x < 0.35) return validPipeline(r, id);
  if (x < 0.55) return lengths(r);
  if (x < 0.65) return nesting(r);
  if (x < 0.8) return inlineQuotes(r);
  if (x < 0.96) return noise(r);
  return bigBulk(r, id);
}
