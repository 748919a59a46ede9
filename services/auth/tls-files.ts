import { readFileSync } from "node:fs";
import { TributaryError } from "../errors.js";

/** Reads a PEM file named by config `key`; unreadable is a start-up error (TLS_FILE_UNREADABLE). */
export function readTlsFile(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new TributaryError("precondition", "TLS_FILE_UNREADABLE", `${key} ${path}: ${(cause as Error).message}`, { cause });
  }
}
