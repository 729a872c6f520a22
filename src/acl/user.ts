/**
 * An ACL user (Redis 7's `user`): flags, SHA-256 password hashes, a root selector and more
 * selectors. Rules apply as acl.c's ACLSetUser does; a SETUSER is validated on a copy and
 * copied back whole, so a refused rule changes nothing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { AclCatalog } from "./catalog.ts";
import { E_BAD_HASH, E_NO_SUCH_PASS, SEL_ALLCHANNELS, SEL_ROOT, Selector } from "./selector.ts";

export const USER_ENABLED = 1;
export const USER_DISABLED = 2;
export const USER_NOPASS = 4;
export const USER_SKIP_SANITIZE = 8;
export const USER_SANITIZE = 16;

/** Flag names in the order Redis describes them. */
const FLAG_NAMES: [number, string][] = [
  [USER_ENABLED, "on"],
  [USER_DISABLED, "off"],
  [USER_NOPASS, "nopass"],
  [USER_SKIP_SANITIZE, "skip-sanitize-payload"],
  [USER_SANITIZE, "sanitize-payload"],
];

/** SHA-256 of a password's bytes as lower-case hex, as Redis stores it. */
export function hashPassword(password: Uint8Array): string {
  return createHash("sha256").update(password).digest("hex");
}

/** Equal hashes, compared in time independent of where they differ. */
export function sameHash(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const enc = new TextEncoder();
  return timingSafeEqual(enc.encode(a), enc.encode(b));
}

function validHash(h: string): boolean {
  return /^[0-9a-f]{64}$/.test(h);
}

function bytesOf(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

export class User {
  flags = USER_DISABLED;
  /** SHA-256 hex of each password */
  passwords: string[] = [];
  /** the root selector first */
  selectors: Selector[];
  /** ACL LIST's description, kept until the user changes */
  private described: string | null = null;

  /**
   * `defaults.pubsubDefault`: SEL_ALLCHANNELS while acl-pubsub-default is allchannels, read
   * when a selector is created or the user reset (the live value, as Redis reads it).
   */
  constructor(
    readonly catalog: AclCatalog,
    readonly name: string,
    readonly defaults: { readonly pubsubDefault: number } = { pubsubDefault: 0 },
  ) {
    this.selectors = [new Selector(catalog, SEL_ROOT | defaults.pubsubDefault)];
  }

  get root(): Selector {
    return this.selectors[0];
  }

  get enabled(): boolean {
    return (this.flags & USER_DISABLED) === 0;
  }

  get nopass(): boolean {
    return (this.flags & USER_NOPASS) !== 0;
  }

  /** Some selector holds every command, key and channel. */
  get unrestricted(): boolean {
    for (const s of this.selectors) if (s.unrestricted) return true;
    return false;
  }

  /** The same rules under another name (ACLCopyUser's source for a staged SETUSER). */
  copyFrom(src: User): void {
    this.flags = src.flags;
    this.passwords = src.passwords.slice();
    this.selectors = src.selectors.map((s) => s.copy());
    this.described = null;
  }

  /** One rule (ACLSetUser), `op` a latin1 string of the argument's bytes. Null or an error. */
  apply(op: string): string | null {
    this.described = null;
    if (op.length === 0) return null;
    const lower = op.toLowerCase();
    switch (lower) {
      case "on":
        this.flags = (this.flags | USER_ENABLED) & ~USER_DISABLED;
        return null;
      case "off":
        this.flags = (this.flags | USER_DISABLED) & ~USER_ENABLED;
        return null;
      case "skip-sanitize-payload":
        this.flags = (this.flags | USER_SKIP_SANITIZE) & ~USER_SANITIZE;
        return null;
      case "sanitize-payload":
        this.flags = (this.flags | USER_SANITIZE) & ~USER_SKIP_SANITIZE;
        return null;
      case "nopass":
        this.flags |= USER_NOPASS;
        this.passwords = [];
        return null;
      case "resetpass":
        this.flags &= ~USER_NOPASS;
        this.passwords = [];
        return null;
      case "clearselectors":
        this.selectors.length = 1;
        return null;
      case "reset":
        this.apply("resetpass");
        this.apply("resetkeys");
        this.apply("resetchannels");
        if (this.defaults.pubsubDefault & SEL_ALLCHANNELS) this.apply("allchannels");
        this.apply("off");
        this.apply("sanitize-payload");
        this.apply("clearselectors");
        this.apply("-@all");
        return null;
    }
    const c = op[0];
    if (c === ">" || c === "#") {
      let h: string;
      if (c === ">") h = hashPassword(bytesOf(op.slice(1)));
      else {
        h = op.slice(1);
        if (!validHash(h)) return E_BAD_HASH;
      }
      if (!this.passwords.includes(h)) this.passwords.push(h);
      this.flags &= ~USER_NOPASS;
      return null;
    }
    if (c === "<" || c === "!") {
      let h: string;
      if (c === "<") h = hashPassword(bytesOf(op.slice(1)));
      else {
        h = op.slice(1);
        if (!validHash(h)) return E_BAD_HASH;
      }
      const i = this.passwords.indexOf(h);
      if (i < 0) return E_NO_SUCH_PASS;
      this.passwords.splice(i, 1);
      return null;
    }
    if (c === "(" && op[op.length - 1] === ")") {
      const s = new Selector(this.catalog, this.defaults.pubsubDefault);
      for (const part of splitArgs(op.slice(1, -1))) {
        const err = s.apply(part);
        if (err !== null) return err;
      }
      this.selectors.push(s);
      return null;
    }
    return this.root.apply(op);
  }

  /** Does `password` (its bytes) open this user? Disabled users open for none. */
  check(password: Uint8Array): boolean {
    if (!this.enabled) return false;
    if (this.nopass) return true;
    const h = hashPassword(password);
    let ok = false;
    for (const p of this.passwords) if (sameHash(h, p)) ok = true;
    return ok;
  }

  /** ACLDescribeUser: the rules after `user <name>` in ACL LIST and the ACL file. */
  describe(): string {
    if (this.described !== null) return this.described;
    const out: string[] = [];
    for (const [f, name] of FLAG_NAMES) if (this.flags & f) out.push(name);
    for (const p of this.passwords) out.push("#" + p);
    let s = out.join(" ");
    for (const sel of this.selectors) {
      const d = sel.describe();
      if (sel === this.root) s += (s === "" ? "" : " ") + d;
      else s += ` (${d})`;
    }
    this.described = s;
    return s;
  }

  /** Flag names for ACL GETUSER. */
  flagNames(): string[] {
    const out: string[] = [];
    for (const [f, name] of FLAG_NAMES) if (this.flags & f) out.push(name);
    return out;
  }
}

/**
 * Redis's sdssplitargs, as used for a selector's rules and the ACL file's lines: words split
 * on whitespace, "double quoted" with \ escapes (\n, \xHH ...) and 'single quoted'. Returns
 * null on unbalanced quotes.
 */
export function splitArgsOrNull(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  const space = (c: string) =>
    c === " " || c === "\n" || c === "\r" || c === "\t" || c === "\v" ||
    c === "\f";
  for (;;) {
    while (i < n && space(line[i])) i++;
    if (i >= n) return out;
    let cur = "";
    let inq = false, insq = false, done = false;
    while (!done) {
      const c = i < n ? line[i] : "";
      if (inq) {
        if (c === "") return null;
        if (
          c === "\\" && line[i + 1] === "x" && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))
        ) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === "\\" && i + 1 < n) {
          i++;
          const e = line[i];
          cur += e === "n"
            ? "\n"
            : e === "r"
            ? "\r"
            : e === "t"
            ? "\t"
            : e === "b"
            ? "\b"
            : e === "a"
            ? "\x07"
            : e;
        } else if (c === '"') {
          if (i + 1 < n && !space(line[i + 1])) return null;
          done = true;
        } else cur += c;
      } else if (insq) {
        if (c === "") return null;
        if (c === "\\" && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !space(line[i + 1])) return null;
          done = true;
        } else cur += c;
      } else {
        if (c === "" || space(c)) done = true;
        else if (c === '"') inq = true;
        else if (c === "'") insq = true;
        else cur += c;
      }
      if (i < n) i++;
    }
    out.push(cur);
  }
}

function splitArgs(s: string): string[] {
  return splitArgsOrNull(s) ?? [s];
}
