import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer, type AddressInfo, type Server } from "node:net";
import { join } from "node:path";
import type { Logger } from "pino";

/** One etcd member started by startEtcd. */
export interface EtcdMember {
  readonly name: string;
  /** `http://127.0.0.1:<port>`: give it to EtcdClient. */
  readonly clientUrl: string;
  /** The running process's id; undefined while it is not running. */
  readonly pid: number | undefined;
  /** Sends a signal (default SIGKILL) to this member's process, if it runs. SIGSTOP
   * freezes it (connections stay open, nothing answers); SIGCONT resumes it. */
  kill(signal?: NodeJS.Signals): void;
  /** Starts the member again on the same ports and data dir (killing it first if it
   * still runs or is stopped) and resolves when it reports healthy. */
  restart(): Promise<void>;
  /** Ends the member's process and waits for its exit. */
  stop(): Promise<void>;
}

/** The etcd members startEtcd started. */
export interface EtcdProcesses {
  /** Every member's client URL, for EtcdClient's `endpoints`. */
  readonly endpoints: string[];
  readonly members: EtcdMember[];
  /** Ends every member's process (by pid, only those started here) and waits for them. */
  stop(): Promise<void>;
}

export interface StartEtcdOptions {
  /** Each member's data lives in `<dataDir>/<member name>`; the caller owns and removes
   * `dataDir` (tests use a directory under /dev/shm: etcd fsyncs every write). */
  dataDir: string;
  /** 1 (default) or 3 members. */
  members?: 1 | 3;
  /** etcd's own error-level output is logged here (at warn). */
  logger?: Logger;
  /** Default /usr/bin/etcd (Debian's etcd-server, installed by scripts/setup.mjs). */
  binary?: string;
}

const defaultBinary = "/usr/bin/etcd";
/**
 * Compact history older than an hour. 3.4 has no compaction by default and keeps every
 * revision until its 2 GiB quota fills and it refuses writes (NOSPACE). An hour is far
 * longer than any watch gap a broker can have (a watch that falls behind is told
 * "compacted" and re-reads).
 */
const autoCompactionRetention = "1h";
/** 1 GiB: cluster metadata is kilobytes per topic; a full backend is an alarm, not a slow death. */
const quotaBackendBytes = 1 << 30;
/** How long a member may take to report healthy (it takes ~0.3 s; 3 members elect in ~1 s). */
const healthyTimeoutMs = 15_000;
/** How often startEtcd tries fresh ports when a port found free was taken meanwhile. */
const portAttempts = 3;

/**
 * Starts etcd (Debian's 3.4) as child processes on loopback ports found free: 1 member,
 * or 3 forming one cluster. Used by the tests and by `tributary dev cluster`. Resolves
 * when every member answers GET /health with true. Rejects if the binary is missing
 * (tests must fail then, never skip).
 */
export async function startEtcd(options: StartEtcdOptions): Promise<EtcdProcesses> {
  const binary = options.binary ?? defaultBinary;
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new Error(`etcd not found at ${binary}: install Debian's etcd-server (node scripts/setup.mjs)`);
  }
  const count = options.members ?? 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < portAttempts; attempt++) {
    const ports = await freePorts(count * 2);
    const members = Array.from({ length: count }, (_, i) => {
      const name = `etcd${i + 1}`;
      return new Member(binary, name, join(options.dataDir, name), ports[2 * i]!, ports[2 * i + 1]!, options.logger);
    });
    const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(",");
    try {
      await Promise.all(members.map((m) => m.start(initialCluster)));
      return {
        endpoints: members.map((m) => m.clientUrl),
        members,
        stop: async () => {
          await Promise.all(members.map((m) => m.stop()));
        },
      };
    } catch (err) {
      lastError = err;
      await Promise.all(members.map((m) => m.stop()));
      // Only a port taken between probing and binding is worth another try.
      if (!/address already in use/.test(String((err as Error).message))) throw err;
    }
  }
  throw lastError;
}

class Member implements EtcdMember {
  readonly clientUrl: string;
  readonly peerUrl: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private args: string[] = [];
  private stderrTail = "";

  constructor(
    private readonly binary: string,
    readonly name: string,
    private readonly dataDir: string,
    clientPort: number,
    peerPort: number,
    private readonly logger: Logger | undefined,
  ) {
    this.clientUrl = `http://127.0.0.1:${clientPort}`;
    this.peerUrl = `http://127.0.0.1:${peerPort}`;
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  async start(initialCluster: string): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    this.args = [
      `--name=${this.name}`,
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.clientUrl}`,
      `--advertise-client-urls=${this.clientUrl}`,
      `--listen-peer-urls=${this.peerUrl}`,
      `--initial-advertise-peer-urls=${this.peerUrl}`,
      `--initial-cluster=${initialCluster}`,
      "--initial-cluster-state=new",
      "--initial-cluster-token=tributary",
      "--auto-compaction-mode=periodic",
      `--auto-compaction-retention=${autoCompactionRetention}`,
      `--quota-backend-bytes=${quotaBackendBytes}`,
      "--logger=zap",
      "--log-outputs=stderr",
      "--log-level=error",
    ];
    await this.spawnAndWait();
  }

  private async spawnAndWait(): Promise<void> {
    this.stderrTail = "";
    const child = spawn(this.binary, this.args, { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
      this.logger?.warn({ member: this.name, output: chunk.trim() }, "etcd says");
    });
    child.once("error", (err) => this.logger?.error({ err, member: this.name }, "etcd did not start"));
    await this.waitHealthy(child);
    this.logger?.debug({ member: this.name, pid: child.pid, clientUrl: this.clientUrl }, "etcd member up");
  }

  /** Polls GET /health until `"health":"true"`; fails fast if the process exits. */
  private async waitHealthy(child: ChildProcess): Promise<void> {
    const deadline = performance.now() + healthyTimeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (performance.now() < deadline) {
      if (exited || child.exitCode !== null) {
        throw new Error(`etcd member ${this.name} exited (${child.exitCode ?? child.signalCode}): ${this.stderrTail.trim()}`);
      }
      try {
        const response = await fetch(`${this.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
        const body = (await response.json()) as { health?: string };
        if (body.health === "true") return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`etcd member ${this.name} not healthy within ${healthyTimeoutMs} ms: ${this.stderrTail.trim()}`);
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    const pid = this.pid;
    if (pid !== undefined) process.kill(pid, signal);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.spawnAndWait();
  }

  async stop(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    // SIGKILL also ends a SIGSTOPped member; etcd's data survives (its WAL is fsynced).
    process.kill(pid, "SIGKILL");
    await this.exited;
  }
}

/** Ports the kernel hands out for port 0, released again for etcd to bind. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
