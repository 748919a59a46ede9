import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { createClient, type ServiceClient } from "../../clients/ts/index.js";
import { tributaryBin } from "./child-broker.js";
import type { LogEntry } from "./process-stats.js";
import { tempDir } from "./test-broker.js";

/** `tributary serve` in a child process, with every log line it wrote. */
export interface LoggedBroker {
  readonly process: ChildProcess;
  readonly address: string;
  readonly dataDir: string;
  /** Resolves with the exit code or signal when the process ends. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  /** Its JSON log lines from the first one on (startup, recovery), growing as it runs. */
  readonly logs: LogEntry[];
}

/** One TCP connection per client: grpc-js otherwise shares one subchannel (one
 * connection) between all clients of the same address and options. */
export const ownConnection = { channelOptions: { "grpc.use_local_subchannel_pool": 1 } } as const;

/**
 * Child brokers and clients for the load tests, each undone (in reverse order) by
 * `cleanup()`: clients closed, the broker killed by its pid if it still runs, its
 * data directory removed.
 */
export class LoadHarness {
  private readonly undo: Array<() => Promise<unknown>> = [];

  /** Runs `tributary serve` on a fresh data directory (or `dataDir`) with extra flags. */
  async broker(args: string[], dataDir?: string): Promise<LoggedBroker> {
    let path = dataDir;
    if (path === undefined) {
      const dir = await tempDir();
      this.undo.push(dir.remove);
      path = dir.path;
    }
    // As test/helpers/child-broker.ts (the executable itself, with its node flags), but
    // keeping every log line.
    const child = spawn(tributaryBin, ["serve", "--listen", "127.0.0.1:0", "--data-dir", path, "--http", "off", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
      child.once("exit", (code, signal) => resolve(signal ?? code)),
    );
    this.undo.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const logs: LogEntry[] = [];
    const address = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on("line", (line) => {
        let entry: LogEntry;
        try {
          entry = JSON.parse(line) as LogEntry;
        } catch {
          return; // not a log line
        }
        logs.push(entry);
        if (entry.msg === "broker listening" && typeof entry.address === "string") resolve(entry.address);
      });
      void exited.then((how) => reject(new Error(`broker exited (${String(how)}) before listening: ${stderr}`)));
    });
    return { process: child, address, dataDir: path, exited, logs };
  }

  /** A client on its own TCP connection. */
  client<T extends GenServiceMethods>(service: GenService<T>, address: string): ServiceClient<T> {
    const client = createClient(service, address, ownConnection);
    this.undo.push(async () => client.close());
    return client;
  }

  /** Registers more cleanup. */
  defer(fn: () => Promise<unknown>): void {
    this.undo.push(fn);
  }

  async cleanup(): Promise<void> {
    for (const fn of this.undo.splice(0).reverse()) await fn().catch(() => undefined);
  }
}
