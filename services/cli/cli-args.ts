import { parseArgs, type ParseArgsConfig } from "node:util";
import { InvalidArgumentError } from "../errors.js";

export const defaultBroker = "127.0.0.1:7070";

/** Parses a subcommand's flags strictly; `--broker` is accepted everywhere. */
export function parseCommand<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O) {
  const all = { broker: { type: "string", default: defaultBroker }, ...options } as const;
  return parseArgs({ args, options: all as typeof all & O, strict: true, allowPositionals: true });
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
