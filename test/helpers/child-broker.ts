import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { LogEntry } from "./process-stats.js";
import { compiledMain } from "./dist-build.js";

export const tributaryBin = fileURLToPath(new URL("../../services/tributary.mjs", import.meta.url));

export interface ChildBroker {
  readonly process: ChildProcess;
  readonly address: string;
  /** Resolves with the exit code or signal when the process ends. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  /** The HTTP port from the "broker listening" line, when HTTP is on. */
  readonly httpPortHint: Promise<number | undefined>;
  /** Its JSON log lines from the first one on (startup, recovery), growing as it runs. */
  readonly logs: LogEntry[];
}

/**
 * Runs `tributary serve` as a child process on port 0 and resolves once its
 * "broker listening" log line gives the bound address: the same command a
 * user runs (the executable itself, so node gets the flags of its first line),
 * so it can be killed with SIGKILL like a real crash. `node: false` runs it
 * as `node services/tributary.mjs` instead, without those flags. `prefix` is a
 * command that execs the broker in the same process (`prlimit --nofile=256:256`).
 */
export async function startChildBroker(
  dataDir: string,
  extraArgs: string[] = [],
  options: { node?: boolean; prefix?: string[] } = {},
): Promise<ChildBroker> {
  const args = ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--http", "off", ...extraArgs];
  const command = options.node === false ? [process.execPath, tributaryBin, ...args] : [tributaryBin, ...args];
  const [file, ...rest] = [...(options.prefix ?? []), ...command];
  const child = spawn(file, rest, { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ?? code)),
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  let httpPort: number | undefined;
  const logs: LogEntry[] = [];
  const address = await new Promise<string>((resolve, reject) => {
    lines.on("line", (line) => {
      try {
        const entry = JSON.parse(line) as LogEntry & { address?: string; httpPort?: number };
        logs.push(entry);
        if (entry.msg === "broker listening" && entry.address) {
          httpPort = entry.httpPort;
          resolve(entry.address);
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((how) => reject(new Error(`broker exited (${String(how)}) before listening: ${stderr}`)));
  });
  return { process: child, address, exited, httpPortHint: Promise.resolve(httpPort), logs };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the `tributary` command as a process, feeding `input` on stdin; killed after 30 s. */
/**
 * Runs the CLI as a process. `compiled`: from dist/ (services/main.js) rather than through
 * tsx, a second or more cheaper per run on two busy cores; the cluster project builds
 * dist/ first (test/cluster/global-setup.ts).
 */
export function runCli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; compiled?: boolean } = {}): Promise<CliResult> {
  const entry = options.compiled ? compiledMain : tributaryBin;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { stdio: ["pipe", "pipe", "pipe"], env: options.env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(options.input ?? "");
  });
}
