import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startEtcd, type EtcdProcesses } from "../cluster/index.js";
import { TributaryError } from "../errors.js";

const usage = "usage: tributary dev cluster [--brokers N] [--dir DIR]";
/** How long a broker may take to print its address. */
const brokerStartTimeoutMs = 30_000;
/** How long a broker may take to stop on SIGTERM before it is killed. */
const brokerStopTimeoutMs = 10_000;

interface RunningBroker {
  readonly id: number;
  readonly child: ChildProcess;
  readonly address: string;
  readonly httpPort: number | undefined;
  readonly logPath: string;
}

/**
 * `tributary dev cluster`: a local cluster to try things on — Debian's etcd (one
 * member, auto-compaction on) and N brokers on loopback, each with its own data
 * directory under DIR (a temporary one, removed on exit, unless --dir is given).
 * Prints the addresses and a grpcurl line; Ctrl-C stops everything.
 */
export async function devCommand(args: string[]): Promise<void> {
  if (args[0] !== "cluster") throw new TributaryError("invalid", "USAGE", usage);
  const { values } = parseArgs({
    args: args.slice(1),
    options: { brokers: { type: "string" }, dir: { type: "string" } },
    strict: true,
    allowPositionals: false,
  });
  const count = values.brokers === undefined ? 3 : Number(values.brokers);
  if (!Number.isInteger(count) || count < 1 || count > 9) throw new TributaryError("invalid", "USAGE", `--brokers must be from 1 to 9; ${usage}`);
  const temporary = values.dir === undefined;
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), "tributary-dev-")));
  await mkdir(dir, { recursive: true });

  const etcd = await startEtcd({ dataDir: join(dir, "etcd") });
  const brokers: RunningBroker[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      console.log("\nstopping the brokers and etcd…");
      await Promise.all(brokers.map((b) => stopChild(b.child)));
      await etcd.stop();
      if (temporary) await rm(dir, { recursive: true, force: true });
    })());
  process.on("SIGINT", () => void stop().then(() => process.exit(0)));
  process.on("SIGTERM", () => void stop().then(() => process.exit(0)));
  try {
    // The first broker alone first: it becomes the controller, the others join it.
    for (let id = 1; id <= count; id++) brokers.push(await startBrokerChild(id, count, dir, etcd));
  } catch (err) {
    await stop();
    throw err;
  }
  const first = brokers[0];
  console.log(`etcd:     ${etcd.endpoints.join(",")}   (data in ${join(dir, "etcd")})`);
  for (const b of brokers) {
    const console_ = b.httpPort === undefined ? "" : `   console http://127.0.0.1:${b.httpPort}/`;
    console.log(`broker ${b.id}: ${b.address}${console_}   (log ${b.logPath})`);
  }
  console.log(`
try:
  grpcurl -plaintext -d '{"name":"orders","partitions":6,"replicationFactor":${Math.min(3, count)}}' ${first.address} tributary.v1.AdminService/CreateTopic
  grpcurl -plaintext ${first.address} tributary.v1.AdminService/DescribeCluster
  tributary topics describe orders --broker ${first.address}

Ctrl-C stops the cluster${temporary ? " and removes its data" : ` (data stays in ${dir})`}.`);
  await new Promise<void>(() => undefined);
}

async function startBrokerChild(id: number, count: number, dir: string, etcd: EtcdProcesses): Promise<RunningBroker> {
  const dataDir = join(dir, `broker-${id}`);
  const logPath = join(dir, `broker-${id}.log`);
  const replication = String(Math.min(3, count));
  // process.argv[1] is this command's entry (services/tributary.mjs): the brokers run
  // the same build with the same runtime flags.
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      process.argv[1],
      "serve",
      "--etcd-endpoints", etcd.endpoints.join(","),
      "--cluster-name", "dev",
      "--broker-id", String(id),
      "--listen", "127.0.0.1:0",
      "--http", "127.0.0.1:0",
      "--data-dir", dataDir,
      "--default-replication-factor", replication,
      "--offsets-topic-replication-factor", replication,
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: withoutTributaryVariables(process.env) },
  );
  const logFile = createWriteStream(logPath, { flags: "a" });
  child.stderr!.pipe(logFile);
  return await new Promise<RunningBroker>((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => fail(new Error(`broker ${id} did not start within ${brokerStartTimeoutMs} ms; see ${logPath}`)), brokerStartTimeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(err);
    };
    child.once("exit", (code) => fail(new Error(`broker ${id} exited with ${code}; see ${logPath}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      logFile.write(chunk);
      buffered += chunk.toString("utf8");
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const entry = parseLine(line);
        if (entry?.msg === "joined the cluster") {
          clearTimeout(timer);
          child.removeAllListeners("exit");
          resolve({ id, child, address: String(entry.address), httpPort: httpPorts.get(child), logPath });
        } else if (entry?.msg === "broker listening" && typeof entry.httpPort === "number") {
          httpPorts.set(child, entry.httpPort);
        }
      }
    });
  });
}

const httpPorts = new WeakMap<ChildProcess, number>();

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The dev brokers take their settings from flags only, not from this shell's TRIBUTARY_*. */
function withoutTributaryVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith("TRIBUTARY_")));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), brokerStopTimeoutMs);
  await exited;
  clearTimeout(timer);
}
