/**
 * The users of one Worker (Redis's `Users` radix tree and `DefaultUser`), the ACL log, and
 * the operations that change them as a whole: SETUSER (staged on a copy), DELUSER, the ACL
 * file and `user` directives, requirepass. Every shard holds the same users: whatever changes
 * them runs on every shard with the same arguments, and nothing here is random, so every
 * shard reaches the same state.
 */
import type { AclCatalog } from "./catalog.ts";
import { SEL_ALLCHANNELS } from "./selector.ts";
import { hasSpaces } from "./selector.ts";
import { User } from "./user.ts";
import { AclLog } from "./log.ts";

export const E_DUPLICATE_USER =
  "Duplicate user found. A user can only be defined once in config files";

/**
 * Redis's ACLMergeSelectorArguments: a selector given over several arguments, "(~a" "+get)",
 * becomes one. Returns the merged list, or the index of an unmatched opening argument.
 */
export function mergeSelectorArgs(args: readonly string[]): string[] | number {
  const out: string[] = [];
  let open = -1;
  let sel = "";
  for (let j = 0; j < args.length; j++) {
    const op = args[j];
    if (op[0] === "(" && op[op.length - 1] !== ")") {
      sel = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      sel += " " + op;
      if (op[op.length - 1] === ")") {
        open = -1;
        out.push(sel);
      }
      continue;
    }
    out.push(op);
  }
  return open !== -1 ? open : out;
}

export class Users {
  readonly byName = new Map<string, User>();
  readonly log = new AclLog();
  /** acl-pubsub-default: SEL_ALLCHANNELS when new users get every channel */
  pubsubDefault = 0;
  defaultUser: User;
  /** bumped on every change: clients compare it to know their cached checks are stale */
  version = 0;

  constructor(readonly catalog: AclCatalog) {
    this.defaultUser = this.createDefault();
    this.byName.set("default", this.defaultUser);
  }

  private createDefault(): User {
    const u = new User(this.catalog, "default", this);
    for (const op of ["+@all", "~*", "&*", "on", "nopass"]) u.apply(op);
    return u;
  }

  get(name: string): User | undefined {
    return this.byName.get(name);
  }

  /** Users in name order (the radix tree's byte order). */
  sorted(): User[] {
    return [...this.byName.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  /** Redis's authRequired() for a client not yet authenticated. */
  get authRequired(): boolean {
    return !this.defaultUser.nopass || !this.defaultUser.enabled;
  }

  newUser(name: string): User {
    return new User(this.catalog, name, this);
  }

  /**
   * ACLStringSetUser: the rules applied to a copy of the user (a new one when it does not
   * exist) and copied back only when all are valid. Returns Redis's error text (after
   * "ERR ") or null.
   */
  setUser(name: string, args: readonly string[]): string | null {
    const merged = mergeSelectorArgs(args);
    if (typeof merged === "number") {
      return `Unmatched parenthesis in acl selector starting at '${args[merged]}'.`;
    }
    const existing = this.byName.get(name);
    const temp = this.newUser(name);
    if (existing !== undefined) temp.copyFrom(existing);
    for (const op of merged) {
      const err = temp.apply(op);
      if (err !== null) return `Error in ACL SETUSER modifier '${op}': ${err}`;
    }
    if (existing !== undefined) existing.copyFrom(temp);
    else this.byName.set(name, temp);
    this.version++;
    return null;
  }

  /** Removes users (never "default"); returns the ones that existed. */
  deleteUsers(names: readonly string[]): User[] {
    const out: User[] = [];
    for (const n of names) {
      const u = this.byName.get(n);
      if (u === undefined || u === this.defaultUser) continue;
      this.byName.delete(n);
      out.push(u);
    }
    if (out.length > 0) this.version++;
    return out;
  }

  /** requirepass: the default user's password (empty: nopass), ACLUpdateDefaultUserPassword. */
  setDefaultPassword(password: string): void {
    this.defaultUser.apply("resetpass");
    this.defaultUser.apply(password === "" ? "nopass" : ">" + password);
    this.version++;
  }

  setPubsubDefault(allchannels: boolean): void {
    this.pubsubDefault = allchannels ? SEL_ALLCHANNELS : 0;
  }

  /** The user `name` opens with `password`, or null (ACLCheckUserCredentials). */
  authenticate(name: string, password: Uint8Array): User | null {
    const u = this.byName.get(name);
    if (u === undefined || !u.check(password)) return null;
    return u;
  }

  /** ACL LIST's lines, also the ACL file's content. */
  listLines(): string[] {
    return this.sorted().map((u) => `user ${u.name} ${u.describe()}`);
  }

  /**
   * `user` directives of the config (ACLAppendUserForLoading + ACLLoadConfiguredUsers), each
   * "name rule rule ...". Returns an error message, or null once applied.
   */
  loadDirectives(lines: readonly string[]): string | null {
    const seen = new Set<string>();
    for (const line of lines) {
      const argv = line.split(" ").filter((w) => w !== "");
      if (argv.length < 1) return "user directive without a name";
      const name = argv[0];
      if (seen.has(name)) return `'user ${line}': ${E_DUPLICATE_USER}`;
      seen.add(name);
      if (hasSpaces(name)) return "Spaces not allowed in ACL usernames";
      const merged = mergeSelectorArgs(argv.slice(1));
      if (typeof merged === "number") {
        return `'user ${line}': Unmatched parenthesis in acl selector starting at ` +
          `'${argv[merged + 1]}'.`;
      }
      let u = this.byName.get(name);
      if (u === undefined) this.byName.set(name, u = this.newUser(name));
      else u.apply("reset");
      for (const op of merged) {
        const err = u.apply(op);
        if (err !== null) {
          return `Error loading ACL rule '${op}' for the user named '${name}': ${err}`;
        }
      }
    }
    this.version++;
    return null;
  }

  /**
   * ACLLoadFromFile over the file's text: every line parsed into fresh users; on any error
   * nothing changes and Redis's error text is returned. On success the users are replaced
   * (the default user keeps its object, its rules replaced) and the replaced users returned,
   * whose clients are to be disconnected.
   */
  loadFile(text: string, filename: string): { error: string } | { replaced: User[] } {
    const fresh = new Map<string, User>();
    let errors = "";
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
      const linenum = i + 1;
      if (line === "") continue;
      const argv = line.split(" ");
      if (argv[0] !== "user" || argv.length < 2) {
        errors += `${filename}:${linenum} should start with user keyword followed by the ` +
          `username. `;
        continue;
      }
      if (hasSpaces(argv[1])) {
        errors += `'${filename}:${linenum}: username '${argv[1]}' contains invalid characters. `;
        continue;
      }
      if (fresh.has(argv[1])) {
        errors += `WARNING: Duplicate user '${argv[1]}' found on line ${linenum}. `;
        continue;
      }
      const u = this.newUser(argv[1]);
      fresh.set(argv[1], u);
      const merged = mergeSelectorArgs(argv.slice(2));
      if (typeof merged === "number") {
        errors += `${filename}:${linenum}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      let syntax = false;
      for (const raw of merged) {
        const op = raw.replace(/^[\t\r\n]+|[\t\r\n]+$/g, "");
        const err = u.apply(op);
        if (err === null) continue;
        if (err.startsWith("Unknown command")) {
          errors += `${filename}:${linenum}: Error in applying operation '${op}': ${err}. `;
        } else if (!syntax) {
          errors += `${filename}:${linenum}: ${err}. `;
          syntax = true;
        }
      }
    }
    if (errors !== "") {
      return {
        error: errors +
          "WARNING: ACL errors detected, no change to the previously active ACL rules was " +
          "performed",
      };
    }
    const replaced = [...this.byName.values()].filter((u) => u !== this.defaultUser);
    const newDefault = fresh.get("default") ?? this.createDefault();
    this.defaultUser.copyFrom(newDefault);
    fresh.set("default", this.defaultUser);
    this.byName.clear();
    for (const [n, u] of fresh) this.byName.set(n, u);
    this.version++;
    return { replaced };
  }
}
