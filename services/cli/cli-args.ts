import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { TlsOptions } from "../../clients/ts/index.js";
import { InvalidArgumentError } from "../errors.js";

export const defaultBroker = "127.0.0.1:7070";

/** What client commands take from the environment (services/main.ts reads it). */
export interface CliEnv {
  /** TRIBUTARY_TOKEN: the bearer token when --token is not given (`serve` ignores it:
   * config.ts clientEnvNames). */
  readonly token?: string;
}

/** Flags every client command accepts: where the broker is and how to prove who we are. */
const connectionFlags = {
  broker: { type: "string", default: defaultBroker },
  token: { type: "string" },
  tls: { type: "boolean", default: false },
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-server-name": { type: "string" },
} as const;

export const connectionUsage = `Client commands take:
  --broker HOST:PORT      the broker (default ${defaultBroker})
  --token TOKEN           bearer token (or TRIBUTARY_TOKEN; prefer the variable: flags show in ps)
  --tls                   TLS, verifying the broker against the system's CAs
  --tls-ca FILE           TLS, verifying the broker against this PEM CA bundle
  --tls-cert FILE --tls-key FILE   a client certificate (mutual TLS; its CN is the principal)
  --tls-server-name NAME  the name the broker's certificate must carry, if not the --broker host
  (For serve, --tls-cert and --tls-key are the broker's own certificate: config keys below.)`;

/** What parseCommand returns, named so the declaration build (tsconfig.build.json) can write it. */
export type ParsedCommand<O extends NonNullable<ParseArgsConfig["options"]>> = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof connectionFlags & O; strict: true; allowPositionals: true }>
>;

/** Parses a subcommand's flags strictly; the connection flags are accepted everywhere. */
export function parseCommand<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O): ParsedCommand<O> {
  const all = { ...connectionFlags, ...options } as const;
  return parseArgs({ args, options: all as typeof all & O, strict: true, allowPositionals: true });
}

type ConnectionValues = {
  broker?: string;
  token?: string;
  tls?: boolean;
  "tls-ca"?: string;
  "tls-cert"?: string;
  "tls-key"?: string;
  "tls-server-name"?: string;
};

/** Client options from the connection flags (and TRIBUTARY_TOKEN): broker, token, TLS files read. */
export function connection(values: ConnectionValues, env: CliEnv): { broker: string; token?: string; tls?: TlsOptions } {
  const token = values.token ?? (env.token ? env.token : undefined);
  if (token !== undefined && !/^\S+$/.test(token)) throw new InvalidArgumentError("USAGE", "--token must be one word");
  const cert = values["tls-cert"];
  const key = values["tls-key"];
  if ((cert === undefined) !== (key === undefined)) {
    throw new InvalidArgumentError("USAGE", "--tls-cert and --tls-key go together");
  }
  const ca = values["tls-ca"];
  const serverName = values["tls-server-name"];
  const useTls = values.tls === true || ca !== undefined || cert !== undefined || serverName !== undefined;
  return {
    broker: values.broker ?? defaultBroker,
    ...(token !== undefined ? { token } : {}),
    ...(useTls
      ? {
          tls: {
            ...(ca !== undefined ? { ca: readPem(ca, "--tls-ca") } : {}),
            ...(cert !== undefined ? { cert: readPem(cert, "--tls-cert"), key: readPem(key!, "--tls-key") } : {}),
            ...(serverName !== undefined ? { serverName } : {}),
          },
        }
      : {}),
  };
}

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InvalidArgumentError("USAGE", `${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A positional argument that must be there. */
export function required(positionals: string[], index: number, what: string): string {
  const value = positionals[index];
  if (value === undefined) throw new InvalidArgumentError("USAGE", `missing ${what}`);
  return value;
}

/** "earliest" | "latest" | an offset (digits) | a time (ISO 8601 or ms since the epoch with "ms" suffix). */
export function parsePosition(text: string): "earliest" | "latest" | { offset: bigint } | { timestampMs: number } {
  if (text === "earliest" || text === "latest") return text;
  if (/^\d+$/.test(text)) return { offset: BigInt(text) };
  if (/^\d+ms$/.test(text)) return { timestampMs: Number(text.slice(0, -2)) };
  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    throw new InvalidArgumentError("USAGE", `--from takes earliest, latest, an offset, NNNms or an ISO time; got ${text}`);
  }
  return { timestampMs: time };
}

/** JSON with bigints as strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v));
}

/** Progress on stderr when it is a terminal: long operations show they are moving. */
export function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${text}`);
}

export function progressDone(): void {
  if (process.stderr.isTTY) process.stderr.write("\n");
}

/**
 * grpc-js gives TLS the dialed host as the SNI name even when it is an IP
 * address, and Node then warns (DEP0123) on every command run with
 * `--broker 127.0.0.1:… --tls-ca …`. The certificate is still verified
 * against that IP (its subjectAltName), so the warning is noise: drop it,
 * pass every other warning on to Node's own printer.
 */
export function dropIpServerNameWarning(): void {
  const printers = process.listeners("warning");
  process.removeAllListeners("warning");
  process.on("warning", (warning: Error & { code?: string }) => {
    if (warning.code === "DEP0123") return;
    for (const print of printers) print(warning);
  });
}
