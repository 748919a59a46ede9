/**
 * The chaos script's --netns mode (CLUSTER.md section 6: "network namespaces for chaos
 * runs"; root): real network isolation instead of the user-space fault proxies. Each
 * broker runs in its own network namespace, joined by a veth pair to a bridge in the
 * root namespace, which holds the client, etcd (reached through a forwarder on the
 * bridge's address) and nothing else. A cut is an `nft` drop rule inside the broker's
 * namespace: packets vanish as on a broken link, TCP retransmits, nothing is reset.
 *
 * - cut from brokers: drop everything on the bridge's subnet except the broker's etcd
 *   traffic (other brokers and clients alike, as the proxy's "drop" does);
 * - cut from etcd: drop the broker's etcd traffic only.
 *
 * Names carry a unique prefix (`tc` + pid), and `cleanup` (also run on exit, Ctrl-C and
 * errors by the chaos script, and synchronously on process exit here) deletes the
 * namespaces (which takes their veth ends, and so the pairs, with them) and the bridge.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { startEtcd } from "../services/cluster/index.js";
import { startBrokerProcess } from "../test/helpers/broker-process.js";
import type { ClusterBroker, TestCluster } from "../test/helpers/cluster.js";
import type { FaultNetwork } from "./cluster-load.js";

const run = promisify(execFile);
const brokerPort = 7070;

export interface NetnsCluster {
  readonly cluster: TestCluster;
  readonly network: FaultNetwork;
  /** Stops everything and removes the namespaces and the bridge; safe to call twice. */
  cleanup(): Promise<void>;
}

export async function startNetnsCluster(options: {
  brokers: number;
  config: Readonly<Record<string, string | number | boolean>>;
  log: (line: string) => void;
}): Promise<NetnsCluster> {
  if (process.getuid?.() !== 0) throw new Error("--netns needs root (ip netns, nft)");
  for (const tool of ["ip", "nft"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      throw new Error(`--netns needs \`${tool}\` (Debian: apt-get install -y ${tool === "nft" ? "nftables" : "iproute2"})`);
    }
  }
  const prefix = `tc${process.pid}`;
  // A /24 per run, picked from the pid, in 10.199.0.0/16.
  const subnet = `10.199.${(process.pid % 250) + 1}`;
  const bridge = `${prefix}br`;
  const bridgeIp = `${subnet}.1`;
  const ns = (id: number) => `${prefix}-b${id}`;
  const brokerIp = (id: number) => `${subnet}.${10 + id}`;
  const created: { namespaces: string[]; bridge: boolean } = { namespaces: [], bridge: false };

  const removeNetwork = () => {
    for (const name of created.namespaces.splice(0)) {
      try {
        execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
    if (created.bridge) {
      created.bridge = false;
      try {
        execFileSync("ip", ["link", "del", bridge], { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
  };
  // Whatever happens to this process, its namespaces do not outlive it.
  process.once("exit", removeNetwork);

  const dir = await mkdtemp("/dev/shm/tributary-chaos-netns-");
  let forwarder: Server | undefined;
  const sockets = new Set<Socket>();
  const brokers: ClusterBroker[] = [];
  let etcd: Awaited<ReturnType<typeof startEtcd>> | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await Promise.all(brokers.map((b) => b.process.stop(5_000).catch(() => undefined)));
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (forwarder ? forwarder.close(() => resolve()) : resolve()));
    await etcd?.stop();
    removeNetwork();
    process.off("exit", removeNetwork);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await run("ip", ["link", "add", bridge, "type", "bridge"]);
    created.bridge = true;
    await run("ip", ["addr", "add", `${bridgeIp}/24`, "dev", bridge]);
    await run("ip", ["link", "set", bridge, "up"]);
    for (let id = 1; id <= options.brokers; id++) {
      const name = ns(id);
      await run("ip", ["netns", "add", name]);
      created.namespaces.push(name);
      const outside = `${prefix}v${id}`;
      const inside = `${prefix}p${id}`;
      await run("ip", ["link", "add", outside, "type", "veth", "peer", "name", inside, "netns", name]);
      await run("ip", ["link", "set", outside, "master", bridge, "up"]);
      await run("ip", ["netns", "exec", name, "ip", "link", "set", "lo", "up"]);
      await run("ip", ["netns", "exec", name, "ip", "addr", "add", `${brokerIp(id)}/24`, "dev", inside]);
      await run("ip", ["netns", "exec", name, "ip", "link", "set", inside, "up"]);
      // Two chains that accept by default; a cut adds drop rules, a heal flushes them.
      await nft(name, [
        "add table inet chaos",
        "add chain inet chaos in { type filter hook input priority 0 ; policy accept ; }",
        "add chain inet chaos out { type filter hook output priority 0 ; policy accept ; }",
      ]);
    }
    options.log(`netns: bridge ${bridge} ${bridgeIp}/24; namespaces ${created.namespaces.join(", ")}`);

    etcd = await startEtcd({ dataDir: join(dir, "etcd") });
    // etcd listens on loopback; the brokers reach it through this forwarder on the bridge.
    const etcdTarget = new URL(etcd.endpoints[0]);
    forwarder = createServer((client) => {
      const upstream = connect(Number(etcdTarget.port), etcdTarget.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => sockets.delete(s));
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      forwarder!.once("error", reject);
      forwarder!.listen(0, bridgeIp, () => resolve());
    });
    const etcdPort = (forwarder.address() as { port: number }).port;

    for (let id = 1; id <= options.brokers; id++) {
      const address = `${brokerIp(id)}:${brokerPort}`;
      const process = await startBrokerProcess({
        dataDir: join(dir, `broker-${id}`),
        listen: address,
        wrapper: ["ip", "netns", "exec", ns(id)],
        config: {
          etcdEndpoints: `http://${bridgeIp}:${etcdPort}`,
          clusterName: "chaos",
          brokerId: id,
          defaultReplicationFactor: 3,
          offsetsTopicReplicationFactor: 1,
          advertise: address,
          ...options.config,
        },
      });
      const joined = () => process.waitForLog((e) => e.msg === "joined the cluster", 30_000);
      await joined();
      brokers.push({
        id,
        process,
        address,
        proxy: undefined,
        etcdProxy: undefined,
        async restart() {
          await process.restart();
          await joined();
        },
        async start() {
          await process.restart();
          await joined();
        },
      });
    }

    const cluster: TestCluster = {
      dir,
      etcd,
      brokers,
      bootstrap: brokers.map((b) => b.address),
      broker(id) {
        const found = brokers.find((b) => b.id === id);
        if (found === undefined) throw new Error(`no broker ${id}`);
        return found;
      },
      stop: cleanup,
    };
    const etcdFlows = (chain: "in" | "out") =>
      chain === "out" ? `ip daddr ${bridgeIp} tcp dport ${etcdPort}` : `ip saddr ${bridgeIp} tcp sport ${etcdPort}`;
    const network: FaultNetwork = {
      async cutFromBrokers(id) {
        // Everything on the subnet but its etcd traffic: other brokers and clients.
        await nft(ns(id), [
          `add rule inet chaos in ${etcdFlows("in")} accept`,
          `add rule inet chaos in ip saddr ${subnet}.0/24 drop`,
          `add rule inet chaos out ${etcdFlows("out")} accept`,
          `add rule inet chaos out ip daddr ${subnet}.0/24 drop`,
        ]);
      },
      async cutFromEtcd(id) {
        await nft(ns(id), [`add rule inet chaos in ${etcdFlows("in")} drop`, `add rule inet chaos out ${etcdFlows("out")} drop`]);
      },
      async heal(id) {
        await nft(ns(id), ["flush chain inet chaos in", "flush chain inet chaos out"]);
      },
    };
    return { cluster, network, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Runs nft commands in a namespace, as one transaction. */
async function nft(namespace: string, commands: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile("ip", ["netns", "exec", namespace, "nft", "-f", "-"], (err) => (err ? reject(err) : resolve()));
    child.stdin!.end(`${commands.join("\n")}\n`);
  });
}
