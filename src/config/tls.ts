/**
 * Value kinds of the tls-* parameters whose values Skua's TLS (Deno's rustls) can or cannot
 * honour. What it cannot honour is refused with the reason, never stored silently: a cipher
 * list or a protocol set that is not applied would be a security promise not kept.
 */
import { fail, type Kind, ok, stringKind } from "./kinds.ts";
import { asciiLower } from "./parse.ts";

/** The protocol versions Skua's TLS offers, by their tls-protocols names. */
export const TLS_VERSIONS: readonly string[] = ["TLSv1.2", "TLSv1.3"];

const PROTOCOLS_ALLOWED = "TLSv1.2, TLSv1.3 or both, space-separated (empty: both)";

/**
 * tls-protocols: Redis takes any combination of TLSv1, TLSv1.1, TLSv1.2 and TLSv1.3; the two
 * old ones do not exist in rustls, so a set naming them is refused rather than narrowed.
 */
export const tlsProtocolsKind: Kind = {
  type: "string",
  allowed: PROTOCOLS_ALLOWED,
  set(value) {
    for (const w of value.split(" ")) {
      if (w === "") continue;
      const v = asciiLower(w);
      if (v === "tlsv1" || v === "tlsv1.1") {
        return fail(`${w} is not supported: Skua's TLS offers only TLSv1.2 and TLSv1.3`);
      }
      if (v !== "tlsv1.2" && v !== "tlsv1.3") {
        return fail(
          "Invalid tls-protocols specified. Use a combination of 'TLSv1.2' and 'TLSv1.3'.",
        );
      }
    }
    return ok(value);
  },
};

/** The versions a tls-protocols value enables, lowest first (empty value: all of them). */
export function tlsVersions(value: string): string[] {
  const want = new Set(value.split(" ").filter((w) => w !== "").map(asciiLower));
  const all = TLS_VERSIONS.filter((v) => want.size === 0 || want.has(asciiLower(v)));
  return all;
}

/** A tls-* parameter Skua's TLS cannot apply: only its empty default is accepted. */
export function tlsUnsupportedKind(name: string, why: string): Kind {
  return stringKind(
    `an empty string (${why})`,
    (v) => v === "" ? null : `${name} is not supported: ${why}`,
  );
}
