/**
 * A selector: one set of permissions of a user (Redis 7's aclSelector). The root selector
 * holds the rules given outside parentheses; each `(...)` adds another, and a command is
 * allowed when any selector allows it. Commands are a bitmap over the catalog's ids, keys and
 * channels lists of glob patterns. Rule parsing and the rules' description follow acl.c's
 * ACLSetSelector and ACLDescribeSelector, texts included.
 */
import { type AclCatalog, CATEGORIES, categoryBit, lookupAclCommand } from "./catalog.ts";

export const SEL_ROOT = 1;
export const SEL_ALLKEYS = 2;
export const SEL_ALLCHANNELS = 4;
export const SEL_ALLCOMMANDS = 8;

/** Key pattern permissions: %R~, %W~, and ~ (both). */
export const KEY_READ = 1;
export const KEY_WRITE = 2;
export const KEY_ALL = 3;

export interface KeyPattern {
  /** the pattern's bytes as a latin1 string */
  pattern: string;
  flags: number;
}

/** Why a rule was refused: Redis's ACLSetUserStringError texts. */
export const E_UNKNOWN = "Unknown command or category name in ACL";
export const E_SYNTAX = "Syntax error";
export const E_KEYS_AFTER_ALL = "Adding a pattern after the * pattern (or the 'allkeys' flag) " +
  "is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of " +
  "patterns";
export const E_CHANNELS_AFTER_ALL = "Adding a pattern after the * pattern (or the " +
  "'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to " +
  "start with an empty list of channels";
export const E_NO_SUCH_PASS = "The password you are trying to remove from the user does not exist";
export const E_BAD_HASH =
  "The password hash must be exactly 64 characters and contain only lowercase hexadecimal " +
  "characters";
export const E_FIRSTARG_OF_SUB = "Allowing first-arg of a subcommand is not supported";

/** Redis's ACLStringHasSpaces: whitespace (isspace) or NUL. */
export function hasSpaces(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13) || c === 0) return true;
  }
  return false;
}

export class Selector {
  flags: number;
  /** bit per command id; bit `catalog.count` is set by +@all (commands to come) */
  allowed: Uint32Array;
  /** allowed first arguments of otherwise blocked commands (+select|0), by command id */
  firstArgs: Map<number, string[]> | null = null;
  patterns: KeyPattern[] = [];
  channels: string[] = [];

  constructor(readonly catalog: AclCatalog, flags: number) {
    this.flags = flags;
    this.allowed = new Uint32Array((catalog.count + 32) >>> 5);
  }

  copy(): Selector {
    const s = new Selector(this.catalog, this.flags);
    s.allowed.set(this.allowed);
    if (this.firstArgs !== null) {
      s.firstArgs = new Map();
      for (const [id, args] of this.firstArgs) s.firstArgs.set(id, args.slice());
    }
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.channels = this.channels.slice();
    return s;
  }

  bit(id: number): boolean {
    return (this.allowed[id >>> 5] & (1 << (id & 31))) !== 0;
  }

  setBit(id: number, on: boolean): void {
    if (on) this.allowed[id >>> 5] |= 1 << (id & 31);
    else {
      this.allowed[id >>> 5] &= ~(1 << (id & 31));
      this.flags &= ~SEL_ALLCOMMANDS;
    }
  }

  /** Whether +@all (or allcommands) set the bit of commands to come. */
  get future(): boolean {
    return this.bit(this.catalog.count);
  }

  /** ACLChangeSelectorPerm: a command and, for a container, all its subcommands. */
  changePerm(id: number, allow: boolean): void {
    this.setBit(id, allow);
    this.firstArgs?.delete(id);
    for (const sub of this.catalog.subs[id]) this.setBit(sub, allow);
  }

  setCategory(mask: number, allow: boolean): void {
    const cat = this.catalog;
    for (const id of cat.order) if ((cat.categories[id] & mask) !== 0) this.changePerm(id, allow);
  }

  /** Commands of a category allowed (on) and not (off). */
  countCategory(mask: number): [number, number] {
    const cat = this.catalog;
    let on = 0, off = 0;
    for (const id of cat.order) {
      if ((cat.categories[id] & mask) === 0) continue;
      if (this.bit(id)) on++;
      else off++;
    }
    return [on, off];
  }

  private allCommands(on: boolean): void {
    this.allowed.fill(on ? 0xffffffff : 0);
    if (on) this.flags |= SEL_ALLCOMMANDS;
    else this.flags &= ~SEL_ALLCOMMANDS;
    this.firstArgs = null;
  }

  /** One rule (ACLSetSelector). Returns null, or the reason it is refused. */
  apply(op: string): string | null {
    const lower = op.toLowerCase();
    if (lower === "allkeys" || op === "~*") {
      this.flags |= SEL_ALLKEYS;
      this.patterns = [];
    } else if (lower === "resetkeys") {
      this.flags &= ~SEL_ALLKEYS;
      this.patterns = [];
    } else if (lower === "allchannels" || op === "&*") {
      this.flags |= SEL_ALLCHANNELS;
      this.channels = [];
    } else if (lower === "resetchannels") {
      this.flags &= ~SEL_ALLCHANNELS;
      this.channels = [];
    } else if (lower === "allcommands" || lower === "+@all") {
      this.allCommands(true);
    } else if (lower === "nocommands" || lower === "-@all") {
      this.allCommands(false);
    } else if (op[0] === "~" || op[0] === "%") {
      return this.addKeyPattern(op);
    } else if (op[0] === "&") {
      if ((this.flags & SEL_ALLCHANNELS) !== 0) return E_CHANNELS_AFTER_ALL;
      const pat = op.slice(1);
      if (hasSpaces(pat)) return E_SYNTAX;
      if (!this.channels.includes(pat)) this.channels.push(pat);
      this.flags &= ~SEL_ALLCHANNELS;
    } else if (op[0] === "+" && op[1] !== "@") {
      return this.allowCommand(op.slice(1));
    } else if (op[0] === "-" && op[1] !== "@") {
      const id = lookupAclCommand(this.catalog, op.slice(1));
      if (id < 0) return E_UNKNOWN;
      this.changePerm(id, false);
    } else if ((op[0] === "+" || op[0] === "-") && op[1] === "@") {
      const mask = categoryBit(op.slice(2));
      if (mask === 0) return E_UNKNOWN;
      this.setCategory(mask, op[0] === "+");
    } else {
      return E_SYNTAX;
    }
    return null;
  }

  private addKeyPattern(op: string): string | null {
    if ((this.flags & SEL_ALLKEYS) !== 0) return E_KEYS_AFTER_ALL;
    let flags = 0;
    let offset = 1;
    if (op[0] === "%") {
      for (; offset < op.length; offset++) {
        const c = op[offset].toUpperCase();
        if (c === "R" && (flags & KEY_READ) === 0) flags |= KEY_READ;
        else if (c === "W" && (flags & KEY_WRITE) === 0) flags |= KEY_WRITE;
        else if (op[offset] === "~") {
          offset++;
          break;
        } else return E_SYNTAX;
      }
    } else flags = KEY_ALL;
    const pat = op.slice(offset);
    if (hasSpaces(pat)) return E_SYNTAX;
    const same = this.patterns.find((p) => p.pattern === pat);
    if (same === undefined) this.patterns.push({ pattern: pat, flags });
    else same.flags |= flags;
    this.flags &= ~SEL_ALLKEYS;
    return null;
  }

  private allowCommand(name: string): string | null {
    const bar = name.lastIndexOf("|");
    if (bar < 0) {
      const id = lookupAclCommand(this.catalog, name);
      if (id < 0) return E_UNKNOWN;
      this.changePerm(id, true);
      return null;
    }
    const base = lookupAclCommand(this.catalog, name.slice(0, bar));
    if (base < 0) return E_UNKNOWN;
    if (this.catalog.parent[base] >= 0) return E_FIRSTARG_OF_SUB;
    const sub = name.slice(bar + 1);
    if (sub === "") return E_SYNTAX;
    if (this.catalog.subs[base].length > 0) {
      const id = lookupAclCommand(this.catalog, name);
      if (id < 0) return E_UNKNOWN;
      this.changePerm(id, true);
      return null;
    }
    this.firstArgs ??= new Map();
    let args = this.firstArgs.get(base);
    if (args === undefined) this.firstArgs.set(base, args = []);
    const l = sub.toLowerCase();
    if (!args.some((a) => a.toLowerCase() === l)) args.push(sub);
    return null;
  }

  /**
   * The command rules as SETUSER would take them back (ACLDescribeSelectorCommandRules):
   * +@all or -@all, the categories that fit best, then single commands.
   */
  describeCommands(): string {
    const cat = this.catalog;
    const additive = !this.future;
    const rules: string[] = [additive ? "-@all" : "+@all"];
    const fake = new Selector(cat, 0);
    fake.apply(rules[0]);
    const temp = new Selector(cat, 0);
    temp.allowed.set(this.allowed);
    const applied = new Array(CATEGORIES.length).fill(false);
    for (;;) {
      let best = -1, mindiff = 0x7fffffff, maxsame = 0;
      for (let j = 0; j < CATEGORIES.length; j++) {
        if (applied[j]) continue;
        const [on, off] = temp.countCategory(1 << j);
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < mindiff || (diff === mindiff && same > maxsame))) {
          best = j;
          mindiff = diff;
          maxsame = same;
        }
      }
      if (best < 0) break;
      const op = (additive ? "+@" : "-@") + CATEGORIES[best];
      fake.apply(op);
      temp.apply((additive ? "-@" : "+@") + CATEGORIES[best]);
      rules.push(op);
      applied[best] = true;
    }
    for (const id of cat.order) {
      const user = this.bit(id);
      if (user !== fake.bit(id)) {
        rules.push((user ? "+" : "-") + cat.names[id]);
        fake.changePerm(id, user);
      }
      const args = this.firstArgs?.get(id);
      if (!user && args !== undefined) {
        for (const a of args) rules.push(`+${cat.names[id]}|${a}`);
      }
    }
    return rules.join(" ");
  }

  /** Key patterns as ACL LIST shows them: `~*`, or each pattern with its permission. */
  describeKeys(): string[] {
    if ((this.flags & SEL_ALLKEYS) !== 0) return ["~*"];
    return this.patterns.map((p) =>
      (p.flags === KEY_ALL ? "~" : p.flags === KEY_READ ? "%R~" : "%W~") + p.pattern
    );
  }

  /** ACLDescribeSelector: keys, channels, commands. */
  describe(): string {
    const out = this.describeKeys();
    if ((this.flags & SEL_ALLCHANNELS) !== 0) out.push("&*");
    else {
      out.push("resetchannels");
      for (const c of this.channels) out.push("&" + c);
    }
    out.push(this.describeCommands());
    return out.join(" ");
  }

  /** Holds every command, key and channel: a client with it needs no check at all. */
  get unrestricted(): boolean {
    const all = SEL_ALLCOMMANDS | SEL_ALLKEYS | SEL_ALLCHANNELS;
    return (this.flags & all) === all;
  }
}
