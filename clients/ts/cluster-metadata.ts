import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { status } from "@grpc/grpc-js";
import { AdminService, type BrokerDescription, type DescribeClusterResponse } from "../../gen/ts/tributary/v1/admin_pb.js";
import { createClient, type ClientOptions, type ServiceClient } from "./grpc-client.js";
import { isRetriable } from "./retry.js";

/** Kafka's metadata.max.age.ms: metadata older than this is read again before use. */
export const defaultMetadataMaxAgeMs = 300_000;
/** Deadline of one DescribeCluster or DescribeTopic call. */
export const defaultMetadataTimeoutMs = 10_000;
const defaultBroker = "127.0.0.1:7070";

export interface ClusterMetadataOptions extends ClientOptions {
  /** Where to read the cluster's metadata first, "host:port" each; tried in order. */
  readonly bootstrap: readonly string[];
  /** Metadata older than this is read again before use, ms. Default 300000. */
  readonly metadataMaxAgeMs?: number;
  /** Deadline of one metadata call, ms. Default 10000. */
  readonly metadataTimeoutMs?: number;
}

/** A partition as DescribeTopic describes it. */
export interface PartitionMetadata {
  readonly partition: number;
  /** The leading broker's id; -1 while the partition has no leader (offline). */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicMetadata {
  readonly name: string;
  readonly partitions: readonly PartitionMetadata[];
  /** The partitions that have a leader, in order. */
  readonly available: readonly number[];
}

/**
 * The bootstrap list of a client's options: `bootstrap`, after the single `broker`
 * when both are given; the default broker when neither is.
 */
export function bootstrapList(options: { readonly broker?: string; readonly bootstrap?: readonly string[] }): string[] {
  const list = [...(options.broker === undefined ? [] : [options.broker]), ...(options.bootstrap ?? [])];
  return list.length === 0 ? [defaultBroker] : [...new Set(list)];
}

/** "host:port" of a broker from DescribeCluster: `address`, or host and port from older brokers. */
function brokerAddress(b: BrokerDescription): string {
  if (b.address !== "") return b.address;
  return `${b.host.includes(":") ? `[${b.host}]` : b.host}:${b.port}`;
}

/**
 * A broker that answered but will not describe: a principal without `describe` on the
 * cluster or topic (PERMISSION_DENIED), or a server without AdminService (UNIMPLEMENTED).
 * Clients then work unrouted, through the broker that answered, as before routing.
 */
export function isMetadataRefused(err: unknown): boolean {
  const code = (err as { code?: number }).code;
  return code === status.PERMISSION_DENIED || code === status.UNIMPLEMENTED;
}

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

interface CachedTopic {
  readonly metadata: TopicMetadata;
  readonly fetchedMs: number;
  /** The topic's invalidation count when the read began: older than the current count is stale. */
  readonly generation: number;
}

/**
 * What a client knows of the cluster, as Kafka's clients keep it: the live brokers
 * (DescribeCluster: id → address) and, per topic it uses, each partition's leader,
 * replicas, ISR and leader epoch (DescribeTopic). Read from any broker that answers:
 * the last one that did first, then the known brokers, then the bootstrap list.
 * Reads are lazy and shared: concurrent callers wait for one read. A read is
 * repeated when older than `metadataMaxAgeMs` or after `invalidate()` (a caller saw
 * NOT_LEADER or a broker that did not answer).
 *
 * It also owns the gRPC clients of its client object, one per service and broker
 * address, created on first use and closed by `close()` (grpc-js shares one
 * connection per address between them).
 *
 * A cluster of one broker is reached at the address that answered for it, not the
 * one it advertises: a single broker behind a proxy, a port forward or NAT keeps
 * working as it did before clients routed.
 */
export class ClusterMetadata {
  readonly bootstrap: readonly string[];
  private readonly options: ClusterMetadataOptions;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private readonly clients = new Map<string, ServiceClient<GenServiceMethods>>();
  private brokers = new Map<number, string>();
  private clusterFetchedMs = -Infinity;
  private clusterStale = true;
  /** DescribeCluster was refused (isMetadataRefused): leaders are reached through the broker that answered. */
  private clusterRefused = false;
  private clusterRead: Promise<void> | undefined;
  private readonly topics = new Map<string, CachedTopic>();
  private readonly topicReads = new Map<string, Promise<TopicMetadata>>();
  private readonly generations = new Map<string, number>();
  /** Leaders named by brokers in `tributary-leader` trailers, until the topic is read again. */
  private readonly hints = new Map<string, string>();
  /** The broker that answered last: asked first. */
  private preferred: string | undefined;
  private closed = false;

  constructor(options: ClusterMetadataOptions) {
    if (options.bootstrap.length === 0) throw new Error("a client needs at least one bootstrap broker");
    this.options = options;
    this.bootstrap = [...options.bootstrap];
    this.maxAgeMs = options.metadataMaxAgeMs ?? defaultMetadataMaxAgeMs;
    this.timeoutMs = options.metadataTimeoutMs ?? defaultMetadataTimeoutMs;
  }

  /** The client for `service` at `address`, created on first use. `extra` applies only then. */
  client<T extends GenServiceMethods>(service: GenService<T>, address: string, extra?: Partial<ClientOptions>): ServiceClient<T> {
    if (this.closed) throw new Error("the client is closed");
    const key = `${service.typeName} ${address}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      client = createClient(service, address, { ...this.options, ...extra }) as unknown as ServiceClient<GenServiceMethods>;
      this.clients.set(key, client);
    }
    return client as unknown as ServiceClient<T>;
  }

  /** Addresses to try, best first: the last that answered, known brokers, the bootstrap list. */
  candidates(): string[] {
    const list = [...(this.preferred === undefined ? [] : [this.preferred]), ...this.brokers.values(), ...this.bootstrap];
    return [...new Set(list)];
  }

  /**
   * Calls `call` on each candidate broker in turn until one answers. Moves on only
   * when a broker is away or busy (UNAVAILABLE, DEADLINE_EXCEEDED); any other error
   * is the answer. Throws the last error when none answered.
   */
  async any<R>(call: (address: string) => Promise<R>): Promise<R> {
    let last: unknown = new Error("no broker to ask");
    for (const address of this.candidates()) {
      if (this.closed) break;
      try {
        const answer = await call(address);
        this.preferred = address;
        return answer;
      } catch (err) {
        if (!isRetriable(err)) throw err;
        last = err;
        if (this.preferred === address) this.preferred = undefined;
      }
    }
    throw last;
  }

  /** The address of a reachable broker (reading the cluster's brokers if not yet known). */
  async reachable(): Promise<string> {
    await this.cluster();
    return this.preferred ?? this.bootstrap[0];
  }

  /** The live brokers, id → "host:port", read when stale. */
  async cluster(): Promise<ReadonlyMap<number, string>> {
    if (this.clusterStale || Date.now() - this.clusterFetchedMs >= this.maxAgeMs) await this.readCluster();
    return this.brokers;
  }

  /** How many live brokers the last DescribeCluster listed (0 before the first). */
  get brokerCount(): number {
    return this.brokers.size;
  }

  /** A topic's metadata: cached while fresh, else read (shared with concurrent callers). */
  topic(name: string): Promise<TopicMetadata> {
    const cached = this.topics.get(name);
    if (cached !== undefined && this.fresh(name, cached)) return Promise.resolve(cached.metadata);
    let read = this.topicReads.get(name);
    if (read === undefined) {
      read = this.readTopic(name).finally(() => this.topicReads.delete(name));
      this.topicReads.set(name, read);
    }
    return read;
  }

  /**
   * The last metadata read for a topic, stale or not, without waiting (undefined when
   * never read). A stale entry starts a read in the background for later callers.
   */
  cachedTopic(name: string): TopicMetadata | undefined {
    const cached = this.topics.get(name);
    if (cached === undefined) return undefined;
    if (!this.fresh(name, cached) && !this.topicReads.has(name) && !this.closed) this.topic(name).catch(() => undefined);
    return cached.metadata;
  }

  /** The address of a partition's leader as last known; undefined when it has none or it is not a known broker. */
  leaderAddress(topic: string, partition: number): string | undefined {
    const hint = this.hints.get(partitionKey(topic, partition));
    if (hint !== undefined) return hint;
    const p = this.topics.get(topic)?.metadata.partitions[partition];
    if (p === undefined || p.leader < 0) return undefined;
    // Brokers not ours to see: the one that answered (a single broker, or one that forwards).
    if (this.clusterRefused) return this.preferred ?? this.bootstrap[0];
    return this.brokers.get(p.leader);
  }

  /** A broker named the leader (`tributary-leader`): use it until the topic is read again. */
  hintLeader(topic: string, partition: number, address: string): void {
    this.hints.set(partitionKey(topic, partition), address);
  }

  /** Read the brokers, and the topic's partitions when given, again before their next use. */
  invalidate(topic?: string): void {
    this.clusterStale = true;
    if (topic === undefined) return;
    this.generations.set(topic, (this.generations.get(topic) ?? 0) + 1);
    for (const key of [...this.hints.keys()]) if (key.startsWith(`${topic}\u0000`)) this.hints.delete(key);
  }

  /** Closes every client it made. */
  close(): void {
    this.closed = true;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private fresh(name: string, cached: CachedTopic): boolean {
    return cached.generation === (this.generations.get(name) ?? 0) && Date.now() - cached.fetchedMs < this.maxAgeMs;
  }

  private readCluster(): Promise<void> {
    this.clusterRead ??= (async () => {
      try {
        let answered = "";
        let answer: DescribeClusterResponse;
        try {
          answer = await this.any((address) => {
            answered = address;
            return this.client(AdminService, address).describeCluster({}, { deadline: this.timeoutMs });
          });
        } catch (err) {
          if (!isMetadataRefused(err)) throw err;
          // It answered: a live broker, whose cluster is not ours to see.
          this.preferred = answered;
          this.clusterRefused = true;
          this.brokers = new Map();
          this.clusterFetchedMs = Date.now();
          this.clusterStale = false;
          return;
        }
        const brokers = new Map<number, string>();
        for (const b of answer.brokers) brokers.set(b.id, answer.brokers.length === 1 ? answered : brokerAddress(b));
        this.brokers = brokers;
        this.clusterRefused = false;
        this.clusterFetchedMs = Date.now();
        this.clusterStale = false;
      } finally {
        this.clusterRead = undefined;
      }
    })();
    return this.clusterRead;
  }

  private async readTopic(name: string): Promise<TopicMetadata> {
    const generation = this.generations.get(name) ?? 0;
    await this.cluster();
    const answer = await this.any((address) => this.client(AdminService, address).describeTopic({ name }, { deadline: this.timeoutMs }));
    const partitions = (answer.topic?.partitions ?? []).map((p) => ({
        partition: p.partition,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicas: [...p.replicas],
        isr: [...p.isr],
      }))
      .sort((a, b) => a.partition - b.partition);
    const metadata: TopicMetadata = {
      name,
      partitions,
      available: partitions.filter((p) => p.leader >= 0).map((p) => p.partition),
    };
    this.topics.set(name, { metadata, fetchedMs: Date.now(), generation });
    if (generation === (this.generations.get(name) ?? 0)) {
      for (const key of [...this.hints.keys()]) if (key.startsWith(`${name}\u0000`)) this.hints.delete(key);
    }
    // A leader this broker list does not name: the brokers are older than the topic.
    if (!this.clusterRefused && metadata.partitions.some((p) => p.leader >= 0 && !this.brokers.has(p.leader))) this.clusterStale = true;
    return metadata;
  }
}
