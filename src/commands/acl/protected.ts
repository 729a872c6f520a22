/**
 * Redis 7.0's protected mode (networking.c, clientAcceptHandler): while protected-mode is yes
 * and the default user needs no password, a connection from anywhere but the loopback
 * interface gets the -DENIED text and is closed. The bind address plays no part in 7.0.
 */
import type { ConfigStore } from "../../config/mod.ts";
import { aclUsers } from "./state.ts";

/** Written to a refused connection before it is closed. */
export const DENIED_REFUSAL = new TextEncoder().encode(
  "-DENIED Redis is running in protected mode because protected mode is enabled and no " +
    "password is set for the default user. In this mode connections are only accepted from " +
    "the loopback interface. If you want to connect from external computers to Redis you may " +
    "adopt one of the following solutions: 1) Just disable protected mode sending the command " +
    "'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from " +
    "the same host the server is running, however MAKE SURE Redis is not publicly accessible " +
    "from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) " +
    "Alternatively you can just disable the protected mode by editing the Redis configuration " +
    "file, and setting the protected mode option to 'no', and then restarting the server. 3) " +
    "If you started the server manually just for testing, restart it with the " +
    "'--protected-mode no' option. 4) Setup a an authentication password for the default " +
    "user. NOTE: You only need to do one of the above things in order for the server to start " +
    "accepting connections from the outside.\r\n",
);

/** The peer's IP of an "ip:port" or "[ip]:port" address. */
function peerIp(addr: string): string {
  const colon = addr.lastIndexOf(":");
  const ip = colon < 0 ? addr : addr.slice(0, colon);
  return ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
}

/** Redis's islocalClient: the peer is 127.0.0.1 or ::1 (exactly, as strings). */
export function isLocalAddr(addr: string): boolean {
  const ip = peerIp(addr);
  return ip === "127.0.0.1" || ip === "::1";
}

/** Is a new connection from `addr` to be refused with DENIED_REFUSAL? */
export function protectedRefuses(config: ConfigStore, addr: string): boolean {
  return config.value("protected-mode") === "yes" && aclUsers().defaultUser.nopass &&
    !isLocalAddr(addr);
}
