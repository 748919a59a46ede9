import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { brokerNodeFlags } from "../../scripts/bench/util.js";
import { flagName } from "../../services/config.js";
import { compiledMain, staleDistFiles } from "./dist-build.js";

/**
 * A broker as a child process, run from the compiled JavaScript in dist/ (no tsx loader
 * per process: a cluster test starts several, on two cores; CLUSTER.md section 6), so
 * it can be killed with SIGKILL, paused with SIGSTOP and restarted on its data dir as a
 * real broker would be.
 *
 * dist/ must be fresh: the cluster vitest project's global setup builds it when stale
 * (test/cluster/global-setup.ts), and `npm test` builds it in `npm install`'s `prepare`.
 * Started from another project with a stale dist/, `startBrokerProcess` throws rather
 * than test old code.
 */
export interface BrokerProcessOptions {
  /** The broker's data directory (kept across restarts). */
  readonly dataDir: string;
  /** Config keys as flags: `{ segmentBytes: 1024 }` becomes `--segment-bytes 1024`. */
  readonly config?: Readonly<Record<string, string | number | boolean | bigint>>;
  /** More `serve` arguments, after those from `config`. */
  readonly args?: readonly string[];
  /** The gRPC listen address. Default 127.0.0.1:0: a free port, a new one on each restart. */
  readonly listen?: string;
  /** The HTTP listen address. Default off. */
  readonly http?: string;
  /** Added to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** How long to wait for "broker listening". Default 30000. */
  readonly startTimeoutMs?: number;
  /** Log lines kept for failure messages. Default 200. */
  readonly logLines?: number;
  /** A command the broker runs under, which must exec it in the same process (signals
   * reach the broker): `["ip", "netns", "exec", NAME]` for a network namespace (scripts/chaos-netns.ts). */
  readonly wrapper?: readonly string[];
  /** The compiled main.js to run (another build's, test/helpers/variant-build.ts). Default dist/'s. */
  readonly main?: string;
}

export interface RestartOptions {
  /** The compiled main.js to run from now on (default: the one it ran before). */
  readonly main?: string;
}

export interface BrokerProcess {
  /** These change on each restart. */
  readonly pid: number;
  readonly address: string;
  readonly port: number;
  /** The HTTP port (/metrics), when `http` is on. */
  readonly httpPort: number | undefined;
  /** The last log lines (stdout's JSON lines; stderr's prefixed "stderr: "), of every incarnation. */
  readonly logs: readonly string[];
  /** Whether the current incarnation has exited. */
  readonly exited: boolean;
  kill(signal?: NodeJS.Signals): void;
  /** SIGSTOP: the process stops answering anything, its TCP connections stay open. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Resolves with the exit code, or the signal that ended it. */
  waitForExit(): Promise<number | NodeJS.Signals | null>;
  /** Resolves with the first JSON log entry (from now on, or already logged by this incarnation) that matches. */
  waitForLog(match: (entry: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Stops the current incarnation if running (as `stop`), then starts again with the same arguments and data dir;
   * with `main`, from another build's main.js from now on (a rolling upgrade, test/cluster/rolling-upgrade.test.ts). */
  restart(options?: RestartOptions): Promise<void>;
  /** SIGTERM (after SIGCONT, if paused), then SIGKILL after `timeoutMs` (default 10000); resolves how it ended. */
  stop(timeoutMs?: number): Promise<number | NodeJS.Signals | null>;
}

/** Every broker process this test process started and not yet seen exit: killed if the test process exits. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

let distChecked = false;

/** The node flags of the `tributary` command's first line (services/tributary.mjs), as a user's broker gets. */
const nodeFlags = brokerNodeFlags;

/** Starts `node dist/services/main.js serve ...` and resolves once it logs "broker listening". */
export async function startBrokerProcess(options: BrokerProcessOptions): Promise<BrokerProcess> {
  if (!distChecked) {
    const stale = staleDistFiles();
    if (stale.length > 0) {
      throw new Error(
        `dist/ is stale (${stale.slice(0, 3).join(", ")}): run \`npm run build\`, or run the test in the cluster vitest project, which builds it`,
      );
    }
    distChecked = true;
  }
  const maxLines = options.logLines ?? 200;
  const logs: string[] = [];
  const remember = (line: string) => {
    logs.push(line);
    if (logs.length > maxLines) logs.splice(0, logs.length - maxLines);
  };
  const serveArgs = (main: string) => [
    ...nodeFlags,
    main,
    "serve",
    "--listen",
    options.listen ?? "127.0.0.1:0",
    "--data-dir",
    options.dataDir,
    "--http",
    options.http ?? "off",
    ...Object.entries(options.config ?? {}).flatMap(([key, value]) => [`--${flagName(key)}`, String(value)]),
    ...(options.args ?? []),
  ];
  let args = serveArgs(options.main ?? compiledMain);

  let incarnation = await spawnIncarnation(args, options, remember, () => logs);
  const handle: BrokerProcess = {
    get pid() {
      return incarnation.child.pid!;
    },
    get address() {
      return incarnation.address;
    },
    get port() {
      return incarnation.port;
    },
    get httpPort() {
      return incarnation.httpPort;
    },
    logs,
    get exited() {
      return incarnation.exitedWith !== undefined;
    },
    kill(signal = "SIGKILL") {
      if (incarnation.exitedWith === undefined) incarnation.child.kill(signal);
    },
    pause() {
      handle.kill("SIGSTOP");
    },
    resume() {
      handle.kill("SIGCONT");
    },
    waitForExit() {
      return incarnation.exit;
    },
    waitForLog(match, timeoutMs = 30_000) {
      return incarnation.waitForLog(match, timeoutMs);
    },
    async restart(restartOptions = {}) {
      if (incarnation.exitedWith === undefined) await handle.stop();
      if (restartOptions.main !== undefined) args = serveArgs(restartOptions.main);
      incarnation = await spawnIncarnation(args, options, remember, () => logs);
    },
    async stop(timeoutMs = 10_000) {
      if (incarnation.exitedWith !== undefined) return incarnation.exitedWith;
      const current = incarnation;
      current.child.kill("SIGCONT");
      current.child.kill("SIGTERM");
      const timer = setTimeout(() => current.child.kill("SIGKILL"), timeoutMs);
      try {
        return await current.exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return handle;
}

interface Incarnation {
  readonly child: ChildProcess;
  readonly address: string;
  readonly port: number;
  readonly httpPort: number | undefined;
  readonly exit: Promise<number | NodeJS.Signals | null>;
  /** How it ended; undefined while it runs. */
  readonly exitedWith: number | NodeJS.Signals | null | undefined;
  waitForLog(match: (entry: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
}

async function spawnIncarnation(
  args: string[],
  options: BrokerProcessOptions,
  remember: (line: string) => void,
  logs: () => readonly string[],
): Promise<Incarnation> {
  const [file, ...before] = [...(options.wrapper ?? []), process.execPath];
  const child = spawn(file, [...before, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
  });
  live.add(child);
  const entries: Array<Record<string, unknown>> = [];
  const waiters = new Set<{ match: (entry: Record<string, unknown>) => boolean; resolve: (entry: Record<string, unknown>) => void }>();
  let exitedWith: number | NodeJS.Signals | null | undefined;
  const exit = new Promise<number | NodeJS.Signals | null>((resolve) => {
    child.once("exit", (code, signal) => {
      live.delete(child);
      exitedWith = signal ?? code;
      resolve(exitedWith);
    });
  });
  child.once("error", (err) => remember(`spawn error: ${err.message}`));
  createInterface({ input: child.stderr! }).on("line", (line) => remember(`stderr: ${line}`));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    remember(line);
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not a log line
    }
    entries.push(entry);
    for (const waiter of waiters) {
      if (waiter.match(entry)) {
        waiters.delete(waiter);
        waiter.resolve(entry);
      }
    }
  });

  function waitForLog(match: (entry: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>> {
    const found = entries.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (entry: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(entry);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${logs().slice(-30).join("\n")}`));
      }, timeoutMs);
      waiters.add(waiter);
      void exit.then((how) => {
        if (!waiters.delete(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`broker exited (${String(how)}) before a matching log line; last lines:\n${logs().slice(-30).join("\n")}`));
      });
    });
  }

  let listening: Record<string, unknown>;
  try {
    listening = await waitForLog((e) => e.msg === "broker listening", options.startTimeoutMs ?? 30_000);
  } catch (err) {
    child.kill("SIGKILL");
    await exit;
    throw err;
  }
  const incarnation: Incarnation = {
    child,
    address: String(listening.address),
    port: Number(listening.port),
    httpPort: typeof listening.httpPort === "number" ? listening.httpPort : undefined,
    exit,
    get exitedWith() {
      return exitedWith;
    },
    waitForLog,
  };
  return incarnation;
}
