/**
 * AUTH and ACLs on a running Skua (3 shards unless said): requirepass from the command line,
 * a user limited to `~app:*` and `+@read` refused other keys and writes on every path (single
 * key, cross-shard MGET, MULTI at queue time and again at EXEC), users changed on every shard,
 * clients of deleted users disconnected wherever they are, ACL LOG over the shards, ACL
 * SAVE/LOAD with an aclfile, `user` directives (flags and TOML), protected mode against
 * redis-server on a non-loopback address, and ioredis / node-redis logging in as a user.
 * The rule parser and its descriptions are unit-tested at the top.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { parse, type Reply, RespConn, str, toLatin1 } from "./helpers/resp.ts";
import {
  freePort,
  REPO_ROOT,
  type ServerHandle,
  startRedis,
  startSkua,
  withServers,
} from "./helpers/server.ts";
import { Users } from "../src/acl/users.ts";
import { aclCatalog } from "../src/commands/acl/catalog.ts";

const enc = new TextEncoder();

/** A connection logged in as `user` (when given). */
async function login(port: number, user?: string, pass?: string): Promise<RespConn> {
  const c = await RespConn.connect(port);
  if (user !== undefined) assert.equal(toLatin1(await c.send("AUTH", user, pass!)), "+OK\r\n");
  return c;
}

async function text(c: RespConn, ...args: string[]): Promise<string> {
  return toLatin1(await c.send(...args));
}

/** Keys `prefix<n>` owned by different shards: enough that 3 shards surely own some each. */
function keys(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/** True once the server closed `c` (a read ends). */
async function closedByServer(c: RespConn): Promise<boolean> {
  try {
    await c.send("PING");
    return false;
  } catch {
    return true;
  }
}

Deno.test("acl rules: parsing, describing, checks of the password", () => {
  const users = new Users(aclCatalog());
  assert.equal(users.listLines().join("|"), "user default on nopass ~* &* +@all");
  assert.equal(users.setUser("a", ["on", ">pw", "~app:*", "+@read", "-get", "+get"]), null);
  assert.equal(
    users.get("a")!.describe(),
    "on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~app:* " +
      "resetchannels -@all +@read",
  );
  assert.ok(users.authenticate("a", enc.encode("pw")) !== null);
  assert.equal(users.authenticate("a", enc.encode("pW")), null);
  assert.equal(users.authenticate("nosuch", enc.encode("pw")), null);
  // a refused rule changes nothing
  assert.match(users.setUser("a", ["off", "+nosuch"]) ?? "", /Unknown command/);
  assert.ok(users.get("a")!.enabled);
  assert.equal(users.setUser("a", ["off"]), null);
  assert.equal(users.authenticate("a", enc.encode("pw")), null);
  // selectors, merged over arguments; key permissions
  assert.equal(users.setUser("b", ["%R~r:*", "(~x", "+get)", "%W~w:*", "%RW~rw:*"]), null);
  assert.equal(
    users.get("b")!.describe(),
    "off %R~r:* %W~w:* ~rw:* resetchannels -@all (~x resetchannels -@all +get)",
  );
  assert.equal(
    users.setUser("b", ["(~x", "+get"]),
    "Unmatched parenthesis in acl selector " +
      "starting at '(~x'.",
  );
  assert.equal(users.deleteUsers(["a", "b", "nosuch", "default"]).length, 2);
  // requirepass
  users.setDefaultPassword("x");
  assert.ok(users.authRequired);
  assert.equal(users.authenticate("default", enc.encode("y")), null);
  users.setDefaultPassword("");
  assert.ok(!users.authRequired);
  // the ACL file: every line or nothing
  const bad = users.loadFile("user c on\nuser d +nosuch\n", "f.acl");
  assert.ok("error" in bad && /f\.acl:2: Error in applying operation '\+nosuch'/.test(bad.error));
  assert.equal(users.get("c"), undefined);
  const ok = users.loadFile("user c on nopass ~* +@all\n\nuser default on >p ~* &* +@all\n", "f");
  assert.ok("replaced" in ok);
  assert.equal(users.sorted().map((u) => u.name).join(","), "c,default");
  assert.ok(users.authRequired);
});

Deno.test("acl: requirepass, NOAUTH, AUTH, HELLO AUTH, CONFIG SET requirepass", async () => {
  const s = await startSkua({ shards: 3, args: ["--requirepass", "pw1"] });
  try {
    const c = await RespConn.connect(s.port);
    for (const cmd of [["PING"], ["GET", "k"], ["MGET", "a", "b", "c"], ["KEYS", "*"]]) {
      assert.equal(await text(c, ...cmd), "-NOAUTH Authentication required.\r\n");
    }
    assert.equal(
      await text(c, "AUTH", "pw2"),
      "-WRONGPASS invalid username-password pair or " +
        "user is disabled.\r\n",
    );
    assert.equal(await text(c, "AUTH", "pw1"), "+OK\r\n");
    assert.equal(await text(c, "PING"), "+PONG\r\n");
    const h = await RespConn.connect(s.port);
    assert.match(await text(h, "HELLO", "3", "AUTH", "default", "pw1"), /^%7\r\n/);
    assert.equal(await text(h, "ACL", "WHOAMI"), "$7\r\ndefault\r\n");
    // a new password: connections already in stay in, new ones need it
    assert.equal(await text(c, "CONFIG", "SET", "requirepass", "pw2"), "+OK\r\n");
    assert.equal(await text(h, "PING"), "+PONG\r\n");
    const d = await RespConn.connect(s.port);
    assert.equal(
      await text(d, "AUTH", "pw1"),
      "-WRONGPASS invalid username-password pair or " +
        "user is disabled.\r\n",
    );
    assert.equal(await text(d, "AUTH", "pw2"), "+OK\r\n");
    assert.equal(await text(c, "CONFIG", "SET", "requirepass", ""), "+OK\r\n");
    const e = await RespConn.connect(s.port);
    assert.equal(await text(e, "PING"), "+PONG\r\n");
    for (const x of [c, h, d, e]) x.close();
  } finally {
    await s.stop();
  }
});

Deno.test("acl: a ~app:* +@read user is refused other keys and writes on every path", async () => {
  const s = await startSkua({ shards: 3 });
  try {
    const admin = await login(s.port);
    assert.equal(
      await text(admin, "MSET", ...keys("app:", 12).flatMap((k) => [k, "v"])),
      "+OK\r\n",
    );
    assert.equal(
      await text(
        admin,
        "ACL",
        "SETUSER",
        "app",
        "on",
        ">pw",
        "~app:*",
        "+@read",
        "+multi",
        "+exec",
      ),
      "+OK\r\n",
    );
    const NOKEY = "-NOPERM this user has no permissions to access one of the keys used as " +
      "arguments\r\n";
    // several connections: the kernel spreads them over the shards
    const conns: RespConn[] = [];
    for (let i = 0; i < 6; i++) conns.push(await login(s.port, "app", "pw"));
    for (const c of conns) {
      assert.equal(await text(c, "GET", "app:1"), "$1\r\nv\r\n");
      assert.equal(await text(c, "GET", "other"), NOKEY);
      assert.equal(
        await text(c, "SET", "app:1", "x"),
        "-NOPERM this user has no permissions to run the 'set' command\r\n",
      );
      // a cross-shard MGET is checked whole before it is split
      const all = parse(await c.send("MGET", ...keys("app:", 12))) as Reply[];
      assert.equal(all.length, 12);
      assert.equal(await text(c, "MGET", ...keys("app:", 6), "other", ...keys("app:", 6)), NOKEY);
      // MULTI: refused at queue time, so EXEC aborts
      assert.equal(await text(c, "MULTI"), "+OK\r\n");
      assert.equal(await text(c, "GET", "app:1"), "+QUEUED\r\n");
      assert.equal(await text(c, "MGET", "app:1", "other"), NOKEY);
      assert.equal(
        await text(c, "DEL", "app:1"),
        "-NOPERM this user has no permissions to run " +
          "the 'del' command\r\n",
      );
      assert.equal(
        await text(c, "EXEC"),
        "-EXECABORT Transaction discarded because of previous errors.\r\n",
      );
    }
    // EXEC checks again: the rules changed since the commands were queued
    const c = conns[0];
    assert.equal(await text(c, "MULTI"), "+OK\r\n");
    assert.equal(await text(c, "MGET", ...keys("app:", 4)), "+QUEUED\r\n");
    assert.equal(await text(c, "GET", "app:1"), "+QUEUED\r\n");
    assert.equal(await text(admin, "ACL", "SETUSER", "app", "-mget"), "+OK\r\n");
    assert.equal(
      await text(c, "EXEC"),
      "*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated " +
        "and the EXEC call. This command is no longer allowed for the following reason: no " +
        "permission to execute the command or subcommand\r\n$1\r\nv\r\n",
    );
    // the changed rules reached every shard's copy
    for (const x of conns) {
      assert.equal(
        await text(x, "MGET", "app:1"),
        "-NOPERM this user has no permissions to " +
          "run the 'mget' command\r\n",
      );
    }
    // ACL LOG: the shards' entries merged, newest first; RESET on every shard
    const log = parse(await admin.send("ACL", "LOG", "100")) as Reply[][];
    const reasons = new Set(log.map((e) => str(e[3])));
    assert.deepEqual([...reasons].sort(), ["command", "key"]);
    const objects = new Set(log.map((e) => str(e[7])));
    for (const o of ["other", "set", "del", "mget"]) assert.ok(objects.has(o), o);
    const counted = log.filter((e) => str(e[7]) === "other").reduce((n, e) => n + Number(e[1]), 0);
    assert.ok(counted >= 12, `the 'other' denials are counted (${counted})`);
    const ages = log.map((e) => Number(e[11]));
    assert.deepEqual(ages, [...ages].sort((a, b) => a - b));
    assert.equal((parse(await admin.send("ACL", "LOG", "1")) as Reply[]).length, 1);
    assert.equal(await text(admin, "ACL", "LOG", "RESET"), "+OK\r\n");
    assert.equal(await text(admin, "ACL", "LOG"), "*0\r\n");
    // acllog-max-len holds for the shards' logs together
    assert.equal(await text(admin, "CONFIG", "SET", "acllog-max-len", "2"), "+OK\r\n");
    for (let i = 0; i < conns.length; i++) await text(conns[i], "GET", `o${i}`);
    const capped = parse(await admin.send("ACL", "LOG")) as Reply[][];
    assert.deepEqual(capped.map((e) => str(e[7])), ["o5", "o4"]);
    assert.equal(await text(admin, "CONFIG", "SET", "acllog-max-len", "128"), "+OK\r\n");
    // CLIENT LIST shows the user; CLIENT KILL USER closes them on every shard
    const list = toLatin1(parse(await admin.send("CLIENT", "LIST")) as Uint8Array);
    assert.equal(list.split("\n").filter((l) => l.includes(" user=app ")).length, 6);
    assert.equal(await text(admin, "CLIENT", "KILL", "USER", "app"), ":6\r\n");
    for (const x of conns) assert.ok(await closedByServer(x));
    admin.close();
  } finally {
    await s.stop();
  }
});

Deno.test("acl: DELUSER and ACL LOAD disconnect the users' clients on every shard", async () => {
  const dir = Deno.makeTempDirSync();
  const file = `${dir}/users.acl`;
  Deno.writeTextFileSync(file, "user ops on >opspw ~* &* +@all\nuser ro on >ro ~* +@read\n");
  const s = await startSkua({ shards: 3, args: ["--aclfile", file] });
  try {
    const admin = await login(s.port);
    assert.deepEqual(
      (parse(await admin.send("ACL", "USERS")) as Reply[]).map(str),
      ["default", "ops", "ro"],
    );
    const ros: RespConn[] = [];
    for (let i = 0; i < 5; i++) ros.push(await login(s.port, "ro", "ro"));
    const ops = await login(s.port, "ops", "opspw");
    assert.equal(await text(admin, "ACL", "DELUSER", "ro", "nosuch"), ":1\r\n");
    for (const c of ros) assert.ok(await closedByServer(c));
    assert.equal(await text(ops, "PING"), "+PONG\r\n");
    // SAVE writes every user; LOAD replaces them and drops every non-default client
    assert.equal(
      await text(admin, "ACL", "SETUSER", "w", "on", "nopass", "~w:*", "+set"),
      "+OK\r\n",
    );
    assert.equal(await text(admin, "ACL", "SAVE"), "+OK\r\n");
    assert.equal(
      Deno.readTextFileSync(file),
      "user default on nopass ~* &* +@all\n" +
        `user ops on #${await sha256Hex("opspw")} ~* &* +@all\n` +
        "user w on nopass ~w:* resetchannels -@all +set\n",
    );
    Deno.writeTextFileSync(file, "user ops on >new ~* &* +@all\nuser bad +nosuch\n");
    assert.match(
      await text(admin, "ACL", "LOAD"),
      /^-ERR .*users\.acl:2: Error in applying operation '\+nosuch': Unknown command or category name in ACL\. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n$/,
    );
    assert.equal(await text(ops, "PING"), "+PONG\r\n");
    Deno.writeTextFileSync(file, "user ops on >new ~* &* +@all\n");
    assert.equal(await text(admin, "ACL", "LOAD"), "+OK\r\n");
    assert.ok(await closedByServer(ops));
    assert.equal(await text(admin, "PING"), "+PONG\r\n");
    const again = await login(s.port, "ops", "new");
    assert.equal(await text(again, "ACL", "WHOAMI"), "$3\r\nops\r\n");
    again.close();
    admin.close();
  } finally {
    await s.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});

async function sha256Hex(s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(s)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("acl: user directives from flags and TOML; not together with an aclfile", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const toml = `${dir}/skua.toml`;
    Deno.writeTextFileSync(
      toml,
      'user = ["alice on >a ~a:* +@all", "default on >d ~* &* +@all"]\n',
    );
    const s = await startSkua({
      shards: 2,
      args: ["--config", toml, "--user", "bob on nopass ~b:* +get"],
    });
    try {
      const c = await RespConn.connect(s.port);
      assert.equal(await text(c, "PING"), "-NOAUTH Authentication required.\r\n");
      assert.equal(await text(c, "AUTH", "d"), "+OK\r\n");
      assert.deepEqual((parse(await c.send("ACL", "LIST")) as Reply[]).map(str), [
        `user alice on #${await sha256Hex("a")} ~a:* resetchannels +@all`,
        "user bob on nopass ~b:* resetchannels -@all +get",
        // a directive for "default" resets it first, as redis-server does
        `user default on sanitize-payload #${await sha256Hex("d")} ~* &* +@all`,
      ]);
      c.close();
    } finally {
      await s.stop();
    }
    Deno.writeTextFileSync(`${dir}/u.acl`, "");
    await assert.rejects(
      startSkua({ args: ["--aclfile", `${dir}/u.acl`, "--user", "x on"] }),
      /define either an ACL file or declare users directly/,
    );
    await assert.rejects(
      startSkua({ args: ["--aclfile", `${dir}/missing.acl`] }),
      /Error loading ACLs, opening file '.*missing\.acl': No such file or directory/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("acl: ioredis and node-redis log in with a username and password", async () => {
  const s = await startSkua({ shards: 3 });
  try {
    const admin = await login(s.port);
    assert.equal(
      await text(admin, "ACL", "SETUSER", "lib", "on", ">libpw", "~lib:*", "+@all", "-flushall"),
      "+OK\r\n",
    );
    assert.equal(await text(admin, "CONFIG", "SET", "requirepass", "top"), "+OK\r\n");
    const r = new Redis({
      host: "127.0.0.1",
      port: s.port,
      username: "lib",
      password: "libpw",
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await r.connect();
      assert.equal(await r.set("lib:1", "v"), "OK");
      assert.deepEqual(await r.mget("lib:1", "lib:2", "lib:3"), ["v", null, null]);
      await assert.rejects(r.get("other"), /NOPERM/);
      await assert.rejects(r.flushall(), /NOPERM/);
      assert.equal(await r.call("ACL", "WHOAMI"), "lib");
    } finally {
      r.disconnect();
    }
    for (const resp of [2, 3] as const) {
      const c = createClient({
        socket: { host: "127.0.0.1", port: s.port, reconnectStrategy: false },
        username: "lib",
        password: "libpw",
        RESP: resp,
      });
      c.on("error", () => {});
      try {
        await c.connect();
        assert.equal(await c.get("lib:1"), "v");
        await assert.rejects(c.get("nope"), /NOPERM/);
      } finally {
        c.destroy();
      }
      const bad = createClient({
        socket: { host: "127.0.0.1", port: s.port, reconnectStrategy: false },
        username: "lib",
        password: "wrong",
        RESP: resp,
      });
      bad.on("error", () => {});
      await assert.rejects(bad.connect(), /WRONGPASS/);
      // a client whose connect failed is closed already: destroy() throws then
      assert.throws(() => bad.destroy(), /closed/);
    }
    // the default user with requirepass (AUTH password)
    const d = new Redis({
      host: "127.0.0.1",
      port: s.port,
      password: "top",
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await d.connect();
      assert.equal(await d.get("lib:1"), "v");
    } finally {
      d.disconnect();
    }
    admin.close();
  } finally {
    await s.stop();
  }
});

/** Skua listening on every address (startSkua waits for a loopback ready line). */
async function startSkuaAnywhere(args: string[]): Promise<ServerHandle> {
  const port = freePort();
  const io = Deno.env.get("SKUA_TEST_IO");
  if (io) args = [...args, "--io", io];
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "--port", String(port), "--bind", "0.0.0.0", ...args],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let out = "";
  const dec = new TextDecoder();
  const pump = async (r: ReadableStream<Uint8Array>) => {
    for await (const b of r) out += dec.decode(b);
  };
  const pumps = [pump(proc.stdout), pump(proc.stderr)];
  const deadline = Date.now() + 30_000;
  while (!/ready to accept connections/.test(out) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    try {
      proc.kill("SIGTERM");
    } catch { /* gone */ }
    const st = await proc.status;
    await Promise.all(pumps);
    return st.code;
  };
  if (!/ready to accept connections/.test(out)) {
    await stop();
    throw new Error(`skua did not start:\n${out}`);
  }
  return { port, proc, stop, output: () => out };
}

/**
 * What a connection to `host` gets: the first reply to a PING, or, when the server speaks
 * first (protected mode), everything it sends and then "<closed>".
 */
async function firstWords(host: string, port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: host, port });
  const buf = new Uint8Array(4096);
  let got = "";
  try {
    // a refused connection is written to at once: wait a moment before sending anything
    const first = conn.read(buf);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const early = await Promise.race([
      first,
      new Promise<"quiet">((r) => timer = setTimeout(() => r("quiet"), 300)),
    ]);
    clearTimeout(timer);
    if (early !== "quiet") {
      if (early === null) return "<closed>";
      got = toLatin1(buf.subarray(0, early));
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) return got + "<closed>";
        got += toLatin1(buf.subarray(0, n));
      }
    }
    await conn.write(enc.encode("PING\r\n"));
    // the read already waiting gets the reply's first bytes
    for (let pending: Promise<number | null> | null = first;; pending = null) {
      const n = await (pending ?? conn.read(buf));
      if (n === null) return got + "<closed>";
      got += toLatin1(buf.subarray(0, n));
      // a refusal that came late (a loaded machine) is read to its close as well
      if (got.endsWith("\r\n") && !got.startsWith("-DENIED")) return got;
    }
  } catch (e) {
    if (e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe) {
      return got + "<closed>";
    }
    throw e;
  } finally {
    conn.close();
  }
}

const EXTERNAL = "192.0.2.2";

function hasExternalAddress(): boolean {
  return Deno.networkInterfaces().some((i) => i.address === EXTERNAL);
}

Deno.test({
  name: "acl: protected mode refuses non-loopback clients as redis-server 7.0 does",
  ignore: !hasExternalAddress(),
  fn: async () => {
    await withServers(
      [() => startRedis(["--bind", "0.0.0.0"]), () => startSkuaAnywhere(["--shards", "2"])],
      async ([redis, skua]) => {
        for (const s of [redis, skua]) {
          const far = await firstWords(EXTERNAL, s.port);
          assert.match(far, /^-DENIED Redis is running in protected mode/);
          assert.ok(far.endsWith("\r\n<closed>"), far);
          assert.equal(await firstWords("127.0.0.1", s.port), "+PONG\r\n");
        }
        assert.equal(await firstWords(EXTERNAL, skua.port), await firstWords(EXTERNAL, redis.port));
        const c = await RespConn.connect(skua.port);
        const info = toLatin1(parse(await c.send("INFO", "stats")) as Uint8Array);
        assert.match(info, /rejected_connections:[1-9]/);
        // a password for the default user opens the door (AUTH still owed)
        assert.equal(await text(c, "CONFIG", "SET", "requirepass", "x"), "+OK\r\n");
        assert.equal(
          await firstWords(EXTERNAL, skua.port),
          "-NOAUTH Authentication required.\r\n",
        );
        assert.equal(await text(c, "CONFIG", "SET", "requirepass", ""), "+OK\r\n");
        assert.equal(await text(c, "CONFIG", "SET", "protected-mode", "no"), "+OK\r\n");
        assert.equal(await firstWords(EXTERNAL, skua.port), "+PONG\r\n");
        c.close();
      },
    );
  },
});
