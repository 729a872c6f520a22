/**
 * TLS (src/server/tls.ts, src/shard/preamble.ts): certificates made with openssl here, then
 * redis-cli --tls, ioredis' `tls` option, redis-benchmark --tls and raw Deno TLS connections
 * against tls-port, with 1 and 3 shards on both engines; client certificates (tls-auth-clients
 * yes|optional), tls-protocols, a TLS-only server (port 0), the real client address in CLIENT
 * LIST/INFO, forged preambles refused, and the settings refused at startup and by CONFIG SET.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { probeUring } from "../ffi/uring.ts";
import { freePort, REPO_ROOT, runTool, type ServerHandle, startSkua } from "./helpers/server.ts";
import { ConfigStore } from "../src/config/mod.ts";
import { tlsVersions } from "../src/config/tls.ts";
import { fromThisHost, preambleLine } from "../src/shard/preamble.ts";

const uring = probeUring();
const ENGINES = uring.ok ? ["uring", "listen"] : ["listen"];
const HAVE_TOOLS = [["openssl", "version"], ["redis-cli", "--version"], [
  "redis-benchmark",
  "--version",
]]
  .every(([cmd, arg]) => {
    try {
      return new Deno.Command(cmd, { args: [arg], stdout: "null", stderr: "null" }).outputSync()
        .success;
    } catch {
      return false;
    }
  });
if (!HAVE_TOOLS) console.log("tls_test: skipping, openssl, redis-cli or redis-benchmark missing");
const enc = new TextEncoder(), dec = new TextDecoder();

// ---- certificates ------------------------------------------------------------------------

interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** a client certificate signed by a CA the server does not trust */
  rogueCert: string;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const r = await new Deno.Command("openssl", { args, cwd: dir, stdout: "piped", stderr: "piped" })
    .output();
  if (!r.success) throw new Error(`openssl ${args.join(" ")}: ${dec.decode(r.stderr)}`);
}

async function makePki(): Promise<Pki> {
  const dir = await Deno.makeTempDir({ prefix: "skua-tls-" });
  const days = ["-days", "2"];
  const newKey = ["-newkey", "rsa:2048", "-nodes"];
  await openssl(
    dir,
    "req",
    "-x509",
    ...newKey,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    ...days,
    "-subj",
    "/CN=Skua Test CA",
  );
  await openssl(
    dir,
    "req",
    "-x509",
    ...newKey,
    "-keyout",
    "rogue.key",
    "-out",
    "rogue.crt",
    ...days,
    "-subj",
    "/CN=Rogue CA",
  );
  await Deno.writeTextFile(`${dir}/server.ext`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  await Deno.writeTextFile(
    `${dir}/client.ext`,
    "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n",
  );
  const sign = (name: string, ca: string, out: string) =>
    openssl(
      dir,
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      out,
      ...days,
      "-extfile",
      `${name}.ext`,
    );
  await openssl(
    dir,
    "req",
    ...newKey,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  );
  await sign("server", "ca", "server.crt");
  await openssl(
    dir,
    "req",
    ...newKey,
    "-keyout",
    "client.key",
    "-out",
    "client.csr",
    "-subj",
    "/CN=skua-client",
  );
  await sign("client", "ca", "client.crt");
  await sign("client", "rogue", "rogue-client.crt");
  return {
    dir,
    ca: `${dir}/ca.crt`,
    serverCert: `${dir}/server.crt`,
    serverKey: `${dir}/server.key`,
    clientCert: `${dir}/client.crt`,
    clientKey: `${dir}/client.key`,
    rogueCert: `${dir}/rogue-client.crt`,
  };
}

let pkiPromise: Promise<Pki> | null = null;
const pki = () => (pkiPromise ??= makePki());

// ---- servers and clients -----------------------------------------------------------------

interface TlsServer {
  handle: ServerHandle;
  tlsPort: number;
}

function tlsArgs(p: Pki, tlsPort: number, extra: string[]): string[] {
  return [
    "--tls-port",
    String(tlsPort),
    "--tls-cert-file",
    p.serverCert,
    "--tls-key-file",
    p.serverKey,
    "--tls-ca-cert-file",
    p.ca,
    ...extra,
  ];
}

async function startTls(io: string, shards: number, extra: string[] = []): Promise<TlsServer> {
  const p = await pki();
  const tlsPort = freePort();
  const handle = await startSkua({
    shards,
    args: ["--io", io, ...tlsArgs(p, tlsPort, ["--tls-auth-clients", "no", ...extra])],
  });
  return { handle, tlsPort };
}

/** redis-cli --tls against tls-port (at most 15 s); `certs` adds a client certificate. */
async function tlsCli(port: number, certs: string[], ...args: string[]) {
  const p = await pki();
  // a listener that never completes a handshake must fail the test, not hang it
  return await runTool("timeout", [
    "15",
    "redis-cli",
    "--tls",
    "--cacert",
    p.ca,
    ...certs,
    "-p",
    String(port),
    ...args,
  ]);
}

/** One RESP command over a Deno TLS connection: the raw reply text. */
async function tlsCall(conn: Deno.TlsConn, line: string): Promise<string> {
  await conn.write(enc.encode(line));
  const buf = new Uint8Array(16384);
  let text = "";
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += dec.decode(buf.subarray(0, n));
    // a bulk string or a simple reply, complete
    const m = /^\$(\d+)\r\n/.exec(text);
    if (m ? text.length >= m[0].length + Number(m[1]) + 2 : text.endsWith("\r\n")) break;
  }
  return text;
}

async function connectTls(port: number): Promise<Deno.TlsConn> {
  const p = await pki();
  return await Deno.connectTls({
    hostname: "127.0.0.1",
    port,
    caCerts: [Deno.readTextFileSync(p.ca)],
  });
}

/** Bytes to a plain connection; what comes back before the server closes it (or 5 s pass). */
async function plainExchange(
  port: number,
  bytes: string,
): Promise<{ reply: string; closed: boolean }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(enc.encode(bytes));
    const buf = new Uint8Array(4096);
    let reply = "";
    const timer = setTimeout(() => conn.close(), 5000);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) return { reply, closed: true };
        reply += dec.decode(buf.subarray(0, n));
      }
    } catch {
      return { reply, closed: false };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
}

// ---- the main matrix ---------------------------------------------------------------------

for (const io of ENGINES) {
  for (const shards of [1, 3]) {
    Deno.test({
      name:
        `tls: redis-cli, ioredis, redis-benchmark, real address, forged preamble (io=${io}, shards=${shards})`,
      ignore: !HAVE_TOOLS,
      async fn() {
        const s = await startTls(io, shards);
        try {
          const port = s.tlsPort;
          // redis-cli over TLS: keys on every shard
          for (let i = 0; i < 6; i++) {
            assert.equal((await tlsCli(port, [], "SET", `k${i}`, `v${i}`)).stdout.trim(), "OK");
          }
          assert.equal((await tlsCli(port, [], "GET", "k4")).stdout.trim(), "v4");
          assert.equal((await tlsCli(port, [], "MGET", "k0", "k5")).stdout.trim(), "v0\nv5");
          // the plain port serves the same keys
          const plain = await runTool("redis-cli", ["-p", String(s.handle.port), "GET", "k5"]);
          assert.equal(plain.stdout.trim(), "v5");

          // ioredis with its tls option
          const p = await pki();
          const r = new Redis({
            host: "127.0.0.1",
            port,
            tls: { ca: Deno.readTextFileSync(p.ca), servername: "localhost" },
            lazyConnect: true,
            maxRetriesPerRequest: 0,
            retryStrategy: () => null,
          });
          try {
            await r.connect();
            assert.equal(await r.set("io:tls", "yes"), "OK");
            assert.equal(await r.get("io:tls"), "yes");
            const pipe = r.pipeline();
            for (let i = 0; i < 500; i++) pipe.incr("io:n");
            const res = await pipe.exec();
            assert.equal(res?.at(-1)?.[1], 500);
            assert.equal(await r.mget("k1", "k2", "io:tls").then((v) => v.join(",")), "v1,v2,yes");
            // big values and a big pipeline both ways through the terminator (backpressure)
            const big = "x".repeat(3 << 20) + "end";
            assert.equal(await r.set("io:big", big), "OK");
            assert.equal(await r.get("io:big"), big);
            const many = r.pipeline();
            for (let i = 0; i < 20_000; i++) many.get("io:tls");
            const all = await many.exec();
            assert.equal(all?.length, 20_000);
            assert.ok(all?.every(([e, v]) => e === null && v === "yes"));
          } finally {
            r.disconnect();
          }

          // CLIENT INFO / CLIENT LIST show the TLS client's own address, and tls-port as laddr
          const conn = await connectTls(port);
          try {
            const mine = `127.0.0.1:${(conn.localAddr as Deno.NetAddr).port}`;
            const info = await tlsCall(conn, "CLIENT INFO\r\n");
            assert.match(info, new RegExp(` addr=${mine} laddr=127\\.0\\.0\\.1:${port} `), info);
            const list = await tlsCall(conn, "CLIENT LIST\r\n");
            assert.match(list, new RegExp(`addr=${mine} laddr=127\\.0\\.0\\.1:${port} `), list);
          } finally {
            conn.close();
          }

          // a plain client cannot pretend to be the terminator: a wrong secret, a malformed
          // line, a preamble after other bytes — none is believed
          const forged = "SKUA-TLS " + "0".repeat(64) + " 10.9.8.7:1234 10.9.8.7:6380\r\nPING\r\n";
          assert.deepEqual(await plainExchange(s.handle.port, forged), { reply: "", closed: true });
          const bad = await plainExchange(s.handle.port, "SKUA-TLS x\r\nPING\r\n");
          assert.deepEqual(bad, { reply: "", closed: true });
          // sent in pieces, the preamble is still recognised (and refused)
          const slow = await Deno.connect({ hostname: "127.0.0.1", port: s.handle.port });
          try {
            for (const part of ["SK", "UA-T", "LS 1", "23 1.2.3.4:5 1.2.3.4:6\r\n"]) {
              await slow.write(enc.encode(part));
              await new Promise((res) => setTimeout(res, 20));
            }
            assert.equal(await slow.read(new Uint8Array(64)).catch(() => null), null);
          } finally {
            slow.close();
          }
          // an ordinary plain client that starts like the magic is served
          const late = await plainExchange(s.handle.port, "PING\r\nSKUA-TLS x\r\nQUIT\r\n");
          assert.match(late.reply, /^\+PONG\r\n-ERR unknown command 'SKUA-TLS'/);
          assert.match(s.handle.output(), /TLS preamble with a wrong secret/);

          // redis-benchmark --tls
          const b = await runTool("redis-benchmark", [
            "--tls",
            "--cacert",
            p.ca,
            "-p",
            String(port),
            "-n",
            "2000",
            "-c",
            "10",
            "-P",
            "4",
            "-t",
            "set,get",
            "-q",
          ]);
          assert.equal(b.code, 0, b.stderr);
          assert.match(b.stdout.replaceAll("\r", "\n"), /SET: [\d.]+ requests per second/);
          assert.match(b.stdout.replaceAll("\r", "\n"), /GET: [\d.]+ requests per second/);

          // the settings TLS was started with cannot change at run time
          const set = await tlsCli(port, [], "CONFIG", "SET", "tls-port", String(port + 1));
          assert.equal(
            set.stdout.trim(),
            "ERR CONFIG SET failed (possibly related to argument 'tls-port') - can't set immutable config",
          );
          const got = await tlsCli(port, [], "CONFIG", "GET", "tls-port");
          assert.equal(got.stdout.trim(), `tls-port\n${port}`);
        } finally {
          await s.handle.stop();
        }
      },
    });
  }
}

// ---- client certificates -----------------------------------------------------------------

Deno.test({
  name: "tls: tls-auth-clients yes and optional verify client certificates against the CA",
  ignore: !HAVE_TOOLS,
  async fn() {
    const p = await pki();
    const good = ["--cert", p.clientCert, "--key", p.clientKey];
    const rogue = ["--cert", p.rogueCert, "--key", p.clientKey];
    // tls-ca-cert-dir: OpenSSL's layout (a hashed name for the CA), beside a file that is no
    // certificate
    const caDir = `${p.dir}/cadir`;
    await Deno.mkdir(caDir, { recursive: true });
    await Deno.copyFile(p.ca, `${caDir}/5d2a1b3c.0`);
    await Deno.writeTextFile(`${caDir}/README`, "not a certificate\n");
    const viaDir = ["--tls-ca-cert-file", "", "--tls-ca-cert-dir", caDir];
    for (const [mode, extra] of [["yes", []], ["optional", []], ["yes", viaDir]] as const) {
      const s = await startTls(ENGINES[0], 2, ["--tls-auth-clients", mode, ...extra]);
      try {
        const none = await tlsCli(s.tlsPort, [], "PING");
        if (mode === "yes") assert.notEqual(none.stdout.trim(), "PONG", `${mode}: no certificate`);
        else assert.equal(none.stdout.trim(), "PONG", `${mode}: no certificate`);
        assert.equal((await tlsCli(s.tlsPort, good, "PING")).stdout.trim(), "PONG", mode);
        const bad = await tlsCli(s.tlsPort, rogue, "PING");
        assert.notEqual(bad.stdout.trim(), "PONG", `${mode}: a certificate of another CA`);
      } finally {
        await s.handle.stop();
      }
    }
  },
});

Deno.test({
  name: "tls: tls-protocols bounds the versions offered",
  ignore: !HAVE_TOOLS,
  async fn() {
    const s = await startTls(ENGINES[0], 1, ["--tls-protocols", "TLSv1.3"]);
    try {
      /** openssl s_client with one protocol version: what it printed by +PONG, exit or 10 s */
      const hello = async (version: string) => {
        const r = new Deno.Command("openssl", {
          args: ["s_client", "-connect", `127.0.0.1:${s.tlsPort}`, "-quiet", version],
          stdin: "piped",
          stdout: "piped",
          stderr: "null",
        }).spawn();
        const w = r.stdin.getWriter();
        await w.write(enc.encode("PING\r\n"));
        let out = "";
        const timer = setTimeout(() => r.kill("SIGKILL"), 10_000);
        for await (const chunk of r.stdout) {
          out += dec.decode(chunk);
          if (out.includes("+PONG")) break;
        }
        clearTimeout(timer);
        try {
          r.kill("SIGKILL");
        } catch {
          // exited: the handshake failed
        }
        await r.status;
        await w.close().catch(() => {});
        return out;
      };
      assert.match(await hello("-tls1_3"), /\+PONG/);
      assert.doesNotMatch(await hello("-tls1_2"), /\+PONG/);
    } finally {
      await s.handle.stop();
    }
  },
});

// ---- TLS only ------------------------------------------------------------------------------

/** A Skua started with `args` (no helper defaults), waited for until its TLS ready line. */
async function withSkua(
  args: string[],
  fn: (readyLine: string, output: () => string) => Promise<void>,
  nofile = 0,
): Promise<void> {
  const run = [Deno.execPath(), "run", "-A", "main.ts", ...args];
  // nofile: a lower open files limit, through the shell's ulimit (exec keeps the pid)
  const [cmd, ...cmdArgs] = nofile > 0
    ? ["sh", "-c", `ulimit -n ${nofile} && exec "$@"`, "sh", ...run]
    : run;
  const proc = new Deno.Command(cmd, {
    args: cmdArgs,
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const pump = (async () => {
    for await (const chunk of proc.stdout) out += dec.decode(chunk);
  })();
  const errs = new Response(proc.stderr).text();
  try {
    const deadline = Date.now() + 30_000;
    while (!/ready to accept TLS.*\n/.test(out) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const line = /ready to accept TLS.*\n/.exec(out);
    assert.ok(line, out);
    await fn(line[0], () => out);
  } finally {
    proc.kill("SIGTERM");
    const st = await proc.status;
    await pump;
    const err = await errs;
    assert.equal(st.code, 0, out + err);
  }
}

for (const io of ENGINES) {
  Deno.test({
    name:
      `tls: port 0 serves TLS only, the internal listener takes only preambles; keepalive (io=${io})`,
    ignore: !HAVE_TOOLS,
    async fn() {
      const p = await pki();
      const tlsPort = freePort();
      const args = ["--port", "0", "--shards", "2", "--io", io, "--tcp-keepalive", "100"];
      args.push(...tlsArgs(p, tlsPort, ["--tls-auth-clients", "no"]));
      await withSkua(args, async (line, output) => {
        const m = /on 127\.0\.0\.1:(\d+) .*internal listener 127\.0\.0\.1:(\d+)/.exec(line);
        assert.ok(m, line);
        assert.doesNotMatch(output(), /ready to accept connections/);
        const internal = Number(m[2]);
        assert.equal((await tlsCli(tlsPort, [], "SET", "a", "1")).stdout.trim(), "OK");
        assert.equal((await tlsCli(tlsPort, [], "GET", "a")).stdout.trim(), "1");
        assert.equal((await tlsCli(tlsPort, [], "CONFIG", "GET", "port")).stdout.trim(), "port\n0");
        // a plain client on the internal port gets nothing
        assert.deepEqual(await plainExchange(internal, "PING\r\n"), { reply: "", closed: true });
        assert.deepEqual(await plainExchange(internal, "P"), { reply: "", closed: true });
        assert.match(output(), /no TLS preamble on the internal port/);
        // tcp-keepalive acts on the TLS client's own socket (the terminator's side of it)
        const conn = await connectTls(tlsPort);
        try {
          assert.equal(await tlsCall(conn, "PING\r\n"), "+PONG\r\n");
          const ss = await runTool("ss", [
            "-tnoe",
            "state",
            "established",
            `( sport = :${tlsPort} )`,
          ]);
          assert.match(ss.stdout, /timer:\(keepalive,1min[34]\dsec/, ss.stdout);
        } finally {
          conn.close();
        }
      });
    },
  });
}

Deno.test({
  name: "tls: the TLS listener recovers after running out of file descriptors",
  ignore: !HAVE_TOOLS,
  async fn() {
    const p = await pki();
    const tlsPort = freePort();
    const args = ["--port", String(freePort()), "--shards", "1"];
    args.push(...tlsArgs(p, tlsPort, ["--tls-auth-clients", "no"]));
    await withSkua(args, async (_line, output) => {
      // more raw connections than descriptors: accepts fail with EMFILE
      const conns: Deno.Conn[] = [];
      for (let i = 0; i < 300; i++) {
        conns.push(await Deno.connect({ hostname: "127.0.0.1", port: tlsPort }));
      }
      await new Promise((r) => setTimeout(r, 1000));
      for (const c of conns) c.close();
      const deadline = Date.now() + 15_000;
      let reply = "";
      while (Date.now() < deadline) {
        reply = (await tlsCli(tlsPort, [], "PING")).stdout.trim();
        if (reply === "PONG") break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(reply, "PONG", output());
      assert.match(output(), /TLS listener .* stopped accepting connections/);
    }, 150);
  },
});

/** This host's first non-loopback IPv4 address, if any. */
function outsideAddress(): string | null {
  const a = Deno.networkInterfaces().find((i) =>
    i.family === "IPv4" && !i.address.startsWith("127.")
  );
  return a?.address ?? null;
}

Deno.test({
  name: "tls: protected mode judges a TLS client by its own address, not the terminator's",
  ignore: !HAVE_TOOLS || outsideAddress() === null,
  async fn() {
    const p = await pki();
    const outside = outsideAddress()!;
    const tlsPort = freePort();
    const args = ["--port", String(freePort()), "--bind", "0.0.0.0", "--shards", "2"];
    args.push(...tlsArgs(p, tlsPort, ["--tls-auth-clients", "no"]));
    await withSkua(args, async () => {
      const from = async (host: string) =>
        (await runTool("redis-cli", [
          "--tls",
          "--insecure",
          "-h",
          host,
          "-p",
          String(tlsPort),
          "PING",
        ])).stdout.trim();
      assert.equal(await from("127.0.0.1"), "PONG");
      assert.match(await from(outside), /^DENIED Redis is running in protected mode/);
      assert.equal(
        (await tlsCli(tlsPort, [], "CONFIG", "SET", "protected-mode", "no")).stdout.trim(),
        "OK",
      );
      assert.equal(await from(outside), "PONG");
    });
  },
});

// ---- units ---------------------------------------------------------------------------------

Deno.test("tls: tls-protocols values, refused tls-* values, CONFIG SET of the TLS settings", () => {
  assert.deepEqual(tlsVersions(""), ["TLSv1.2", "TLSv1.3"]);
  assert.deepEqual(tlsVersions("tlsv1.3"), ["TLSv1.3"]);
  assert.deepEqual(tlsVersions("TLSv1.3 TLSv1.2"), ["TLSv1.2", "TLSv1.3"]);
  const s = new ConfigStore(new Map([["tls-protocols", "TLSv1.2"]]));
  assert.equal(s.value("tls-protocols"), "TLSv1.2");
  for (const v of ["TLSv1", "TLSv1.1 TLSv1.2", "SSLv3"]) {
    assert.throws(() => new ConfigStore(new Map([["tls-protocols", v]])), v);
  }
  const failed = (name: string, err: string) =>
    `ERR CONFIG SET failed (possibly related to argument '${name}') - ${err}`;
  for (
    const name of [
      "tls-port",
      "tls-cert-file",
      "tls-key-file",
      "tls-ca-cert-file",
      "tls-ca-cert-dir",
      "tls-auth-clients",
      "tls-protocols",
    ]
  ) {
    assert.equal(s.validate([[name, "yes"]]), failed(name, "can't set immutable config"));
  }
  assert.equal(
    s.validate([["tls-ciphers", "HIGH"]]),
    failed(
      "tls-ciphers",
      "tls-ciphers is not supported: Skua's TLS chooses its cipher suites itself",
    ),
  );
  assert.equal(s.validate([["tls-ciphers", ""]]), null);
  assert.equal(s.validate([["tls-dh-params-file", "x.pem"]])?.includes("not supported"), true);
});

Deno.test("tls: who may send a preamble", () => {
  assert.equal(fromThisHost("127.0.0.1:5000", "127.0.0.1:6379"), true);
  assert.equal(fromThisHost("127.0.0.2:5000", "127.0.0.1:6379"), true);
  assert.equal(fromThisHost("::1:5000", "::1:6379"), true);
  assert.equal(fromThisHost("::ffff:127.0.0.1:5000", "::ffff:127.0.0.1:6379"), true);
  // the terminator reaching a listener bound to this host's own address
  assert.equal(fromThisHost("192.0.2.2:5000", "192.0.2.2:6379"), true);
  assert.equal(fromThisHost("192.0.2.9:5000", "192.0.2.2:6379"), false);
  assert.equal(fromThisHost("", ""), false);
  assert.equal(
    preambleLine("ab", "1.2.3.4:5", "6.7.8.9:10"),
    "SKUA-TLS ab 1.2.3.4:5 6.7.8.9:10\r\n",
  );
});

// ---- settings refused ----------------------------------------------------------------------

/** Starts Skua with `args` expecting a startup failure; returns what it printed. */
async function failsToStart(args: string[]): Promise<string> {
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "--port", String(freePort()), "--shards", "1", ...args],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // a server that starts after all must not hang the test
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const r = await proc.output();
  clearTimeout(timer);
  const text = dec.decode(r.stdout) + dec.decode(r.stderr);
  assert.equal(r.code, 1, `${args.join(" ")}: ${text}`);
  assert.doesNotMatch(text, /ready to accept/);
  return text;
}

Deno.test({
  name: "tls: settings that cannot be served stop the server at startup with a clear message",
  ignore: !HAVE_TOOLS,
  async fn() {
    const p = await pki();
    const port = String(freePort());
    const garbage = `${p.dir}/garbage.pem`;
    await Deno.writeTextFile(garbage, "not a certificate\n");
    const empty = `${p.dir}/empty`;
    await Deno.mkdir(empty, { recursive: true });
    const cases: [string[], RegExp][] = [
      [["--tls-port", port], /tls-port is set but no tls-cert-file is/],
      [["--tls-port", port, "--tls-cert-file", p.serverCert], /no tls-key-file/],
      [
        [
          "--tls-port",
          port,
          "--tls-cert-file",
          `${p.dir}/missing.crt`,
          "--tls-key-file",
          p.serverKey,
        ],
        /cannot read tls-cert-file '.*missing\.crt'/,
      ],
      [
        ["--tls-port", port, "--tls-cert-file", garbage, "--tls-key-file", p.serverKey],
        /tls-cert-file .*No certificates found/,
      ],
      [
        ["--tls-port", port, "--tls-cert-file", p.serverCert, "--tls-key-file", p.clientKey],
        /tls-key-file .*: the key does not belong to the certificate/,
      ],
      [
        ["--tls-port", port, "--tls-cert-file", p.serverCert, "--tls-key-file", p.serverKey],
        /Either tls-ca-cert-file or tls-ca-cert-dir must be specified/,
      ],
      [
        [
          ...tlsArgs(p, Number(port), []).filter((a) => a !== p.ca && a !== "--tls-ca-cert-file"),
          "--tls-ca-cert-file",
          garbage,
        ],
        /tls-ca-cert-file .*no certificate found/,
      ],
      [
        [...tlsArgs(p, Number(port), ["--tls-ca-cert-file", "", "--tls-ca-cert-dir", empty])],
        /tls-ca-cert-dir '.*empty': no certificate found/,
      ],
      [["--tls-protocols", "TLSv1.1 TLSv1.2"], /invalid value for 'tls-protocols'/],
      [["--tls-ciphers", "HIGH"], /invalid value for 'tls-ciphers'.*chooses its cipher suites/],
      [["--tls-key-file-pass", "x"], /invalid value for 'tls-key-file-pass'/],
      [["--port", "0"], /Configured to not listen anywhere, exiting\./],
    ];
    const outs = await Promise.all(cases.map(([args]) => failsToStart(args)));
    cases.forEach(([args, want], i) => assert.match(outs[i], want, args.join(" ")));
  },
});

Deno.test({
  name: "tls: cleanup of the test certificates",
  ignore: !HAVE_TOOLS,
  async fn() {
    if (pkiPromise !== null) await Deno.remove((await pkiPromise).dir, { recursive: true });
  },
});
