/**
 * The configuration the users follow: at startup, requirepass, then the `user` directives or
 * the ACL file (acl.c's ACLLoadUsersAtStartup order and errors); live, requirepass,
 * acl-pubsub-default and acllog-max-len after CONFIG SET.
 */
import type { ConfigStore } from "../../config/mod.ts";
import type { ClientContext } from "../context.ts";
import { log } from "../../util/log.ts";
import { aclUsers } from "./state.ts";
import { loadAclFile } from "./users.ts";

/** The requirepass value last applied to the default user (applied again only on a change). */
let appliedRequirepass = "";

function syncOptions(config: ConfigStore): void {
  const users = aclUsers();
  users.setPubsubDefault(config.value("acl-pubsub-default") === "allchannels");
  users.log.maxLen = Number(config.value("acllog-max-len") ?? 128);
  users.log.trim();
}

/**
 * Build this Worker's users from the startup configuration; throws with Redis's message when
 * they cannot be loaded (the server does not start). `sequence` numbers the ACL LOG's events
 * in the order of every shard's.
 */
export function initAcl(
  config: ConfigStore,
  directives: readonly string[],
  sequence: () => number,
): void {
  const users = aclUsers();
  users.log.sequence = sequence;
  syncOptions(config);
  appliedRequirepass = config.value("requirepass") ?? "";
  if (appliedRequirepass !== "") users.setDefaultPassword(appliedRequirepass);
  const file = config.value("aclfile") ?? "";
  if (file !== "" && directives.length > 0) {
    throw new Error(
      "Configuring Redis with users defined in redis.conf and at the same setting an ACL file " +
        "path is invalid. This setup is very likely to lead to configuration errors and " +
        "security holes, please define either an ACL file or declare users directly in your " +
        "redis.conf, but not both.",
    );
  }
  const err = users.loadDirectives(directives);
  if (err !== null) throw new Error(`${err}. Critical error while loading ACLs.`);
  if (file !== "") {
    const r = loadAclFile(file);
    if ("error" in r) throw new Error(`Aborting Redis startup because of ACL errors: ${r.error}`);
  }
  for (const u of users.sorted()) {
    if (!u.enabled && directives.some((d) => d.split(" ")[0] === u.name)) {
      log(
        "notice",
        `The user '${u.name}' is disabled (there is no 'on' modifier in the user ` +
          "description). Make sure this is not a configuration error.",
      );
    }
  }
}

/** After CONFIG SET: requirepass (when it changed) and the log and channel options. */
export function syncAclConfig(config: ConfigStore, clients: Iterable<ClientContext>): void {
  syncOptions(config);
  const pass = config.value("requirepass") ?? "";
  if (pass === appliedRequirepass) return;
  appliedRequirepass = pass;
  aclUsers().setDefaultPassword(pass);
  for (const c of clients) c.refreshAcl();
}
