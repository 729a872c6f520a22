/**
 * Placing a test's keys and connections on given shards of a Skua server: a key by its hash
 * slot's owner, a connection by its client id (a client id names its shard: id mod shards).
 */
import { SlotMap } from "../../src/cluster/slots.ts";
import { RespConn } from "./resp.ts";

/** The first key `${prefix}<i>` owned by `shard` of `n`. */
export function keyOn(prefix: string, shard: number, n: number): string {
  const slots = new SlotMap(n);
  for (let i = 0;; i++) if (slots.ownerOfLatin1(`${prefix}${i}`) === shard) return `${prefix}${i}`;
}

/** A connection whose client lives on shard `shard` of `n`. */
export async function connectOn(port: number, shard: number, n: number): Promise<RespConn> {
  for (let i = 0; i < 200; i++) {
    const c = await RespConn.connect(port);
    if (Number(await c.call("CLIENT", "ID")) % n === shard) return c;
    c.close();
  }
  throw new Error(`no connection on shard ${shard}`);
}
