/**
 * AUTH and ACL (auth.ts, users.ts, inspect.ts); the checks themselves are check.ts, run by
 * dispatch. Subcommands that change users run on every shard: each Worker holds the users.
 */
import { cmd, type CommandSpec } from "../table.ts";
import { foldAllOk } from "../folds.ts";
import { auth } from "./auth.ts";
import {
  aclDeluser,
  aclGetuser,
  aclList,
  aclLoad,
  aclSave,
  aclSetuser,
  aclUsersList,
  aclWhoami,
} from "./users.ts";
import { aclCat, aclDryrun, aclGenpass, aclHelp, aclLogPart, foldAclLog } from "./inspect.ts";

export const acl: CommandSpec[] = [
  cmd("auth", auth),
  cmd("acl|setuser", aclSetuser, { fanout: foldAllOk }),
  cmd("acl|deluser", aclDeluser, { fanout: foldAllOk }),
  cmd("acl|getuser", aclGetuser),
  cmd("acl|list", aclList),
  cmd("acl|users", aclUsersList),
  cmd("acl|whoami", aclWhoami),
  cmd("acl|cat", aclCat),
  cmd("acl|genpass", aclGenpass),
  cmd("acl|dryrun", aclDryrun),
  cmd("acl|log", aclLogPart, { fanout: foldAclLog }),
  cmd("acl|load", aclLoad, { fanout: foldAllOk }),
  cmd("acl|save", aclSave),
  cmd("acl|help", aclHelp),
];
