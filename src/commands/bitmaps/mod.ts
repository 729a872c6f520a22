/**
 * The bitmap family: bitmaps are string values, bit 0 the most significant bit of the first
 * byte. Single bits, counts and BITOP in bits.ts; fields of up to 64 bits in bitfield.ts.
 */
import { cmd, type CommandSpec } from "../table.ts";
import { bitcount, bitop, bitpos, getbit, setbit } from "./bits.ts";
import { bitfield, bitfieldRo } from "./bitfield.ts";

export const bitmaps: CommandSpec[] = [
  cmd("getbit", getbit),
  cmd("setbit", setbit),
  cmd("bitcount", bitcount),
  cmd("bitpos", bitpos),
  cmd("bitop", bitop),
  cmd("bitfield", bitfield),
  cmd("bitfield_ro", bitfieldRo),
];
