/**
 * The sorted-set family (Redis 7.0 t_zset.c): ZADD, ZINCRBY, ZREM (add.ts); ZCARD, ZSCORE,
 * ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT (score.ts); pops and random members (pop.ts);
 * ZSCAN (scan.ts); ranges and range deletions (range.ts); ZUNION, ZINTER, ZDIFF, ZINTERCARD
 * and the *STORE variants (algebra.ts). The score and lex range arguments are parsed in
 * ranges.ts. Blocking pops are not implemented.
 */
import { cmd, type CommandSpec } from "../table.ts";
import { ZADD_INCR } from "../../store/zset.ts";
import { zaddGeneric, zrem } from "./add.ts";
import { zcard, zcount, zlexcount, zmscore, zrankGeneric, zscore } from "./score.ts";
import { zmpop, zpopMinMax, zrandmember } from "./pop.ts";
import { zscan } from "./scan.ts";
import { BY_LEX, BY_RANK, BY_SCORE, RANGE_AUTO, zrange, zremrange } from "./range.ts";
import { DIFF, INTER, UNION, zsetop } from "./algebra.ts";

export const zsets: CommandSpec[] = [
  cmd("zadd", (c, a, n) => zaddGeneric(c, a, n, 0)),
  cmd("zincrby", (c, a, n) => zaddGeneric(c, a, n, ZADD_INCR)),
  cmd("zrem", zrem),
  cmd("zcard", zcard),
  cmd("zscore", zscore),
  cmd("zmscore", zmscore),
  cmd("zrank", (c, a) => zrankGeneric(c, a, false)),
  cmd("zrevrank", (c, a) => zrankGeneric(c, a, true)),
  cmd("zcount", zcount),
  cmd("zlexcount", zlexcount),
  cmd("zpopmin", (c, a, n) => zpopMinMax(c, a, n, false)),
  cmd("zpopmax", (c, a, n) => zpopMinMax(c, a, n, true)),
  cmd("zmpop", zmpop),
  cmd("zrandmember", zrandmember),
  cmd("zscan", zscan),
  cmd("zrange", (c, a, n) => zrange(c, a, n, 1, null, RANGE_AUTO, null)),
  cmd("zrangestore", (c, a, n) => zrange(c, a, n, 2, a[1], RANGE_AUTO, null)),
  cmd("zrevrange", (c, a, n) => zrange(c, a, n, 1, null, BY_RANK, true)),
  cmd("zrangebyscore", (c, a, n) => zrange(c, a, n, 1, null, BY_SCORE, false)),
  cmd("zrevrangebyscore", (c, a, n) => zrange(c, a, n, 1, null, BY_SCORE, true)),
  cmd("zrangebylex", (c, a, n) => zrange(c, a, n, 1, null, BY_LEX, false)),
  cmd("zrevrangebylex", (c, a, n) => zrange(c, a, n, 1, null, BY_LEX, true)),
  cmd("zremrangebyrank", (c, a) => zremrange(c, a, BY_RANK)),
  cmd("zremrangebyscore", (c, a) => zremrange(c, a, BY_SCORE)),
  cmd("zremrangebylex", (c, a) => zremrange(c, a, BY_LEX)),
  cmd("zunion", (c, a, n) => zsetop(c, a, n, "zunion", 1, UNION, null, false)),
  cmd("zinter", (c, a, n) => zsetop(c, a, n, "zinter", 1, INTER, null, false)),
  cmd("zdiff", (c, a, n) => zsetop(c, a, n, "zdiff", 1, DIFF, null, false)),
  cmd("zintercard", (c, a, n) => zsetop(c, a, n, "zintercard", 1, INTER, null, true)),
  cmd("zunionstore", (c, a, n) => zsetop(c, a, n, "zunionstore", 2, UNION, a[1], false)),
  cmd("zinterstore", (c, a, n) => zsetop(c, a, n, "zinterstore", 2, INTER, a[1], false)),
  cmd("zdiffstore", (c, a, n) => zsetop(c, a, n, "zdiffstore", 2, DIFF, a[1], false)),
];
