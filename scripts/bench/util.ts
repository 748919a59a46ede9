// Shared pieces of the benchmark harness: child processes (started and stopped
// by PID only), temp dirs, progress bars on stderr, statistics, the raw-bytes
// gRPC client and wire-level helpers.
import { fork, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { credentials, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { create, toBinary } from "@bufbuild/protobuf";
import { defaultChannelOptions } from "../../clients/ts/index.js";
import { ProduceRequestSchema } from "../../gen/ts/tributary/v1/produce_pb.js";
import { SubscribeRequestSchema, FetchRequestSchema } from "../../gen/ts/tributary/v1/fetch_pb.js";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------- processes and temp dirs ----------

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tributary-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

export interface Proc {
  readonly pid: number;
  readonly address: string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

function track(child: ChildProcess): Proc["exited"] {
  children.add(child);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
}
function stopper(child: ChildProcess, exited: Promise<number | null>) {
  return async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
}

/** The node flags the `tributary` command runs with (the first line of services/tributary.mjs).
 * The harness gives them to the broker and to the ceiling alike: the same runtime. */
export const brokerNodeFlags: string[] = readFileSync(join(root, "services/tributary.mjs"), "utf8")
  .split("\n", 1)[0]!
  .replace(/^#!\/usr\/bin\/env -S node\b/, "")
  .split(/\s+/)
  .filter(Boolean);

/** Starts a node process that logs {"msg":"broker listening","address"} on stdout. */
export async function startNode(args: string[], timeoutMs = 60_000): Promise<Proc> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], cwd: root });
  const exited = track(child);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const lines = createInterface({ input: child.stdout! });
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "broker listening" within ${timeoutMs} ms`)), timeoutMs);
    lines.on("line", (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg === "broker listening" && entry.address) {
          clearTimeout(timer);
          resolve(entry.address);
        }
      } catch {
        /* not JSON */
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(" ")} exited ${code}: ${stderr}`));
    });
  });
  return { pid: child.pid!, address, exited, stop: stopper(child, exited) };
}

/** Forks one of the harness's TypeScript files (run by tsx) with an IPC channel; its
 * stdout and stderr are the bench's. Killed with the other children if the bench exits. */
export function forkHarness(file: string, args: string[]): { child: ChildProcess; exited: Proc["exited"] } {
  const child = fork(join(root, "scripts/bench", file), args, { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"], cwd: root });
  return { child, exited: track(child) };
}

/** The machine's CPU time so far, idle and total (/proc/stat, all CPUs). */
function cpuTimes(): [idle: number, total: number] {
  const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  return [fields[3]! + (fields[4] ?? 0), fields.reduce((a, b) => a + b, 0)];
}

/** Waits until the machine's CPUs were at least `idle` idle over `windowMs`, for at most
 * `maxMs`; returns how long it waited. The latency phase calls it between rounds. */
export async function quietMachine(idle = 0.95, windowMs = 250, maxMs = 10_000): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < maxMs) {
    const [idle0, total0] = cpuTimes();
    await sleep(windowMs);
    const [idle1, total1] = cpuTimes();
    if (total1 > total0 && (idle1 - idle0) / (total1 - total0) >= idle) break;
  }
  return performance.now() - start;
}

/** Starts a non-node server (nats-server, redis-server) and waits until its TCP port accepts. */
export async function startBinary(bin: string, args: string[], port: number): Promise<Proc> {
  const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
  const exited = track(child);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let dead = false;
  void exited.then(() => (dead = true));
  for (let i = 0; ; i++) {
    if (dead) throw new Error(`${bin} exited: ${stderr}`);
    if (await portOpen(port)) break;
    if (i > 200) throw new Error(`${bin} did not open port ${port}`);
    await sleep(50);
  }
  return { pid: child.pid!, address: `127.0.0.1:${port}`, exited, stop: stopper(child, exited) };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

/** Kills what this process started (by PID) and removes its temp dirs. */
export async function cleanupAll(): Promise<void> {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  tempDirs.clear();
}
process.once("exit", () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

/** Resident memory of a process in bytes (VmRSS), or 0 when gone. */
export async function rssBytes(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function sampleRss(pid: number, everyMs = 100): { stop(): number } {
  let peak = 0;
  let stopped = false;
  const tick = async () => {
    while (!stopped) {
      peak = Math.max(peak, await rssBytes(pid));
      await sleep(everyMs);
    }
  };
  void tick();
  return {
    stop() {
      stopped = true;
      return peak;
    },
  };
}

// ---------- progress ----------

let deadline = Infinity;
export function setDeadline(at: number) {
  deadline = at;
}
export const overTime = () => Date.now() > deadline;

export class Progress {
  private done = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  constructor(
    private readonly phase: string,
    private readonly total: number,
  ) {
    this.draw("");
  }
  step(label: string) {
    this.done++;
    this.draw(label);
  }
  note(label: string) {
    this.draw(label);
  }
  end() {
    this.done = this.total;
    this.draw("done", true);
  }
  private draw(label: string, final = false) {
    const width = 24;
    const filled = Math.round((width * Math.min(this.done, this.total)) / Math.max(this.total, 1));
    const secs = ((Date.now() - this.started) / 1000).toFixed(0);
    const line = `${this.phase.padEnd(11)} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(this.done).padStart(3)}/${this.total} ${secs.padStart(4)}s ${label}`;
    if (process.stderr.isTTY) {
      process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns ?? 120) - 1)}${final ? "\n" : ""}`);
    } else if (final || Date.now() - this.lastDraw > 5000) {
      this.lastDraw = Date.now();
      process.stderr.write(`${line}\n`);
    }
  }
}

// ---------- statistics ----------

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

// ---------- raw gRPC client and wire helpers ----------

const raw = (b: unknown) => b as Buffer;
export interface RawClient {
  produce(req: Buffer, cb: (err: ServiceError | null, res?: Buffer) => void): void;
  fetch(req: Buffer, options: { deadline: number }, cb: (err: ServiceError | null, res?: Buffer) => void): void;
  subscribe(req: Buffer): NodeJS.EventEmitter & { cancel(): void };
  produceStream(): NodeJS.EventEmitter & { write(req: Buffer): boolean; end(): void; cancel(): void };
  close(): void;
}
export function rawClient(address: string): RawClient {
  const Client = makeGenericClientConstructor(
    {
      produce: { path: "/tributary.v1.ProduceService/Produce", requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
      fetch: { path: "/tributary.v1.FetchService/Fetch", requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
      subscribe: { path: "/tributary.v1.FetchService/Subscribe", requestStream: false, responseStream: true, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
      produceStream: { path: "/tributary.v1.ProduceService/ProduceStream", requestStream: true, responseStream: true, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
    },
    "Bench",
  );
  // A fresh channel per client (no subchannel sharing between lanes of different tests).
  return new Client(address, credentials.createInsecure(), { ...defaultChannelOptions, "grpc.use_local_subchannel_pool": 1 }) as unknown as RawClient;
}

export function produceCall(client: RawClient, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => client.produce(request, (err, res) => (err ? reject(err) : resolve(res!))));
}

export function produceRequest(topic: string, batch: number, valueBytes: number, partition?: number): Buffer {
  const value = new Uint8Array(valueBytes).fill(97);
  return Buffer.from(
    toBinary(ProduceRequestSchema, create(ProduceRequestSchema, { topic, partition, records: Array.from({ length: batch }, () => ({ value })) })),
  );
}
export function produceRequestOf(topic: string, values: Uint8Array[], partition?: number): Buffer {
  return Buffer.from(toBinary(ProduceRequestSchema, create(ProduceRequestSchema, { topic, partition, records: values.map((value) => ({ value })) })));
}
export function subscribeRequest(topic: string, partitions: number[] | undefined, start: "earliest" | "latest" | bigint): Buffer {
  return Buffer.from(
    toBinary(
      SubscribeRequestSchema,
      create(SubscribeRequestSchema, {
        topic,
        partitions: partitions ?? [],
        startPosition: start === "earliest" ? { case: "earliest", value: true } : start === "latest" ? { case: "latest", value: true } : { case: "offset", value: start },
      }),
    ),
  );
}
export function fetchRequest(topic: string, partition: number, offset: bigint, maxBytes = 0): Buffer {
  return Buffer.from(toBinary(FetchRequestSchema, create(FetchRequestSchema, { topic, partition, offset, maxBytes })));
}

/** Counts records and their value bytes in a SubscribeResponse at the wire level (PartitionRecords.records = 1). */
export function countRecords(message: Buffer): number {
  let pos = 0;
  const varint = () => {
    let result = 0;
    for (let mul = 1; ; mul *= 128) {
      const b = message[pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
    }
  };
  const tag = varint();
  if (tag !== 0x0a) return 0;
  const end = varint() + pos;
  let count = 0;
  while (pos < end) {
    const t = varint();
    const wire = t & 7;
    if (wire === 2) {
      const len = varint();
      pos += len;
      if (t >>> 3 === 1) count++;
    } else if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else break;
  }
  return count;
}

/** Drains `total` records from a Subscribe stream; resolves with elapsed seconds. */
export function drain(client: RawClient, request: Buffer, total: number, onRecords?: (n: number) => void): Promise<number> {
  const start = performance.now();
  return new Promise<number>((resolve, reject) => {
    let seen = 0;
    const call = client.subscribe(request);
    let done = false;
    call.on("data", (m: Buffer) => {
      if (done) return;
      const n = countRecords(m);
      seen += n;
      onRecords?.(n);
      if (seen >= total) {
        done = true;
        call.cancel();
        resolve((performance.now() - start) / 1000);
      }
    });
    call.on("error", (err: ServiceError) => (err.code === 1 || done ? undefined : reject(err)));
    call.on("end", () => (done ? undefined : reject(new Error(`stream ended after ${seen} of ${total} records`))));
  });
}

/** Runs `lanes` loops of `once()` until `seconds` pass; returns units per second. */
export async function closedLoop(seconds: number, lanes: number, once: (lane: number, n: number) => Promise<number>): Promise<number> {
  let units = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let n = 0; performance.now() < end; n++) {
        const done = await once(lane, n); // not `units += await …`: that reads `units` before the await
        units += done;
      }
    }),
  );
  return units / ((performance.now() - start) / 1000);
}
