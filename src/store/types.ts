/** Value types of the keyspace. Only strings exist so far; later families add their own. */
export const TYPE_STRING = 0;

export type Value = Uint8Array;

/** Names as TYPE and SCAN TYPE spell them, indexed by type code. */
export const TYPE_NAMES = ["string"];

export function typeCode(name: string): number {
  return TYPE_NAMES.indexOf(name.toLowerCase());
}
