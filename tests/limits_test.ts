/**
 * Connection limits that act: maxclients (server-wide over the shards, Redis's refusal and
 * rejected_connections), timeout (idle clients closed), tcp-keepalive (the socket option on
 * accepted sockets, visible in `ss`), client-output-buffer-limit (hard and soft limits of the
 * normal class close a client that does not read, others keep being served), INFO's
 * client_recent_max_* fields, and accept failures (EMFILE) backed off and logged on both io
 * engines without spinning. Each case runs on both engines; redis-server runs the same scenario
 * where its behaviour is observable, so the test is checked against the reference too.
 */

import { AcceptBackoff } from "../src/io/backoff.ts";
import assert from "node:assert/strict";
import { assertSame, withDiffTargets } from "./helpers/diff.ts";
import { RespConn, str, toLatin1 } from "./helpers/resp.ts";
import {
  freePort,
  runTool,
  type ServerHandle,
  spawnSkua,
  startRedis,
  startSkua,
  withServers,
} from "./helpers/server.ts";

const ENGINES = ["uring", "listen"];
const REFUSAL = "-ERR max number of clients reached\r\n";
/** The big value the greedy clients ask for, 40 times in one write. */
const VALUE = 256 * 1024;
/**
 * The slowest PING another client may see while a greedy one is cut off. With 3 shards the
 * key's owner runs the 40 GETs in one batch and ships the 10 MB of replies to the greedy
 * client's shard (bounded by reply count, not bytes: see the notes), which takes a while on two
 * loaded cores.
 */
const SERVED_MS = 1000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One field of INFO (all sections). */
async function infoField(c: RespConn, field: string): Promise<string> {
  const text = str(await c.call("INFO", "everything"));
  const m = text.match(new RegExp(`^${field}:(.*)\r$`, "m"));
  assert.ok(m, `INFO has no ${field}`);
  return m[1];
}

/** Polls `cond` until it holds or `ms` pass; returns whether it held. */
async function until(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await sleep(50);
  }
  return await cond();
}

/** The refused connection's bytes and whether the server closed it. */
async function refusal(port: number): Promise<{ text: string; closed: boolean }> {
  const c = await RespConn.connect(port);
  try {
    const { data, closed } = await c.readUntilClosed(5000);
    return { text: toLatin1(data), closed };
  } finally {
    c.close();
  }
}

/** maxclients 50: the 51st is refused and counted; one leaving lets another in; CONFIG SET acts. */
async function checkMaxclients(port: number): Promise<void> {
  const conns: RespConn[] = [];
  try {
    for (let i = 0; i < 50; i++) conns.push(await RespConn.connect(port));
    // a reply proves each one was accepted and counted
    for (const c of await Promise.all(conns.map((c) => c.call("PING")))) assert.equal(c, "PONG");
    const r = await refusal(port);
    assert.equal(r.text, REFUSAL);
    assert.ok(r.closed, "the refused connection is closed");
    assert.equal(await infoField(conns[0], "rejected_connections"), "1");
    assert.equal(await infoField(conns[0], "connected_clients"), "50");
    conns.pop()!.close();
    assert.ok(
      await until(async () => await infoField(conns[0], "connected_clients") === "49", 3000),
      "a closed client stops counting",
    );
    const again = await RespConn.connect(port);
    conns.push(again);
    assert.equal(str(await again.call("PING")), "PONG");
    // live: one more slot
    assert.equal(str(await conns[0].call("CONFIG", "SET", "maxclients", "51")), "OK");
    const one = await RespConn.connect(port);
    conns.push(one);
    assert.equal(str(await one.call("PING")), "PONG");
    assert.equal((await refusal(port)).text, REFUSAL);
    assert.equal(await infoField(conns[0], "rejected_connections"), "2");
  } finally {
    for (const c of conns) c.close();
  }
}

Deno.test("limits: maxclients 50 refuses the 51st client (redis, both engines, 1 and 3 shards)", async () => {
  const starts = [() => startRedis(["--maxclients", "50"])];
  for (const io of ENGINES) {
    for (const shards of [1, 3]) {
      starts.push(() => startSkua({ shards, args: ["--io", io, "--maxclients", "50"] }));
    }
  }
  await withServers(starts, async (servers) => {
    for (const s of servers) {
      try {
        await checkMaxclients(s.port);
      } catch (e) {
        throw new Error(`server on ${s.port} (#${servers.indexOf(s)}): ${(e as Error).message}`);
      }
    }
  });
});

/** timeout 1: idle clients go (one in MULTI too), a busy one stays; CONFIG SET timeout 0 acts. */
async function checkTimeout(port: number): Promise<void> {
  const idle = await RespConn.connect(port);
  const inMulti = await RespConn.connect(port);
  const busy = await RespConn.connect(port);
  const conns = [idle, inMulti, busy];
  try {
    assert.equal(str(await idle.call("PING")), "PONG");
    assert.equal(str(await inMulti.call("MULTI")), "OK");
    const t0 = Date.now();
    let stop = false;
    const pinging = (async () => {
      while (!stop) {
        assert.equal(str(await busy.call("PING")), "PONG");
        await sleep(200);
      }
    })();
    const [a, b] = await Promise.all([idle.readUntilClosed(6000), inMulti.readUntilClosed(6000)]);
    const took = Date.now() - t0;
    assert.ok(a.closed && b.closed, "idle clients are closed");
    assert.equal(a.data.length + b.data.length, 0, "closed without a reply");
    // Redis: closed once more than `timeout` whole seconds passed (1..2 s, plus the cron's pass)
    assert.ok(took >= 900 && took < 3500, `closed after ${took} ms`);
    await sleep(1500);
    stop = true;
    await pinging;
    assert.equal(str(await busy.call("CONFIG", "SET", "timeout", "0")), "OK");
    const stays = await RespConn.connect(port);
    conns.push(stays);
    assert.equal(str(await stays.call("PING")), "PONG");
    await sleep(2500);
    assert.equal(str(await stays.call("PING")), "PONG");
  } finally {
    for (const c of conns) c.close();
  }
}

Deno.test("limits: timeout 1 closes idle clients (redis, both engines)", async () => {
  const starts = [() => startRedis(["--timeout", "1"])];
  for (const io of ENGINES) {
    starts.push(() => startSkua({ shards: 1, args: ["--io", io, "--timeout", "1"] }));
  }
  await withServers(starts, async (servers) => {
    await Promise.all(servers.map(async (s, i) => {
      try {
        await checkTimeout(s.port);
      } catch (e) {
        throw new Error(`server #${i}: ${(e as Error).message}`);
      }
    }));
  });
});

/** The keepalive timers (seconds left) of the server's established sockets on `port`. */
async function keepAliveTimers(port: number): Promise<(number | null)[]> {
  const r = await runTool("ss", ["-tnoH", "state", "established", `( sport = :${port} )`]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split("\n").filter((l) => l.trim() !== "").map((l) => {
    const m = l.match(/timer:\(keepalive,(?:(\d+)min)?(\d+(?:\.\d+)?)(m?s|sec)/);
    if (m === null) return null;
    const secs = Number(m[2]) / (m[3] === "ms" ? 1000 : 1);
    return Number(m[1] ?? 0) * 60 + secs;
  });
}

/**
 * Opens `n` connections (each answered), runs `fn` on the timers of every connection of the
 * server (`others` more are open already), closes them.
 */
async function withTimers(
  port: number,
  n: number,
  others: number,
  fn: (t: (number | null)[]) => void,
) {
  const conns: RespConn[] = [];
  try {
    for (let i = 0; i < n; i++) conns.push(await RespConn.connect(port));
    for (const c of conns) assert.equal(str(await c.call("PING")), "PONG");
    const timers = await keepAliveTimers(port);
    assert.equal(timers.length, n + others);
    fn(timers);
  } finally {
    for (const c of conns) c.close();
  }
}

Deno.test("limits: tcp-keepalive sets keepalive on accepted sockets, CONFIG SET for new ones (both engines, 3 shards)", async () => {
  for (const io of ENGINES) {
    await withServers(
      [() => startSkua({ shards: 3, args: ["--io", io, "--tcp-keepalive", "42"] })],
      async ([s]) => {
        // several connections, so that every shard's listener gets some
        await withTimers(s.port, 8, 0, (t) => {
          for (const x of t) assert.ok(x !== null && x > 30 && x <= 42, `${io}: timer ${x}`);
        });
        const admin = await RespConn.connect(s.port);
        try {
          assert.equal(str(await admin.call("CONFIG", "SET", "tcp-keepalive", "0")), "OK");
          await sleep(300); // the listen engine applies it at its next tick
          await withTimers(s.port, 6, 1, (t) => {
            // the admin connection (accepted with 42) is among them
            assert.equal(t.filter((x) => x === null).length, 6, `${io}: ${t}`);
          });
          assert.equal(str(await admin.call("CONFIG", "SET", "tcp-keepalive", "7")), "OK");
          await sleep(300);
          await withTimers(s.port, 6, 1, (t) => {
            assert.equal(t.filter((x) => x !== null && x <= 7).length, 6, `${io}: ${t}`);
          });
        } finally {
          admin.close();
        }
      },
    );
  }
});

/** Pipelines `n` GETs of the big key and never reads; returns the connection and its id. */
async function greedy(port: number, n: number): Promise<{ g: RespConn; id: number }> {
  const g = await RespConn.connect(port);
  const id = Number(await g.call("CLIENT", "ID"));
  await g.writeRaw("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(n));
  return { g, id };
}

/** PINGs on `c` until `done` resolves; returns the slowest round trip in ms. */
async function pingLatency(c: RespConn, done: Promise<unknown>): Promise<number> {
  let over = false;
  done.then(() => over = true, () => over = true);
  let max = 0;
  while (!over) {
    const t = performance.now();
    assert.equal(str(await c.call("PING")), "PONG");
    max = Math.max(max, performance.now() - t);
    await sleep(20);
  }
  return max;
}

/** Whether CLIENT LIST (every shard's) shows client `id`. */
async function listed(c: RespConn, id: number): Promise<boolean> {
  return str(await c.call("CLIENT", "LIST")).includes(`id=${id} `);
}

/**
 * Starts a greedy client (which never reads) and waits until the server dropped it; returns
 * how long that took (or Infinity) and the slowest PING of another client meanwhile.
 */
async function greedyUntilGone(
  port: number,
  admin: RespConn,
  other: RespConn,
  ms: number,
): Promise<{ took: number; slowest: number }> {
  const t0 = Date.now();
  const { g, id } = await greedy(port, 40);
  try {
    const gone = until(async () => !await listed(admin, id), ms);
    const slowest = await pingLatency(other, gone);
    const took = await gone ? Date.now() - t0 : Infinity;
    // what the kernel had buffered, then the end of the connection
    if (took !== Infinity) assert.ok((await g.readUntilClosed(10_000)).closed);
    return { took, slowest };
  } finally {
    g.close();
  }
}

async function checkOutputLimits(s: ServerHandle, io: string): Promise<void> {
  const admin = await RespConn.connect(s.port);
  const other = await RespConn.connect(s.port);
  try {
    assert.equal(str(await admin.call("SET", "big", "x".repeat(VALUE))), "OK");
    // hard limit: closed at once
    assert.equal(
      str(await admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 2mb 0 0")),
      "OK",
    );
    // a client reading its (smaller) replies is not affected
    const reader = await RespConn.connect(s.port);
    const replies = await reader.pipeline([["GET", "big"], ["GET", "big"], ["GET", "big"]]);
    assert.equal(replies.length, 3);
    reader.close();
    let r = await greedyUntilGone(s.port, admin, other, 5000);
    assert.ok(r.took < 3000, `${io}: hard limit took ${r.took} ms`);
    assert.ok(r.slowest < SERVED_MS, `${io}: PING took ${r.slowest} ms meanwhile`);
    assert.match(
      s.output(),
      /Client id=\d+ addr=\S+ .* scheduled to be closed ASAP for overcoming of output buffer limits\./,
    );
    // soft limit: closed only once over it for more than its seconds
    assert.equal(
      str(await admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 512kb 2")),
      "OK",
    );
    r = await greedyUntilGone(s.port, admin, other, 12_000);
    // (2-4 s: the whole seconds of the window and a cron pass; more on a loaded machine, where
    // the replies take a while to reach the client's shard and fill its socket)
    assert.ok(r.took >= 1900 && r.took < 10_000, `${io}: soft limit closed after ${r.took} ms`);
    assert.ok(r.slowest < SERVED_MS, `${io}: PING took ${r.slowest} ms meanwhile`);
    assert.match(s.output(), /Client id=\d+ .* closed for overcoming of output buffer limits\./);
    const recent = Number(await infoField(admin, "client_recent_max_output_buffer"));
    assert.ok(recent >= 512 * 1024, `${io}: client_recent_max_output_buffer ${recent}`);
    // a command arriving slowly holds its bytes in the query buffer
    const slow = await RespConn.connect(s.port);
    try {
      await slow.writeRaw(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$600000\r\n${"v".repeat(300_000)}`);
      const seen = await until(
        async () => Number(await infoField(admin, "client_recent_max_input_buffer")) >= 300_000,
        3000,
      );
      assert.ok(seen, `${io}: client_recent_max_input_buffer shows a 300 kB query buffer`);
    } finally {
      slow.close();
    }
    // no limit: the greedy client stays
    assert.equal(
      str(await admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")),
      "OK",
    );
    r = await greedyUntilGone(s.port, admin, other, 2500);
    assert.equal(r.took, Infinity, `${io}: closed without a limit`);
  } finally {
    admin.close();
    other.close();
  }
}

Deno.test("limits: client-output-buffer-limit closes a client that does not read (both engines, 1 and 3 shards)", async () => {
  for (const io of ENGINES) {
    for (const shards of [1, 3]) {
      await withServers([() => startSkua({ shards, args: ["--io", io] })], async ([s]) => {
        await checkOutputLimits(s, `${io}/${shards}`);
      });
    }
  }
});

Deno.test("limits: CONFIG SET/GET of the limits as redis-server (differential)", async () => {
  await withDiffTargets(async (targets) => {
    await assertSame(targets, [
      ["CONFIG", "SET", "client-output-buffer-limit", "normal 4mb 2mb 10"],
      ["CONFIG", "GET", "client-output-buffer-limit"],
      ["CONFIG", "SET", "client-output-buffer-limit", "replica 1gb 512mb 120 pubsub 1 2 3"],
      ["CONFIG", "GET", "client-output-buffer-limit"],
      ["CONFIG", "SET", "client-output-buffer-limit", "slave 0 0 0 normal 1k 1kb 0"],
      ["CONFIG", "GET", "client-output-buffer-limit"],
      ["CONFIG", "SET", "client-output-buffer-limit", "normal 1 2"],
      ["CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3"],
      ["CONFIG", "SET", "client-output-buffer-limit", "normal x 1 1"],
      ["CONFIG", "SET", "client-output-buffer-limit", "normal 1 1 -1"],
      ["CONFIG", "GET", "client-output-buffer-limit"],
      ["CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"],
      ["CONFIG", "SET", "timeout", "-1"],
      ["CONFIG", "SET", "timeout", "100"],
      ["CONFIG", "GET", "timeout"],
      ["CONFIG", "SET", "timeout", "0"],
      ["CONFIG", "SET", "tcp-keepalive", "-5"],
      ["CONFIG", "SET", "tcp-keepalive", "60"],
      ["CONFIG", "GET", "tcp-keepalive"],
      ["CONFIG", "SET", "maxclients", "0"],
      ["CONFIG", "SET", "maxclients", "abc"],
      ["CONFIG", "SET", "maxclients", "5000"],
      ["CONFIG", "GET", "maxclients"],
    ]);
  });
});

// ---- accept failures --------------------------------------------------------------------

/** CPU seconds (user + system) the process has used. */
function cpuSeconds(pid: number): number {
  const f = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/**
 * Skua whose open-files limit is cut to `nofile` once it is up, with its output collected. At
 * startup it fits maxclients to its limit (as Redis does), so clients alone would never run it
 * out of descriptors: the limit drops afterwards, as when the administrator lowers it or other
 * files take the room.
 */
async function startLimited(io: string, nofile: number) {
  const port = freePort();
  const [proc, collected] = spawnSkua(["--port", String(port), "--shards", "1", "--io", io]);
  const deadline = Date.now() + 30_000;
  while (!collected.text.includes("ready to accept") && Date.now() < deadline) await sleep(50);
  assert.ok(collected.text.includes("ready to accept"), collected.text);
  const cut = await new Deno.Command("prlimit", {
    args: ["--pid", String(proc.pid), `--nofile=${nofile}:${nofile}`],
  }).output();
  assert.ok(cut.success, new TextDecoder().decode(cut.stderr));
  return {
    port,
    pid: proc.pid,
    output: () => collected.text,
    async stop() {
      proc.kill("SIGTERM");
      await proc.status;
      await collected.done;
    },
  };
}

// The listen engine only: Skua fits maxclients to its open-files limit at startup (as Redis), so
// running it out of descriptors takes a limit lowered while it runs, and io_uring's multishot
// accept keeps the limit it was armed with (the kernel reads RLIMIT_NOFILE when the request is
// prepared), so only the listen engine sees the lowered one. The io_uring engine's back-off is
// the same AcceptBackoff (src/io/backoff.ts).
Deno.test("limits: accept failures (EMFILE) back off, log once, and accepting resumes (listen engine)", async () => {
  for (const io of ["listen"]) {
    const s = await startLimited(io, 120);
    const conns: Deno.TcpConn[] = [];
    try {
      // more connections than descriptors: the kernel completes them all (listen backlog)
      for (let i = 0; i < 150; i++) {
        conns.push(await Deno.connect({ hostname: "127.0.0.1", port: s.port }));
      }
      const ping = new TextEncoder().encode("PING\r\n");
      const replies = conns.map(async (c) => {
        await c.write(ping);
        return await c.read(new Uint8Array(16)).catch(() => null);
      });
      await sleep(1500);
      const served = await Promise.all(
        replies.map((p) => Promise.race([p.then((n) => n !== null), sleep(1).then(() => false)])),
      );
      const accepted = served.filter(Boolean).length;
      assert.ok(accepted > 20 && accepted < 150, `${io}: ${accepted} accepted`);
      // out of descriptors, the server must not spin on accept
      const c0 = cpuSeconds(s.pid);
      await sleep(2000);
      const cpu = cpuSeconds(s.pid) - c0;
      assert.ok(cpu < 0.5, `${io}: ${cpu} s of CPU in 2 s while accept fails`);
      const fails = s.output().match(/Accepting client connection: accept: Too many open files/g);
      assert.equal(fails?.length, 1, `${io}: logged once per episode:\n${s.output()}`);
      // descriptors come back: the waiting connections are accepted and served
      for (let i = 0; i < conns.length; i++) if (served[i]) conns[i].close();
      const late = await Promise.all(
        replies.map((p, i) =>
          served[i]
            ? true
            : Promise.race([p.then((n) => n !== null), sleep(5000).then(() => false)])
        ),
      );
      assert.equal(late.filter(Boolean).length, 150, `${io}: every waiting client was served`);
      assert.match(s.output(), /Accepting client connections again/);
    } finally {
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // closed above
        }
      }
      await s.stop();
    }
  }
});

Deno.test("accept back-off: a descriptor freed for one accept does not start a new episode in the log", () => {
  let t = 0;
  const lines: string[] = [];
  const orig = console.log;
  console.log = (line: string) => lines.push(line);
  try {
    const b = new AcceptBackoff(() => t);
    const fails = () => lines.filter((l) => l.includes("accept: Too many open files")).length;
    const agains = () =>
      lines.filter((l) => l.includes("Accepting client connections again")).length;
    assert.equal(b.failed(24), 10);
    t = 12;
    assert.equal(b.failed(24), 20, "the pause doubles");
    t = 40;
    b.succeeded();
    assert.deepEqual([fails(), agains()], [1, 1]);
    // one accept went through on a freed descriptor; the next fails at once: the same shortage
    t = 41;
    assert.equal(b.failed(24), 10);
    t = 60;
    b.succeeded();
    t = 61;
    b.failed(24);
    assert.deepEqual([fails(), agains()], [1, 1], "taken up without a word");
    // accepting for a second and more, then failing again, is still the same shortage (a
    // descriptor the runtime held for a moment, then the clients fill the table: 1.3 s apart in
    // CI)
    t = 70;
    b.succeeded();
    t = 1370;
    b.failed(24);
    assert.deepEqual([fails(), agains()], [1, 1], "still taken up without a word");
    // ... unless it then lasts: the recovery logged before was not one
    t = 6400;
    b.failed(24);
    assert.deepEqual([fails(), agains()], [2, 1]);
    t = 6500;
    b.succeeded();
    assert.deepEqual([fails(), agains()], [2, 2]);
    // a shortage long after the last one is an episode of its own
    t = 20000;
    b.failed(23);
    t = 20010;
    b.succeeded();
    assert.deepEqual([fails(), agains()], [3, 3]);
    assert.equal(lines.filter((l) => l.includes("Too many open files in system")).length, 1);
  } finally {
    console.log = orig;
  }
});
