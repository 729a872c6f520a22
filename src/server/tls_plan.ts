/**
 * The TLS settings, read and checked at startup before any shard starts: certificate, key and
 * CA files are parsed with Deno's own TLS (node:tls, which serves them, would only complain at
 * the first handshake), and everything the terminator (tls.ts) needs is settled in a TlsPlan,
 * including the per-process secret of the preamble (src/shard/preamble.ts).
 */
import { lookupParam } from "../config/mod.ts";
import { tlsVersions } from "../config/tls.ts";

/** A TLS setting that cannot be served (startup stops with this message). */
export class TlsConfigError extends Error {}

/** Everything the terminator needs, settled before the shards start. */
export interface TlsPlan {
  port: number;
  bind: string;
  cert: string;
  key: string;
  /** PEM of the CA certificates that sign client certificates (tls-auth-clients yes|optional) */
  ca: string | null;
  authClients: string;
  versions: string[];
  /** the shards' plain listener, where decrypted clients go */
  upstreamHost: string;
  upstreamPort: number;
  /** the plain port is 0: the shards listen on loopback only, for the terminator */
  internal: boolean;
  /** hex; proves to a shard that a preamble comes from this process */
  secret: string;
  /** tcp-keepalive as the server started, for TLS clients' sockets (0: off) */
  keepAliveMs: number;
}

/** Parameter values as the server starts with them (set ones, else the table's defaults). */
function settings(params: Map<string, string>): (name: string) => string {
  return (name) => params.get(name) ?? lookupParam(name)!.default;
}

function readPem(param: string, path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    throw new TlsConfigError(`cannot read ${param} '${path}': ${(e as Error).message}`);
  }
}

const CERT_BEGIN = "-----BEGIN CERTIFICATE-----";

/** Throws unless `pem` holds certificates Deno's TLS can parse. */
function checkCerts(pem: string, what: string): void {
  let bad = pem.includes(CERT_BEGIN) ? "" : "no certificate found";
  if (bad === "") {
    try {
      Deno.createHttpClient({ caCerts: [pem] }).close();
    } catch (e) {
      bad = (e as Error).message;
    }
  }
  if (bad !== "") throw new TlsConfigError(`${what}: ${bad}`);
}

/**
 * The CA certificates client certificates are checked against: tls-ca-cert-file's, and every
 * file in tls-ca-cert-dir holding PEM certificates (OpenSSL's hashed names link to such files;
 * CRLs and anything else are passed over).
 */
function readCa(caFile: string, caDir: string): string {
  const pems: string[] = [];
  if (caFile !== "") {
    const pem = readPem("tls-ca-cert-file", caFile);
    checkCerts(pem, `tls-ca-cert-file '${caFile}'`);
    pems.push(pem);
  }
  if (caDir !== "") {
    let names: string[];
    try {
      names = [...Deno.readDirSync(caDir)].map((e) => e.name).sort();
    } catch (e) {
      throw new TlsConfigError(`cannot read tls-ca-cert-dir '${caDir}': ${(e as Error).message}`);
    }
    const seen = new Set<string>();
    for (const name of names) {
      let pem: string;
      try {
        pem = Deno.readTextFileSync(`${caDir}/${name}`);
      } catch {
        continue; // a directory, or unreadable: not a certificate file
      }
      if (!pem.includes(CERT_BEGIN) || seen.has(pem)) continue;
      seen.add(pem);
      checkCerts(pem, `tls-ca-cert-dir file '${caDir}/${name}'`);
      pems.push(pem);
    }
    if (seen.size === 0) {
      throw new TlsConfigError(`tls-ca-cert-dir '${caDir}': no certificate found`);
    }
  }
  return pems.join("\n");
}

/** The address to connect to for a listener bound to `bind` (from this host). */
export function probeHostFor(bind: string): string {
  if (bind === "0.0.0.0" || bind.startsWith("127.")) return "127.0.0.1";
  if (bind === "::" || bind === "::1") return "::1";
  return bind;
}

/** A loopback port that was free a moment ago, for the internal listener of a TLS-only server. */
function internalPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function randomSecret(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/**
 * Reads and checks the TLS settings: null when tls-port is 0; throws TlsConfigError when they
 * cannot be served (no certificate or key, unreadable or invalid files, no CA to check client
 * certificates against, tls-port equal to port).
 */
export function planTls(params: Map<string, string>, bind: string, port: number): TlsPlan | null {
  const get = settings(params);
  const tlsPort = Number(get("tls-port"));
  if (tlsPort === 0) return null;
  if (tlsPort === port) {
    throw new TlsConfigError(`tls-port and port are both ${port}: TLS needs a port of its own`);
  }
  const certFile = get("tls-cert-file"), keyFile = get("tls-key-file");
  if (certFile === "") throw new TlsConfigError("tls-port is set but no tls-cert-file is");
  if (keyFile === "") throw new TlsConfigError("tls-port is set but no tls-key-file is");
  const cert = readPem("tls-cert-file", certFile);
  const key = readPem("tls-key-file", keyFile);
  try {
    // Deno's TLS parses both at once, and checks that the key belongs to the certificate
    Deno.createHttpClient({ cert, key }).close();
  } catch (e) {
    const why = (e as Error).message;
    throw new TlsConfigError(
      `tls-cert-file '${certFile}' / tls-key-file '${keyFile}': ` +
        (why.includes("KeyMismatch") ? "the key does not belong to the certificate" : why),
    );
  }
  const authClients = get("tls-auth-clients");
  let ca: string | null = null;
  if (authClients !== "no") {
    const caFile = get("tls-ca-cert-file"), caDir = get("tls-ca-cert-dir");
    if (caFile === "" && caDir === "") {
      // Redis's text for the same mistake
      throw new TlsConfigError(
        "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, " +
          "tls-replication or tls-auth-clients are enabled!",
      );
    }
    ca = readCa(caFile, caDir);
  }
  const internal = port === 0;
  return {
    port: tlsPort,
    bind,
    cert,
    key,
    ca,
    authClients,
    versions: tlsVersions(get("tls-protocols")),
    upstreamHost: internal ? "127.0.0.1" : probeHostFor(bind),
    upstreamPort: internal ? internalPort() : port,
    internal,
    secret: randomSecret(),
    keepAliveMs: Number(get("tcp-keepalive")) * 1000,
  };
}
