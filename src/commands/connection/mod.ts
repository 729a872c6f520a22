/**
 * Connection commands: PING, ECHO, TIME (ping.ts), QUIT, SELECT, HELLO (session.ts). None has
 * keys: they run on the client's own shard.
 */
import { cmd, type CommandSpec } from "../table.ts";
import { echo, ping, time } from "./ping.ts";
import { hello, quit, select } from "./session.ts";

export const connection: CommandSpec[] = [
  cmd("ping", ping),
  cmd("echo", echo),
  cmd("quit", quit),
  cmd("select", select),
  cmd("hello", hello),
  cmd("time", time),
];
