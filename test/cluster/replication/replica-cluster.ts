/**
 * Test scaffolding for replication: brokers in this process, each a real grpc-js
 * server serving ReplicaService (bound through services/rpc bindService on a loopback
 * port 0) and real Logs in a temp dir, replicating one topic partition.
 *
 * The etcd write is scaffolded: `alterPartitionState` is a small in-memory
 * compare-and-swap on the PartitionEntry (mod revision), and every change is applied to
 * every live broker's ReplicaManager as the metadata watch would. The lead's
 * integration tests use real etcd; here the subject is the replication protocol.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { pino } from "pino";
import { IsrMemberSchema, PartitionStateSchema, type IsrMember } from "../../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import { ReplicaService } from "../../../gen/ts/tributary/cluster/v1/replica_pb.js";
import type { PartitionEntry } from "../../../services/cluster/cluster-state.js";
import { ReplicaManager, type PartitionView, type ReplicationConfig } from "../../../services/cluster/replication/index.js";
import { Log, defaultLogConfig, type LogConfig } from "../../../services/log/index.js";
import { bindService } from "../../../services/rpc/index.js";

export const logger = pino({ level: process.env.TEST_LOG ?? "silent" });
export const topic = "t";
export const topicId = "topic-id-1";
const clock = { nowMs: () => Date.now() };

export interface TestBrokerNode {
  readonly id: number;
  log: Log;
  readonly dir: string;
  manager: ReplicaManager | null;
  server: Server | null;
  address: string | null;
  brokerEpoch: bigint;
  fresh: boolean;
}

export class ReplicaCluster {
  readonly brokers = new Map<number, TestBrokerNode>();
  entry: PartitionEntry;
  private revision = 10n;
  private nextBrokerEpoch = 100n;
  private constructor(
    readonly root: string,
    readonly replicas: number[],
    readonly minInsyncReplicas: number,
    private readonly config: Partial<ReplicationConfig>,
    private readonly logConfig: LogConfig,
  ) {
    this.entry = { topic, partition: 0, state: create(PartitionStateSchema, { topicId, leader: -1, leaderEpoch: 0, isr: [] }), modRevision: this.revision };
  }

  /** Brokers `replicas` with a Log each (nothing applied yet: see `elect`). */
  static async create(options: { replicas: number[]; minInsyncReplicas?: number; config?: Partial<ReplicationConfig>; logConfig?: Partial<LogConfig> }): Promise<ReplicaCluster> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "tributary-repl-"));
    const config: LogConfig = { ...defaultLogConfig, segmentBytes: 2048, indexIntervalBytes: 256, fsyncPolicy: "always", ...options.logConfig };
    const cluster = new ReplicaCluster(root, options.replicas, options.minInsyncReplicas ?? 1, options.config ?? {}, config);
    for (const id of options.replicas) {
      const dir = path.join(root, `broker-${id}`, `${topic}-0`);
      const log = await Log.open({ dir, config, logger, clock, replicated: true });
      cluster.brokers.set(id, { id, log, dir, manager: null, server: null, address: null, brokerEpoch: 0n, fresh: true });
    }
    return cluster;
  }

  broker(id: number): TestBrokerNode {
    const b = this.brokers.get(id);
    if (b === undefined) throw new Error(`no broker ${id}`);
    return b;
  }

  /** Starts (or restarts, with a new broker epoch) broker `id`: a server on port 0 and a ReplicaManager; applies the current state. */
  async start(id: number): Promise<void> {
    const b = this.broker(id);
    b.brokerEpoch = this.nextBrokerEpoch++;
    const manager = new ReplicaManager({
      brokerId: id,
      brokerEpoch: () => b.brokerEpoch,
      isFresh: () => b.fresh,
      log: (t, p) => (t === topic && p === 0 ? b.log : undefined),
      brokerAddress: (other) => this.brokers.get(other)?.address ?? undefined,
      liveBrokerEpoch: (other) => {
        const o = this.brokers.get(other);
        return o?.manager != null ? o.brokerEpoch : undefined;
      },
      isShuttingDown: () => false,
      alterPartitionState: async (view, isr) => this.compareAndSwap(view, isr),
      config: { replicaFetchWaitMaxMs: 100, replicaFetchBackoffMs: 20, ...this.config },
      logger: logger.child({ broker: id }),
      clock,
    });
    const server = new Server();
    const bound = bindService(ReplicaService, manager.service, logger);
    server.addService(bound.definition, bound.implementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    b.server = server;
    b.address = `127.0.0.1:${port}`;
    b.manager = manager;
    if (this.entry.state.leader >= 0) manager.apply(this.view());
  }

  /** Stops broker `id`'s server and manager (as a kill does, for the others); its log stays. */
  async stop(id: number): Promise<void> {
    const b = this.broker(id);
    const manager = b.manager;
    b.manager = null;
    b.server?.forceShutdown();
    b.server = null;
    b.address = null;
    await manager?.close();
  }

  /** Closes and reopens broker `id`'s log (stopped broker only): its high watermark
   * starts again from the checkpoint. */
  async reopenLog(id: number): Promise<void> {
    const b = this.broker(id);
    if (b.manager !== null) throw new Error("stop the broker first");
    await b.log.close();
    b.log = await Log.open({ dir: b.dir, config: this.logConfig, logger, clock, replicated: true });
  }

  view(): PartitionView {
    return { topic, topicId, partition: 0, replicas: this.replicas, entry: this.entry, minInsyncReplicas: this.minInsyncReplicas };
  }

  /** The controller's part: `leader` leads a new epoch with `isr` (default: the ISR kept). */
  elect(leader: number, isr?: number[]): void {
    const members = (isr ?? this.entry.state.isr.map((m) => m.brokerId)).map((id) => create(IsrMemberSchema, { brokerId: id, brokerEpoch: this.broker(id).brokerEpoch }));
    const state = create(PartitionStateSchema, {
      topicId,
      leader,
      leaderEpoch: this.entry.state.leaderEpoch + 1,
      isr: members,
      leaderBrokerEpoch: this.broker(leader).brokerEpoch,
    });
    this.publish(state);
  }

  /** The ISR now, as broker ids. */
  isr(): number[] {
    return this.entry.state.isr.map((m) => m.brokerId).sort();
  }

  private compareAndSwap(view: PartitionView, isr: IsrMember[]): PartitionEntry | undefined {
    if (view.entry.modRevision !== this.entry.modRevision) return undefined;
    const state = create(PartitionStateSchema, { ...this.entry.state, isr: isr.map((m) => create(IsrMemberSchema, m)) });
    return this.publish(state);
  }

  private publish(state: PartitionEntry["state"]): PartitionEntry {
    this.entry = { topic, partition: 0, state, modRevision: ++this.revision };
    // The watch: every live broker hears of it, later (as etcd's watch would).
    const view = this.view();
    queueMicrotask(() => {
      for (const b of this.brokers.values()) b.manager?.apply(view);
    });
    return this.entry;
  }

  async close(): Promise<void> {
    for (const id of this.brokers.keys()) await this.stop(id);
    for (const b of this.brokers.values()) await b.log.close().catch(() => undefined);
    await fs.rm(this.root, { recursive: true, force: true });
  }
}

/** Every frame stored in the segment files of `dir`, in offset order. */
export async function storedFrames(dir: string): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  for (const name of (await fs.readdir(dir)).filter((n) => /^\d{20}\.log$/.test(n)).sort()) {
    const buf = await fs.readFile(path.join(dir, name));
    for (let p = 0; p < buf.length; p += 12 + buf.readInt32LE(p + 8)) frames.push(buf.subarray(p, p + 12 + buf.readInt32LE(p + 8)));
  }
  return frames;
}
