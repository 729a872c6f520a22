/**
 * Redis's ACLCheckAllUserCommandPerm: may a user run this command with these arguments? Each
 * selector is tried; the command is allowed when one of them allows the command, every key
 * (with the access it needs) and every channel. Channels come with pub/sub; the rules are
 * kept already.
 */
import type { Command } from "../table.ts";
import type { User } from "../../acl/user.ts";
import { SEL_ALLCOMMANDS, SEL_ALLKEYS, type Selector } from "../../acl/selector.ts";
import { DENIED_CMD, DENIED_KEY } from "../../acl/log.ts";
import { globMatch } from "../../util/glob.ts";
import { latin1 } from "../../util/bytes.ts";
import { aclKeys } from "./keys.ts";

export const ACL_OK = 0;

/** Scratch for the keys of the command being checked (one per Worker). */
const keyPos: number[] = [];
const keyNeed: number[] = [];

/** The result of the last check that failed: the argument at fault (a key or channel). */
export const denied = { pos: 0 };

function commandAllowed(s: Selector, cmd: Command, argv: Uint8Array[], argc: number): boolean {
  if ((s.flags & SEL_ALLCOMMANDS) !== 0 || cmd.noAuth || s.bit(cmd.aclId)) return true;
  const args = s.firstArgs?.get(cmd.aclId);
  if (args === undefined || argc < 2) return false;
  const a = latin1(argv[cmd.fullName.includes("|") ? 2 : 1]).toLowerCase();
  for (const x of args) if (x.toLowerCase() === a) return true;
  return false;
}

function keyAllowed(s: Selector, key: string, need: number): boolean {
  for (const p of s.patterns) {
    if ((p.flags & need) !== need) continue;
    if (globMatch(p.pattern, key, false)) return true;
  }
  return false;
}

/**
 * ACL_OK, DENIED_CMD or DENIED_KEY for `user` running argv; on a denied key `denied.pos`
 * is its position. Of several selectors the most relevant failure is reported, as Redis does.
 */
export function aclCheck(user: User, cmd: Command, argv: Uint8Array[], argc: number): number {
  let relevant = DENIED_CMD, lastPos = 0;
  let keysFound = -1;
  for (const s of user.selectors) {
    if (!commandAllowed(s, cmd, argv, argc)) continue;
    if ((s.flags & SEL_ALLKEYS) !== 0) return ACL_OK;
    if (keysFound < 0) keysFound = aclKeys(cmd, argv, argc, keyPos, keyNeed);
    let bad = -1;
    for (let i = 0; i < keysFound; i++) {
      if (!keyAllowed(s, latin1(argv[keyPos[i]]), keyNeed[i])) {
        bad = keyPos[i];
        break;
      }
    }
    if (bad < 0) return ACL_OK;
    if (DENIED_KEY > relevant || (relevant === DENIED_KEY && bad > lastPos)) {
      relevant = DENIED_KEY;
      lastPos = bad;
    }
  }
  denied.pos = lastPos;
  return relevant;
}
