/** A connection's CLIENT LIST / CLIENT INFO line (also the ACL log's client-info). */
import type { ClientContext } from "../context.ts";

/** One line of CLIENT LIST / CLIENT INFO, in Redis 7.0's field order. */
export function clientInfoLine(c: ClientContext, now: number): string {
  const age = Math.floor((now - c.createdAt) / 1000);
  const idle = Math.floor((now - c.lastInteraction) / 1000);
  const qbuf = c.queryBytes;
  return `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.fd} name=${c.name} age=${age} ` +
    `idle=${idle} flags=N db=${c.db} sub=0 psub=0 ssub=0 multi=-1 qbuf=${qbuf} qbuf-free=0 ` +
    `argv-mem=0 multi-mem=0 rbs=${Math.max(1024, qbuf)} rbp=0 obl=0 oll=${c.owedReplies} ` +
    `omem=${c.outputBytes} tot-mem=${qbuf + c.outputBufferBytes} events=r ` +
    `cmd=${c.lastCommand} user=${c.user.name} redir=-1 resp=${c.proto}\n`;
}
