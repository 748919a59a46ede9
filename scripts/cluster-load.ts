/**
 * What the chaos script (scripts/chaos.ts) and the benchmark's `cluster` phase
 * (scripts/bench/cluster.ts) share (CLUSTER.md section 6): a cluster of broker child
 * processes from dist/ (test/helpers/cluster.ts), idempotent acks=ALL writers whose every
 * outcome goes to the history checker, a reader, the failover clock (leader kill → first
 * acknowledged acks=ALL produce on that partition), waiting for a full ISR, the final
 * read of every replica's own files and a closed-loop produce rate.
 */
import { join } from "node:path";
import { pino } from "pino";
import { Consumer } from "../clients/ts/consumer.js";
import { createClient } from "../clients/ts/grpc-client.js";
import { Producer } from "../clients/ts/producer.js";
import { AdminService } from "../gen/ts/tributary/v1/admin_pb.js";
import { Acks } from "../gen/ts/tributary/v1/produce_pb.js";
import { defaultLogConfig, Log } from "../services/log/index.js";
import { partitionDirName } from "../services/topics/index.js";
import type { TestCluster } from "../test/helpers/cluster.js";
import { buildDistIfStale } from "../test/helpers/dist-build.js";
import { compareReplicas, type HistoryChecker, type ReplicaComparison } from "../test/helpers/history-checker.js";
import { decode } from "../test/helpers/log-records.js";

export { buildDistIfStale };

const decoder = new TextDecoder();
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every `intervalMs` until it is true (resolves true) or `timeoutMs` passes (false). */
export async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return true;
    } catch {
      // a broker away: try again
    }
    if (Date.now() > end) return false;
    await delay(intervalMs);
  }
}

/** The broker-level network faults, by fault proxies or by network namespaces (scripts/chaos-netns.ts). */
export interface FaultNetwork {
  cutFromBrokers(brokerId: number): Promise<void>;
  cutFromEtcd(brokerId: number): Promise<void>;
  heal(brokerId: number): Promise<void>;
}

export interface PartitionState {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly replicas: readonly number[];
  readonly highWatermark: bigint;
}

/**
 * DescribeTopic through every broker that answers within a second (a paused or cut-off
 * broker must not hold anything up), each partition as the answer with the highest
 * leader epoch tells it: one broker's metadata may lag a leader change, and a script
 * that kills "the leader" must kill the current one.
 */
const adminClients = new Map<string, ReturnType<typeof createAdminClient>>();
const createAdminClient = (address: string) => createClient(AdminService, address);
const adminClient = (address: string) => adminClients.get(address) ?? adminClients.set(address, createAdminClient(address)).get(address)!;

export async function describePartitions(cluster: TestCluster, topic: string): Promise<PartitionState[]> {
  const answers = await Promise.all(
    cluster.bootstrap.map(async (address): Promise<PartitionState[] | undefined> => {
      try {
        const described = (await adminClient(address).describeTopic({ name: topic }, { deadline: 1000 })).topic!;
        return described.partitions.map((p) => ({ leader: p.leader, leaderEpoch: p.leaderEpoch, isr: [...p.isr], replicas: [...p.replicas], highWatermark: p.highWatermark }));
      } catch {
        return undefined;
      }
    }),
  );
  const got = answers.filter((a): a is PartitionState[] => a !== undefined);
  if (got.length === 0) throw new Error("no broker answered DescribeTopic");
  return got[0].map((first, i) => got.reduce((best, a) => (a[i] !== undefined && a[i].leaderEpoch > best.leaderEpoch ? a[i] : best), first));
}

/** Waits until every partition's ISR holds all `replicationFactor` replicas and has a leader; false after `timeoutMs`. */
export function waitFullIsr(cluster: TestCluster, topic: string, replicationFactor: number, timeoutMs: number): Promise<boolean> {
  return waitUntil(async () => (await describePartitions(cluster, topic)).every((p) => p.leader > 0 && p.isr.length === replicationFactor), timeoutMs, 200);
}

/** Waits until `partition` has a leader other than `old`; false after `timeoutMs`. */
export function waitNewLeader(cluster: TestCluster, topic: string, partition: number, old: number, timeoutMs: number): Promise<boolean> {
  return waitUntil(async () => {
    const leader = (await describePartitions(cluster, topic))[partition].leader;
    return leader > 0 && leader !== old;
  }, timeoutMs);
}

export interface WritersOptions {
  readonly bootstrap: readonly string[];
  readonly topic: string;
  readonly partitions: number;
  readonly checker: HistoryChecker;
  /** Pause between one writer's sends, ms (0: back to back): bounds the history's size on long runs. */
  readonly pauseMs?: number;
  /** Producer options: a paused leader holds a request until this passes. */
  readonly requestTimeoutMs?: number;
  readonly deliveryTimeoutMs?: number;
}

/**
 * One idempotent acks=ALL writer per partition, one record in flight each (a steady
 * stream whose every outcome the checker records: acked with its offset, or unknown on
 * a delivery timeout), sharing one Producer, as a service's threads would.
 */
export class Writers {
  readonly producer: Producer;
  private running = true;
  private counter = 0;
  private readonly loops: Array<Promise<void>>;
  /** Per partition: the pending failover clocks (kill time) and their resolvers. */
  private readonly clocks = new Map<number, Array<{ fromMs: number; resolve: (ms: number) => void }>>();
  acked = 0;

  constructor(private readonly options: WritersOptions) {
    this.producer = new Producer({
      bootstrap: options.bootstrap,
      acks: Acks.ALL,
      lingerMs: 1,
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      deliveryTimeoutMs: options.deliveryTimeoutMs ?? 30_000,
    });
    this.loops = Array.from({ length: options.partitions }, (_, partition) => this.loop(partition));
  }

  private async loop(partition: number): Promise<void> {
    const { topic, checker } = this.options;
    while (this.running) {
      const value = `p${partition}-${this.counter++}`;
      const attempt = checker.produce(value, partition);
      try {
        const meta = await this.producer.send({ topic, partition, value });
        attempt.acked(meta.offset);
        this.acked++;
        this.ackArrived(partition, performance.now());
      } catch {
        // A delivery timeout or an error: it may or may not have been written.
        attempt.unknown();
      }
      if (this.options.pauseMs) await delay(this.options.pauseMs);
    }
  }

  /**
   * Starts the failover clock of `partition` now (call right before the kill): it
   * resolves with the time from now until the first acknowledgement that arrives more
   * than `minMs` later. An answer the dead leader had sent before it died can still be
   * handed to the writer tens of ms later on a loaded machine (34 ms was seen at load
   * average 14 on 2 cores); a write through a new leader cannot come within `minMs`
   * (500): the old leader's lease (brokerSessionTimeoutMs, at least 2000) must lapse
   * first. With one record in flight per writer, the first acknowledgement after that
   * is the first write the new leader took.
   */
  failoverClock(partition: number, minMs = 500): Promise<number> {
    return new Promise((resolve) => {
      const list = this.clocks.get(partition) ?? [];
      list.push({ fromMs: performance.now() + minMs, resolve: (ms) => resolve(ms + minMs) });
      this.clocks.set(partition, list);
    });
  }

  private ackArrived(partition: number, nowMs: number): void {
    const list = this.clocks.get(partition);
    if (!list) return;
    const remaining = list.filter((clock) => {
      if (nowMs < clock.fromMs) return true;
      clock.resolve(nowMs - clock.fromMs);
      return false;
    });
    this.clocks.set(partition, remaining);
  }

  /** Resolves once `more` further records are acknowledged; false after `timeoutMs`. */
  progress(more: number, timeoutMs: number): Promise<boolean> {
    const target = this.acked + more;
    return waitUntil(() => this.acked >= target, timeoutMs, 50);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    await this.producer.close();
  }
}

/**
 * A Consumer over every partition of `topic` from `earliest`, each record read going
 * to the checker in poll order (nonmonotonic-poll, poll-skip). If the consumer fails
 * with a non-retriable error, the failure is logged, a reset is recorded and a new one
 * starts from `earliest`.
 */
export class Reader {
  private consumer: Consumer | undefined;
  private running = true;
  private readonly done: Promise<void>;
  reads = 0;
  restarts = 0;

  constructor(
    private readonly name: string,
    private readonly bootstrap: readonly string[],
    private readonly topic: string,
    private readonly partitions: number,
    private readonly checker: HistoryChecker,
    private readonly log: (line: string) => void,
  ) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const consumer = new Consumer({ bootstrap: this.bootstrap, topic: this.topic, from: "earliest" });
      this.consumer = consumer;
      try {
        for await (const r of consumer) {
          this.checker.read(this.name, r.partition, r.offset, decoder.decode(r.value));
          this.reads++;
          if (!this.running) break;
        }
      } catch (err) {
        this.log(`reader ${this.name} failed, starts again from earliest: ${(err as Error).message}`);
      }
      await consumer.close().catch(() => undefined);
      if (this.running) {
        this.restarts++;
        for (let p = 0; p < this.partitions; p++) this.checker.reset(this.name, p);
        await delay(500);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.consumer?.close().catch(() => undefined);
    await this.done;
  }
}

export interface FinalRead {
  readonly partition: number;
  /** The high watermark DescribeTopic reported before the stop. */
  readonly highWatermark: bigint;
  /** Records below its own high watermark, per broker. */
  readonly heldByBroker: ReadonlyMap<number, number>;
  readonly comparison: ReplicaComparison;
  /** The longest replica holds exactly `highWatermark` records. */
  readonly matchesHighWatermark: boolean;
}

/**
 * After a clean stop of every broker: every replica's own files (CLUSTER.md section 1:
 * below the high watermark, every replica holds the same records at the same offsets).
 * The longest replica is each partition's final read for the checker.
 */
export async function readReplicaFiles(cluster: TestCluster, topic: string, highWatermarks: readonly bigint[], checker: HistoryChecker): Promise<FinalRead[]> {
  const logger = pino({ level: "silent" });
  const results: FinalRead[] = [];
  for (let partition = 0; partition < highWatermarks.length; partition++) {
    const reads = new Map<number, Array<{ offset: bigint; value: string }>>();
    for (const broker of cluster.brokers) {
      const log = await Log.open({
        dir: join(cluster.dir, `broker-${broker.id}`, partitionDirName(topic, partition)),
        config: defaultLogConfig,
        logger,
        clock: { nowMs: () => Date.now() },
        replicated: true,
      });
      const records: Array<{ offset: bigint; value: string }> = [];
      let offset = log.logStartOffset;
      while (offset < log.highWatermark) {
        const fetched = await log.read(offset, 1 << 20);
        for (const r of decode(fetched.chunks)) records.push({ offset: BigInt(r.offset), value: r.value ?? "" });
        offset = fetched.nextOffset;
      }
      reads.set(broker.id, records);
      await log.close();
    }
    const longest = [...reads.values()].reduce((a, b) => (b.length > a.length ? b : a));
    checker.finalRead(partition, longest);
    const highWatermark = highWatermarks[partition];
    results.push({
      partition,
      highWatermark,
      heldByBroker: new Map([...reads].map(([id, r]) => [id, r.length])),
      comparison: compareReplicas(reads, highWatermark),
      matchesHighWatermark: BigInt(longest.length) === highWatermark,
    });
  }
  return results;
}

/** count, p50, p99, max of samples (ms), nearest rank. */
export function summarize(samples: readonly number[]): { count: number; p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
  return { count: sorted.length, p50: rank(0.5), p99: rank(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

/**
 * Closed-loop produce rate through the TS client: `lanes` loops each sending `batch`
 * records of `valueBytes` to round-robin partitions and waiting for all of them, for
 * `seconds`. Returns acknowledged records per second.
 */
export async function produceRate(options: {
  bootstrap: readonly string[];
  topic: string;
  acks: Acks;
  seconds: number;
  lanes?: number;
  batch?: number;
  valueBytes?: number;
}): Promise<number> {
  const producer = new Producer({ bootstrap: options.bootstrap, acks: options.acks, lingerMs: 2 });
  const value = new Uint8Array(options.valueBytes ?? 100).fill(120);
  const batch = options.batch ?? 200;
  try {
    // Warm up: metadata and connections.
    await producer.send({ topic: options.topic, value });
    let records = 0;
    const start = performance.now();
    const end = start + options.seconds * 1000;
    await Promise.all(
      Array.from({ length: options.lanes ?? 8 }, async () => {
        while (performance.now() < end) {
          await Promise.all(Array.from({ length: batch }, () => producer.send({ topic: options.topic, value })));
          records += batch;
        }
      }),
    );
    return records / ((performance.now() - start) / 1000);
  } finally {
    await producer.close();
  }
}
