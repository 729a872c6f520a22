// The io_uring shim (native/) through its Deno FFI bindings (ffi/uring.ts).
// The FFI loop is synchronous, so each test drives it in small steps
// (submitAndWait with a short timeout) interleaved with awaits of the Deno
// client side.
import assert from "node:assert/strict";
import {
  Errno,
  listenFd,
  loadUring,
  localAddr,
  peerAddr,
  pointerOf,
  probeUring,
  Uring,
  type UringLib,
} from "../ffi/uring.ts";

const probe = probeUring();
const ignore = !probe.ok;
if (!probe.ok) console.log(`uring_ffi_test: skipping, io_uring unavailable: ${probe.reason}`);
const lib = ignore ? null : loadUring() as UringLib;

const TAG_ACCEPT = 1, TAG_RECV = 2, TAG_SEND = 3, TAG_EFD = 4, TAG_CANCEL = 5, TAG_CLOSE = 6;

interface Cqe {
  tag: number;
  res: number;
  flags: number;
  bid: number;
  more: boolean;
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Drives the ring until `until(all completions so far)` holds. */
async function reap(r: Uring, until: (all: Cqe[]) => boolean, ms = 3000): Promise<Cqe[]> {
  const got: Cqe[] = [];
  const end = Date.now() + ms;
  while (!until(got)) {
    if (Date.now() > end) throw new Error(`timed out; completions: ${JSON.stringify(got)}`);
    const n = r.submitAndWait(1, 5);
    assert.ok(n >= 0, `submitAndWait: ${n}`);
    for (let i = 0; i < n; i++) {
      got.push({ tag: r.tag(i), res: r.res(i), flags: r.flags(i), bid: r.bid(i), more: r.more(i) });
    }
    await tick();
  }
  return got;
}

const has = (tag: number) => (all: Cqe[]) => all.some((c) => c.tag === tag);
const text = (r: Uring, c: Cqe) => new TextDecoder().decode(r.bufferView(c.bid, c.res));

/** A ring with a listener, one accepted connection and a recv armed on it. */
async function connected(opts: { bufCount?: number; bufSize?: number } = {}) {
  const r = new Uring(lib!, { entries: 64, ...opts });
  const lfd = listenFd(lib!, "127.0.0.1", 0);
  const port = Number(localAddr(lib!, lfd).split(":")[1]);
  assert.equal(r.prepAcceptMultishot(lfd, TAG_ACCEPT), 0);
  r.submitAndWait(0, 0);
  const client = await Deno.connect({ hostname: "127.0.0.1", port });
  const acc = (await reap(r, has(TAG_ACCEPT))).find((c) => c.tag === TAG_ACCEPT)!;
  assert.ok(acc.res >= 0, `accept: ${acc.res}`);
  assert.ok(acc.more, "multishot accept stays armed");
  const fd = acc.res;
  assert.equal(r.prepRecvMultishot(fd, TAG_RECV), 0);
  const close = () => {
    lib!.symbols.sk_close(fd);
    lib!.symbols.sk_close(lfd);
    r.destroy();
    try {
      client.close();
    } catch { /* already closed by the test */ }
  };
  return { r, lfd, fd, port, client, close };
}

Deno.test({
  name: "uring: build on first use (missing or stale .so)",
  ignore,
  async fn() {
    const tmp = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${tmp}/native`);
      await Deno.mkdir(`${tmp}/ffi`);
      for (const e of Deno.readDirSync(new URL("../native/", import.meta.url))) {
        if (e.isFile) {
          await Deno.copyFile(
            new URL(`../native/${e.name}`, import.meta.url),
            `${tmp}/native/${e.name}`,
          );
        }
      }
      for (const e of Deno.readDirSync(new URL("../ffi/", import.meta.url))) {
        await Deno.copyFile(new URL(`../ffi/${e.name}`, import.meta.url), `${tmp}/ffi/${e.name}`);
      }
      const script = `${tmp}/load.ts`;
      await Deno.writeTextFile(
        script,
        `import { loadUring } from "./ffi/uring.ts";
         const lib = loadUring();
         if ("error" in lib) { console.log(lib.error); Deno.exit(1); }
         console.log(lib.symbols.sk_abi_version());`,
      );
      const run = () =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--no-lock", "--no-config", script],
          env: { SKUA_URING_LIB: "" },
        }).output();
      const so = `${tmp}/native/build/libskua_uring.so`;
      let out = await run();
      assert.ok(
        out.success,
        new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
      );
      const built = Deno.statSync(so).mtime!.getTime();
      const ldd = await new Deno.Command("ldd", { args: [so] }).output();
      assert.doesNotMatch(new TextDecoder().decode(ldd.stdout), /liburing/);
      // Older than its sources: rebuilt on the next load.
      Deno.utimeSync(so, new Date(built - 60_000), new Date(built - 60_000));
      out = await run();
      assert.ok(out.success);
      assert.ok(Deno.statSync(so).mtime!.getTime() >= built);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "uring: ring setup, flags and completion array",
  ignore,
  fn() {
    const r = new Uring(lib!, { entries: 32, bufCount: 8, bufSize: 128 });
    try {
      assert.ok(r.handle >= 0);
      assert.ok(r.cqCapacity >= 32);
      assert.equal(r.cq.length, r.cqCapacity * 4);
      assert.equal(r.bufs.length, 8 * 128);
      console.log(`  accepted setup flags: ${r.setupFlagNames().join("|") || "(none)"}`);
      assert.equal(r.submitAndWait(0, 0), 0);
      const t0 = performance.now();
      assert.equal(r.submitAndWait(1, 50), 0, "timeout is 0 completions, not an error");
      assert.ok(performance.now() - t0 >= 40);
      assert.equal(r.recycle(3), -Errno.EALREADY, "the kernel owns unused buffers");
      assert.throws(() => new Uring(lib!, { bufCount: 3 }), /buffer ring/);
    } finally {
      r.destroy();
    }
  },
});

Deno.test({
  name: "uring: listen and address helpers",
  ignore,
  fn() {
    const v4 = listenFd(lib!, "127.0.0.1", 0, { reusePort: true });
    assert.match(localAddr(lib!, v4), /^127\.0\.0\.1:\d+$/);
    assert.equal(peerAddr(lib!, v4), "");
    lib!.symbols.sk_close(v4);
    const v6 = listenFd(lib!, "::1", 0, { v6Only: true });
    assert.match(localAddr(lib!, v6), /^\[::1\]:\d+$/);
    lib!.symbols.sk_close(v6);
    assert.throws(() => listenFd(lib!, "not-an-ip", 0), /not an IPv4\/IPv6 address/);
  },
});

Deno.test({
  name: "uring: multishot accept, recv into a provided buffer, send a reply, EOF",
  ignore,
  async fn() {
    const { r, fd, client, close } = await connected();
    try {
      assert.match(peerAddr(lib!, fd), /^127\.0\.0\.1:\d+$/);
      assert.equal(lib!.symbols.sk_set_nodelay(fd), 0);
      await client.write(new TextEncoder().encode("PING\r\n"));
      const c = (await reap(r, has(TAG_RECV))).find((x) => x.tag === TAG_RECV)!;
      assert.equal(c.res, 6);
      assert.ok(r.hasBuffer(0) && c.bid >= 0 && c.bid < r.bufCount);
      assert.ok(c.more, "multishot recv stays armed");
      assert.equal(text(r, c), "PING\r\n");
      assert.equal(r.recycle(c.bid), 0);
      assert.equal(r.recycle(c.bid), -Errno.EALREADY, "double recycle is refused");

      const out = new Uint8Array(4096);
      const base = pointerOf(out);
      const reply = new TextEncoder().encode("+PONG\r\n");
      out.set(reply, 100);
      const bigTag = ((0xabcdef << 8) | TAG_SEND) >>> 0;
      assert.equal(r.prepSend(fd, base, 100, reply.length, bigTag), 0);
      const s = (await reap(r, has(bigTag))).find((x) => x.tag === bigTag)!;
      assert.equal(s.res, reply.length);
      const got = new Uint8Array(64);
      const n = await client.read(got);
      assert.equal(new TextDecoder().decode(got.subarray(0, n!)), "+PONG\r\n");

      client.close();
      const eof = (await reap(r, has(TAG_RECV))).find((x) => x.tag === TAG_RECV)!;
      assert.equal(eof.res, 0);
      assert.equal(eof.bid, -1, "EOF carries no buffer");
      assert.ok(!eof.more, "EOF ends the multishot recv");
    } finally {
      close();
    }
  },
});

Deno.test({
  name: "uring: buffers recycle across more messages than buffers",
  ignore,
  async fn() {
    const { r, client, close } = await connected({ bufCount: 4, bufSize: 64 });
    try {
      const seen = new Set<number>();
      for (let i = 0; i < 40; i++) {
        const msg = `message-${i}`;
        await client.write(new TextEncoder().encode(msg));
        const c = (await reap(r, has(TAG_RECV))).find((x) => x.tag === TAG_RECV)!;
        assert.equal(c.res, msg.length);
        assert.ok(c.more);
        assert.equal(text(r, c), msg);
        seen.add(c.bid);
        assert.equal(r.recycle(c.bid), 0);
      }
      assert.equal(seen.size, 4, "every buffer was used");
      // An arrival bigger than a buffer spans several completions.
      const big = "x".repeat(150) + "y".repeat(50);
      await client.write(new TextEncoder().encode(big));
      let joined = "";
      while (joined.length < big.length) {
        for (const c of await reap(r, has(TAG_RECV))) {
          assert.ok(c.res > 0 && c.res <= 64 && c.more);
          joined += text(r, c);
          assert.equal(r.recycle(c.bid), 0);
        }
      }
      assert.equal(joined, big);
    } finally {
      close();
    }
  },
});

Deno.test({
  name: "uring: ENOBUFS ends the multishot recv; re-arm after recycling gets the data",
  ignore,
  async fn() {
    const { r, fd, client, close } = await connected({ bufCount: 2, bufSize: 16 });
    try {
      const held: number[] = [];
      let enobufs: Cqe | undefined;
      for (let i = 0; i < 3 && !enobufs; i++) {
        await client.write(new TextEncoder().encode(`m${i}`));
        const c = (await reap(r, has(TAG_RECV))).find((x) => x.tag === TAG_RECV)!;
        if (c.res === -Errno.ENOBUFS) enobufs = c;
        else {
          assert.equal(text(r, c), `m${i}`);
          held.push(c.bid);
        }
      }
      assert.ok(enobufs, "a recv with no free buffer fails");
      assert.ok(!enobufs.more, "ENOBUFS terminates the multishot recv");
      assert.equal(enobufs.bid, -1);
      assert.equal(held.length, 2);
      for (const b of held) assert.equal(r.recycle(b), 0);
      assert.equal(r.prepRecvMultishot(fd, TAG_RECV), 0);
      const c = (await reap(r, has(TAG_RECV))).find((x) => x.tag === TAG_RECV)!;
      assert.equal(c.res, 2);
      assert.equal(text(r, c), "m2", "the unread bytes waited in the socket");
      assert.ok(c.more);
    } finally {
      close();
    }
  },
});

Deno.test({
  name: "uring: eventfd write from a Worker wakes a parked submitAndWait early",
  ignore,
  async fn() {
    const r = new Uring(lib!, { entries: 8, bufCount: 2, bufSize: 64 });
    const efd = lib!.symbols.sk_eventfd();
    assert.ok(efd >= 0);
    const ffiUrl = new URL("../ffi/uring.ts", import.meta.url).href;
    const code = `import { loadUring } from ${JSON.stringify(ffiUrl)};
      const lib = loadUring();
      self.onmessage = (e) => setTimeout(() => self.postMessage(lib.symbols.sk_eventfd_write(e.data)), 100);
      self.postMessage("ready");`;
    const blobUrl = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    const worker = new Worker(blobUrl, { type: "module" });
    try {
      const messages: unknown[] = [];
      let notify = () => {};
      worker.onmessage = (e) => {
        messages.push(e.data);
        notify();
      };
      const next = () => new Promise<void>((res) => (notify = res));
      await next();
      assert.equal(messages[0], "ready");
      const eb = new Uint8Array(new ArrayBuffer(64)); // off-heap: its address is stable
      assert.equal(r.prepRead(efd, pointerOf(eb), 8, 8, TAG_EFD), 0);
      assert.equal(r.submitAndWait(0, 0), 0);
      worker.postMessage(efd);
      const t0 = performance.now();
      const n = r.submitAndWait(1, 5000); // blocks this thread; the Worker wakes it
      const waited = performance.now() - t0;
      assert.equal(n, 1);
      assert.equal(r.tag(0), TAG_EFD);
      assert.equal(r.res(0), 8);
      assert.equal(eb[8], 1, "the eventfd counter landed at the offset");
      assert.ok(waited < 2000, `woke after ${waited.toFixed(0)} ms`);
      await next();
      assert.equal(messages[1], 0);
    } finally {
      worker.terminate();
      URL.revokeObjectURL(blobUrl);
      lib!.symbols.sk_close(efd);
      r.destroy();
    }
  },
});

/** Open fds, once the count is stable (a terminated Worker's runtime closes its own late). */
async function openFds(): Promise<string[]> {
  const list = () =>
    [...Deno.readDirSync("/proc/self/fd")].map((e) => {
      try {
        return `${e.name} -> ${Deno.readLinkSync(`/proc/self/fd/${e.name}`)}`;
      } catch {
        return e.name; // the fd of the directory listing itself
      }
    });
  let prev = list();
  for (let i = 0; i < 50; i++) {
    await new Promise((res) => setTimeout(res, 20));
    const cur = list();
    if (cur.length === prev.length) return cur;
    prev = cur;
  }
  return prev;
}

Deno.test({
  name: "uring: cancel + close clean up every fd",
  ignore,
  async fn() {
    (await Deno.connect({ hostname: "127.0.0.1", port: 1 }).catch(() => null))?.close();
    const before = await openFds();
    const { r, lfd, fd, client } = await connected();
    const efd = lib!.symbols.sk_eventfd();
    const efdBuf = new Uint8Array(new ArrayBuffer(8));
    r.prepRead(efd, pointerOf(efdBuf), 0, 8, TAG_EFD);
    // this test's own fds: the ring, the listener, the connection, the eventfd (test files run
    // in parallel share the process, so the others' fds come and go meanwhile)
    const during = await openFds();
    const ours = during.filter((e) =>
      !before.includes(e) &&
      (/io_uring/.test(e) || [lfd, fd, efd].some((n) => e.startsWith(`${n} -> `)))
    );
    assert.equal(ours.length, 4, `the ring, listener, socket and eventfd:\n${during.join("\n")}`);
    // A plain close(2) would not release the socket while the recv holds it:
    // cancel everything on the fd, then close, in one batch.
    assert.equal(r.prepCancelFd(fd, TAG_CANCEL), 0);
    assert.equal(r.prepClose(fd, TAG_CLOSE), 0);
    let all = await reap(r, (a) => [TAG_CANCEL, TAG_CLOSE, TAG_RECV].every((t) => has(t)(a)));
    assert.equal(all.find((c) => c.tag === TAG_CANCEL)!.res, 1, "one request cancelled");
    const recv = all.find((c) => c.tag === TAG_RECV)!;
    assert.equal(recv.res, -Errno.ECANCELED);
    assert.ok(!recv.more);
    assert.equal(all.find((c) => c.tag === TAG_CLOSE)!.res, 0);
    // The peer sees the close: the socket was really released.
    assert.equal(await client.read(new Uint8Array(8)), null);
    client.close();
    // Listener and eventfd: cancel their armed requests, then close directly.
    r.prepCancelFd(lfd, TAG_CANCEL);
    r.prepCancelFd(efd, TAG_CANCEL);
    all = await reap(r, (a) => a.filter((c) => c.tag === TAG_CANCEL).length === 2);
    assert.ok(all.some((c) => c.tag === TAG_ACCEPT && c.res === -Errno.ECANCELED));
    assert.ok(all.some((c) => c.tag === TAG_EFD && c.res === -Errno.ECANCELED));
    assert.equal(lib!.symbols.sk_close(lfd), 0);
    assert.equal(lib!.symbols.sk_close(efd), 0);
    assert.equal(r.prepCancelFd(fd, TAG_CANCEL), 0);
    all = await reap(r, has(TAG_CANCEL));
    if (all[0].res !== -Errno.EBADF) {
      // another test file running in this process may have been given the same fd number since:
      // then it must name something else than our socket did
      const was = ours.find((e) => e.startsWith(`${fd} -> `));
      let now = "";
      try {
        now = `${fd} -> ${Deno.readLinkSync(`/proc/self/fd/${fd}`)}`;
      } catch {
        // closed again meanwhile
      }
      assert.notEqual(now, was, `the fd is really closed (cancel gave ${all[0].res})`);
    }
    r.destroy();
    const after = await openFds();
    const left = ours.filter((e) => after.includes(e));
    assert.deepEqual(left, [], `still open:\n${left.join("\n")}\nafter:\n${after.join("\n")}`);
  },
});
