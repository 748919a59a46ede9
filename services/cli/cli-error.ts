import { errorReason } from "../../clients/ts/index.js";
import { TributaryError } from "../errors.js";

/** gRPC status names by code (stable across every gRPC implementation). */
const codeNames = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
  "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
] as const;

/** What to try next, by status: credentials and reachability are the user's to fix. */
const hints: Readonly<Record<string, string>> = {
  UNAUTHENTICATED: "the broker needs credentials it accepts: --token TOKEN (or TRIBUTARY_TOKEN), or a client certificate with --tls-cert/--tls-key",
  PERMISSION_DENIED: "the credentials are good but no ACL allows this; ask the broker's operator (docs/security.md)",
  UNAVAILABLE: "is the broker running at --broker, and does it speak TLS (then --tls-ca) or plaintext?",
};

/**
 * The line(s) a failed command prints: our own usage errors as they are; a
 * broker's error as its status, message and stable reason, with a hint for
 * credentials and connection problems; anything else (a bug) in full.
 */
export function describeCliError(err: unknown): string {
  if (err instanceof TributaryError || String((err as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
    return `tributary: ${(err as Error).message}`;
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === "number" && typeof (err as { details?: unknown }).details === "string") {
    const name = codeNames[code] ?? `status ${code}`;
    const reason = errorReason(err);
    const details = (err as { details: string }).details;
    const line = `tributary: ${name}: ${details}${reason !== undefined ? ` (${reason})` : ""}`;
    const hint = hints[name];
    return hint === undefined ? line : `${line}\n  ${hint}`;
  }
  return `tributary: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
}
