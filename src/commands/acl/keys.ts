/**
 * A command's keys with the access each one needs, as ACL checks see them (Redis's
 * getKeysFromCommandWithSpecs with key spec flags): read for ACCESS, write for INSERT, DELETE
 * and UPDATE. SET, BITFIELD and SORT decide per call, as their getkeys procedures do.
 */
import type { Command } from "../table.ts";
import { eqi } from "../../util/bytes.ts";
import { KEY_READ, KEY_WRITE } from "../../acl/selector.ts";
import { keyPositions, type KeySpec, specRange, specSpan } from "../keyspec.ts";

/** The permission a key spec's flags ask for. */
function specAccess(flags: readonly string[]): number {
  let a = 0;
  for (const f of flags) {
    if (f === "access") a |= KEY_READ;
    else if (f === "insert" || f === "delete" || f === "update") a |= KEY_WRITE;
  }
  return a;
}

/** Keys and the access each needs, into `pos` and `need`; returns their count. */
export function aclKeys(
  cmd: Command,
  argv: Uint8Array[],
  argc: number,
  pos: number[],
  need: number[],
): number {
  pos.length = 0;
  need.length = 0;
  switch (cmd.fullName) {
    case "set": {
      // SET ... GET reads the old value; otherwise it only overwrites (OW, UPDATE)
      let get = false;
      for (let i = 3; i < argc; i++) if (eqi(argv[i], "get")) get = true;
      pos.push(1);
      need.push(get ? KEY_READ | KEY_WRITE : KEY_WRITE);
      return 1;
    }
    case "bitfield": {
      // only GET operations: a read (RO, ACCESS)
      let write = false;
      for (let i = 2; i < argc; i++) {
        if (eqi(argv[i], "set") || eqi(argv[i], "incrby")) write = true;
      }
      pos.push(1);
      need.push(write ? KEY_READ | KEY_WRITE : KEY_READ);
      return 1;
    }
    case "sort":
    case "sort_ro": {
      const n = keyPositions(cmd, argc, pos, argv);
      for (let i = 0; i < n; i++) need.push(i === 0 ? KEY_READ : KEY_WRITE);
      return n;
    }
  }
  for (const ks of cmd.keySpecs as KeySpec[]) {
    if (ks.flags.includes("not_key")) continue;
    if (!specRange(ks, argv, argc)) {
      // a key count that is not a number: Redis finds no keys past here
      if (ks.begin_search.type !== "keyword") break;
      continue;
    }
    const { first, last, step } = specSpan;
    if (last >= argc || last < first || first >= argc) break;
    const access = specAccess(ks.flags);
    for (let i = first; i <= last; i += step) {
      pos.push(i);
      need.push(access);
    }
  }
  return pos.length;
}
