import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { startEtcd, type EtcdProcesses } from "../../services/cluster/index.js";
import { startBrokerProcess, type BrokerProcess, type RestartOptions } from "./broker-process.js";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";

/**
 * A cluster for tests (CLUSTER.md section 6): Debian's etcd (1 or 3 members) and N
 * brokers as child processes from compiled JavaScript, each with its own data dir.
 * With `proxies`, every broker is reached through a fault-injecting TCP proxy (its
 * advertised address is the proxy's, so other brokers and clients go through it), and
 * its etcd traffic goes through another: a test can cut a broker off from the other
 * brokers, or from etcd only.
 */
export interface TestCluster {
  readonly dir: string;
  readonly etcd: EtcdProcesses;
  readonly brokers: ClusterBroker[];
  /** Every broker's advertised address (the bootstrap list). */
  readonly bootstrap: string[];
  broker(id: number): ClusterBroker;
  stop(): Promise<void>;
}

export interface ClusterBroker {
  readonly id: number;
  readonly process: BrokerProcess;
  /** What others dial: the proxy's address with `proxies`, else the broker's own. */
  readonly address: string;
  /** In front of the broker's gRPC port (with `proxies`). */
  readonly proxy: FaultProxy | undefined;
  /** In front of its etcd endpoint (with `proxies`). */
  readonly etcdProxy: FaultProxy | undefined;
  /** Restarts on the same data dir and waits until it has joined the cluster (`main`: from another build). */
  restart(options?: RestartOptions): Promise<void>;
  /** Starts again after a kill (-9) or a stop and waits until it has joined. */
  start(options?: RestartOptions): Promise<void>;
}

export interface StartClusterOptions {
  readonly brokers?: number;
  readonly etcdMembers?: 1 | 3;
  /** Config keys for every broker. */
  readonly config?: Readonly<Record<string, string | number | boolean>>;
  /** Config keys for one broker, over `config` (a broker with other credentials). */
  readonly brokerConfig?: (id: number) => Readonly<Record<string, string | number | boolean>>;
  readonly proxies?: boolean;
  /** The compiled main.js a broker starts from (another build, test/helpers/variant-build.ts); undefined: dist/'s. */
  readonly brokerMain?: (id: number) => string | undefined;
  /** Each broker serves HTTP (/metrics) on a free port: `broker.process.httpPort`. */
  readonly http?: boolean;
}

/** Session timeout of test brokers: the product's default. etcd's smallest lease (2 s)
 * made failovers shorter, but on two loaded cores a keep-alive can wait that long and
 * fence a healthy broker, disturbing a test's premise. */
export const testSessionTimeoutMs = 3000;

export async function startCluster(options: StartClusterOptions = {}): Promise<TestCluster> {
  const count = options.brokers ?? 3;
  // /dev/shm keeps etcd's fsyncs cheap: two cores are shared by etcd and every broker.
  const dir = await mkdtemp(join(existsShm() ? "/dev/shm" : tmpdir(), "tributary-cluster-"));
  const etcd = await startEtcd({ dataDir: join(dir, "etcd"), members: options.etcdMembers ?? 1 });
  const brokers: ClusterBroker[] = [];
  const stop = async () => {
    await Promise.all(brokers.map((b) => b.process.stop(5_000).catch(() => undefined)));
    await Promise.all(brokers.flatMap((b) => [b.proxy?.close(), b.etcdProxy?.close()]));
    await etcd.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let id = 1; id <= count; id++) brokers.push(await startClusterBroker(id, dir, etcd, options));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    dir,
    etcd,
    brokers,
    get bootstrap() {
      return brokers.map((b) => b.address);
    },
    broker(id) {
      const found = brokers.find((b) => b.id === id);
      if (found === undefined) throw new Error(`no broker ${id}`);
      return found;
    },
    stop,
  };
}

function existsShm(): boolean {
  try {
    return statSync("/dev/shm").isDirectory();
  } catch {
    return false;
  }
}

async function startClusterBroker(id: number, dir: string, etcd: EtcdProcesses, options: StartClusterOptions): Promise<ClusterBroker> {
  const proxy = options.proxies ? await startFaultProxy({ target: "127.0.0.1:1" }) : undefined;
  const etcdProxy = options.proxies ? await startFaultProxy({ target: etcd.endpoints[0].replace(/^https?:\/\//, "") }) : undefined;
  const endpoints = etcdProxy !== undefined ? [`http://${etcdProxy.address}`] : etcd.endpoints;
  // With a proxy, the broker listens on a fixed port chosen now so that the proxy's
  // target stays right across restarts.
  const listen = proxy !== undefined ? `127.0.0.1:${await freePort()}` : undefined;
  if (proxy !== undefined && listen !== undefined) proxy.setTarget(listen);
  const process = await startBrokerProcess({
    dataDir: join(dir, `broker-${id}`),
    listen,
    main: options.brokerMain?.(id),
    http: options.http ? "127.0.0.1:0" : undefined,
    config: {
      etcdEndpoints: endpoints.join(","),
      clusterName: "test",
      brokerId: id,
      brokerSessionTimeoutMs: testSessionTimeoutMs,
      replicaLagTimeMaxMs: 2000,
      defaultReplicationFactor: 3,
      offsetsTopicReplicationFactor: 1,
      ...(proxy !== undefined ? { advertise: proxy.address } : {}),
      ...options.config,
      ...options.brokerConfig?.(id),
    },
  });
  const joined = () => process.waitForLog((e) => e.msg === "joined the cluster", 30_000);
  await joined();
  return {
    id,
    process,
    get address() {
      return proxy?.address ?? process.address;
    },
    proxy,
    etcdProxy,
    async restart(restartOptions) {
      await process.restart(restartOptions);
      await joined();
    },
    async start(restartOptions) {
      await process.restart(restartOptions);
      await joined();
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
