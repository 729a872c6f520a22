/**
 * This Worker's users: a per-Worker singleton (each shard's thread has its own copy, kept
 * equal by running every change on every shard).
 */
import { Users } from "../../acl/users.ts";
import { aclCatalog } from "./catalog.ts";

let users: Users | null = null;

/** The users of this Worker (created with the default user on first use). */
export function aclUsers(): Users {
  users ??= new Users(aclCatalog());
  return users;
}
