import { randomBytes } from "node:crypto";
import { Metadata, status } from "@grpc/grpc-js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Acks, ProduceService, type ProduceRequestSchema, type ProduceResponse } from "../../gen/ts/tributary/v1/produce_pb.js";
import { partitionForKey } from "../../services/partitioner/index.js";
import { bootstrapList, ClusterMetadata, isMetadataRefused, type TopicMetadata } from "./cluster-metadata.js";
import { errorLeader, errorReason, reasonMetadataKey, type ClientOptions } from "./grpc-client.js";
import { RecordsEncoder } from "./produce-encoder.js";
import { isProduceStreamUnsupported, ProducePipeline } from "./produce-pipeline.js";
import { backoffMs, delay, isRetriable } from "./retry.js";

export interface ProducerOptions extends ClientOptions {
  /** A broker address, HOST:PORT: a bootstrap list of one. Default 127.0.0.1:7070. */
  readonly broker?: string;
  /** Brokers to read the cluster's metadata from, HOST:PORT each, tried in order (after `broker`). */
  readonly bootstrap?: readonly string[];
  /** How long a record may wait for others to share its request, ms. Default 5. */
  readonly lingerMs?: number;
  /** A batch is sent once it holds this many bytes. Default 1 MiB. */
  readonly batchBytes?: number;
  /** Requests in flight at once, across partitions (one per partition, so order holds). Default 5. */
  readonly maxInFlight?: number;
  /** Acknowledgement level. Default LEADER. */
  readonly acks?: Acks;
  /** Attempts per batch on retriable statuses (UNAVAILABLE, DEADLINE_EXCEEDED). Default unlimited:
   * `deliveryTimeoutMs` bounds the retries. */
  readonly retries?: number;
  /** First retry backoff, ms; doubles each attempt up to `retryBackoffMaxMs`, with jitter. Default 100. */
  readonly retryBackoffMs?: number;
  /** Largest retry backoff, ms. Default 1000 (Kafka's retry.backoff.max.ms). */
  readonly retryBackoffMaxMs?: number;
  /** Deadline of one Produce call, ms. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** Upper bound from send() to its acknowledgement or failure, retries included, ms.
   * Default 120000 (Kafka's delivery.timeout.ms). */
  readonly deliveryTimeoutMs?: number;
  /** Metadata older than this is read again, ms. Default 300000 (Kafka's metadata.max.age.ms). */
  readonly metadataMaxAgeMs?: number;
}

export interface ProducerMessage {
  readonly topic: string;
  readonly key?: Uint8Array | string;
  readonly value: Uint8Array | string;
  readonly headers?: Record<string, Uint8Array | string> | ReadonlyArray<readonly [string, Uint8Array | string]>;
  /** Explicit partition; otherwise by key (Kafka's murmur2, as the broker does) or round-robin. */
  readonly partition?: number;
  /** Creation time, ms since the epoch; default: the broker's append time. */
  readonly timestampMs?: number;
}

export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** The records of a batch are encoded as they are sent; only their promises wait here. */
interface Batch {
  readonly topic: string;
  /** Undefined for an unrouted topic's records without an explicit partition: the broker picks. */
  readonly partition: number | undefined;
  /** One batch per key in flight: the partition's slot; the topic for an unrouted topic. */
  readonly busyKey: string;
  readonly records: RecordsEncoder;
  readonly resolves: Array<(metadata: RecordMetadata) => void>;
  readonly rejects: Array<(err: unknown) => void>;
  /** When its first record was sent: deliveryTimeoutMs counts from here. */
  readonly createdMs: number;
}

/** A send() that waits for its topic's metadata (the topic's first send). */
interface WaitingSend {
  readonly message: ProducerMessage;
  readonly sentMs: number;
  readonly resolve: (metadata: RecordMetadata) => void;
  readonly reject: (err: unknown) => void;
}

const noHeaders: ReadonlyArray<readonly [string, Uint8Array | string]> = [];
const defaultDeliveryTimeoutMs = 120_000;
/** In a cluster, how long a topic DescribeTopic calls unknown is asked for again: a broker's
 * metadata can lag a CreateTopic answered by another broker by a moment. */
const unknownTopicWaitMs = 5_000;
/** String keys are hashed from here when they fit (no allocation per record). */
const keyScratch = Buffer.allocUnsafe(4096);

/** A partition without a leader, as the producer sees it before asking any broker. */
function offlineError(topic: string, partition: number): Error {
  const metadata = new Metadata();
  metadata.set(reasonMetadataKey, "PARTITION_OFFLINE");
  return Object.assign(new Error(`${status.UNAVAILABLE} UNAVAILABLE: partition ${topic}/${partition} has no live leader`), {
    code: status.UNAVAILABLE,
    details: `partition ${topic}/${partition} has no live leader`,
    metadata,
  });
}

/** A batch whose deliveryTimeoutMs passed before it could be sent. */
function expiredError(topic: string, partition: number | undefined): Error {
  const details = `deliveryTimeoutMs passed before the batch for ${topic}${partition === undefined ? "" : `/${partition}`} could be sent`;
  return Object.assign(new Error(`${status.DEADLINE_EXCEEDED} DEADLINE_EXCEEDED: ${details}`), {
    code: status.DEADLINE_EXCEEDED,
    details,
    metadata: new Metadata(),
  });
}

/**
 * Sends records in batches, each partition's to its leader. `send()` resolves
 * with the record's partition and offset once the batch holding it is
 * acknowledged.
 *
 * Routing (as Kafka's producer): the producer reads the cluster's metadata
 * (ClusterMetadata) from any bootstrap broker that answers and picks each
 * record's partition itself, the explicit one, else murmur2 of the key (the
 * broker's function, services/partitioner), else round-robin over partitions
 * that have a leader. Records of one partition are grouped for up to
 * `lingerMs` or `batchBytes` and sent as a Produce with that partition to its
 * leader, over one ProduceStream per broker (produce-pipeline.ts; unary Produce
 * at a broker without it).
 *
 * Retries: on UNAVAILABLE (NOT_LEADER, PARTITION_OFFLINE, NOT_ENOUGH_REPLICAS,
 * FENCED_LEADER_EPOCH, SHUTTING_DOWN, BROKER_STARTING, a broker that does not
 * answer) or DEADLINE_EXCEEDED, the batch goes to the leader the broker named
 * (`tributary-leader`), else to the leader in freshly read metadata, after an
 * exponential, capped, jittered backoff, until `deliveryTimeoutMs` after its
 * first record's send(). It then fails with the last error; a record that
 * failed that way may still have been written (as in Kafka).
 *
 * Idempotence and order: every batch carries this producer's id and a
 * sequence that grows with every batch; a retry sends the same bytes with the
 * same sequence, so a broker (or a new leader that has the batch replicated)
 * answers it with the original offsets instead of appending it twice. One
 * batch per partition is in flight at a time (up to `maxInFlight` over all
 * partitions), so a partition's records keep send() order across retries and
 * leader changes: the broker accepts sequences that grow per partition and
 * refuses one below the last it appended (OUT_OF_ORDER_SEQUENCE), which two
 * batches of a partition in flight at once could cause after a failed first.
 */
export class Producer {
  /** Idempotence: a random id for this producer's lifetime (63 bits, non-zero). */
  readonly producerId: bigint;
  private sequence = 0n;
  private readonly metadata: ClusterMetadata;
  /** Open batches by partition slot (topic NUL partition). */
  private readonly open = new Map<string, Batch>();
  /** Sealed batches waiting to be sent, per partition slot; least recently started slot first. */
  private readonly queues = new Map<string, Batch[]>();
  private readonly busy = new Set<string>();
  /** Topics whose metadata brokers refuse (isMetadataRefused): sent through any broker, which partitions. */
  private readonly unrouted = new Set<string>();
  /** Sends waiting for their topic's first metadata, per topic, in send() order. */
  private readonly waiting = new Map<string, WaitingSend[]>();
  private readonly reads = new Map<string, Promise<void>>();
  private readonly roundRobin = new Map<string, number>();
  private readonly slots = new Map<string, string[]>();
  /** One ProduceStream per broker address (produce-pipeline.ts). */
  private readonly pipelines = new Map<string, ProducePipeline>();
  /** Brokers that answered ProduceStream with UNIMPLEMENTED: unary Produce there, while that connection lasts. */
  private readonly unaryOnly = new Set<string>();
  private inFlight = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly idle = new Set<() => void>();
  private readonly options: Required<
    Omit<ProducerOptions, "broker" | "bootstrap" | "metadataMaxAgeMs" | keyof ClientOptions>
  >;

  constructor(options: ProducerOptions = {}) {
    this.metadata = new ClusterMetadata({ ...options, bootstrap: bootstrapList(options) });
    this.options = {
      lingerMs: options.lingerMs ?? 5,
      batchBytes: options.batchBytes ?? 1024 * 1024,
      maxInFlight: options.maxInFlight ?? 5,
      acks: options.acks ?? Acks.LEADER,
      retries: options.retries ?? Infinity,
      retryBackoffMs: options.retryBackoffMs ?? 100,
      retryBackoffMaxMs: options.retryBackoffMaxMs ?? 1_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      deliveryTimeoutMs: options.deliveryTimeoutMs ?? defaultDeliveryTimeoutMs,
    };
    const id = randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;
    this.producerId = id === 0n ? 1n : id;
  }

  send(message: ProducerMessage): Promise<RecordMetadata> {
    if (this.closed) return Promise.reject(new Error("producer is closed"));
    // Behind sends still waiting for the topic's metadata, to keep send() order.
    if (!this.waiting.has(message.topic)) {
      if (this.unrouted.has(message.topic)) return this.append(message, undefined, undefined);
      const topic = this.metadata.cachedTopic(message.topic);
      if (topic !== undefined) return this.append(message, topic, undefined);
    }
    return this.later(message);
  }

  /** Sends everything buffered and resolves when all of it is acknowledged or failed. */
  async flush(): Promise<void> {
    while (this.reads.size > 0) await Promise.all(this.reads.values());
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    for (const slot of [...this.open.keys()]) this.seal(slot);
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  /** Flushes, then closes the connections. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    for (const pipeline of this.pipelines.values()) pipeline.end();
    this.pipelines.clear();
    this.metadata.close();
  }

  /** Adds a record to its partition's open batch; `topic` undefined: unrouted. */
  private append(message: ProducerMessage, topic: TopicMetadata | undefined, sentMs: number | undefined): Promise<RecordMetadata> {
    const headers =
      message.headers === undefined
        ? noHeaders
        : Array.isArray(message.headers)
          ? (message.headers as ReadonlyArray<readonly [string, Uint8Array | string]>)
          : Object.entries(message.headers);
    const partition = message.partition ?? (topic === undefined ? undefined : this.partitionOf(message, topic));
    const slot = partition === undefined ? message.topic : this.slotOf(message.topic, partition);
    let batch = this.open.get(slot);
    if (batch === undefined) {
      batch = {
        topic: message.topic,
        partition,
        busyKey: topic === undefined ? message.topic : slot,
        records: new RecordsEncoder(),
        resolves: [],
        rejects: [],
        createdMs: sentMs ?? Date.now(),
      };
      this.open.set(slot, batch);
    }
    try {
      batch.records.add({ key: message.key, value: message.value, headers, timestampMs: message.timestampMs ?? 0 });
    } catch (err) {
      if (batch.records.count === 0) this.open.delete(slot);
      return Promise.reject(err);
    }
    return new Promise<RecordMetadata>((resolve, reject) => {
      batch.resolves.push(resolve);
      batch.rejects.push(reject);
      if (batch.records.bytes >= this.options.batchBytes) {
        this.seal(slot);
      } else {
        this.lingerTimer ??= setTimeout(() => {
          this.lingerTimer = undefined;
          for (const s of [...this.open.keys()]) this.seal(s);
        }, this.options.lingerMs);
      }
    });
  }

  /** The key of a partition's batches ("topic NUL partition"), made once per partition. */
  private slotOf(topic: string, partition: number): string {
    let slots = this.slots.get(topic);
    if (slots === undefined) this.slots.set(topic, (slots = []));
    return (slots[partition] ??= `${topic}\u0000${partition}`);
  }

  /** Kafka's default partitioner: murmur2 of a non-empty key, else round-robin over partitions with a leader. */
  private partitionOf(message: ProducerMessage, topic: TopicMetadata): number {
    const count = topic.partitions.length;
    if (count === 0) return 0; // the broker answers for a topic without partitions
    const key = message.key;
    if (typeof key === "string") {
      if (key.length > 0) {
        const length = Buffer.byteLength(key);
        const bytes = length <= keyScratch.length ? keyScratch : Buffer.allocUnsafe(length);
        bytes.write(key, 0, length, "utf8");
        return partitionForKey(bytes, count, 0, length);
      }
    } else if (key !== undefined && key.length > 0) {
      return partitionForKey(key, count);
    }
    let next = this.roundRobin.get(topic.name);
    if (next === undefined) next = Math.floor(Math.random() * count);
    this.roundRobin.set(topic.name, next + 1);
    const led = topic.available;
    return led.length === 0 || led.length === count ? next % count : led[next % led.length];
  }

  /** The topic's first send: waits for its metadata, then appends the waiting sends in order. */
  private later(message: ProducerMessage): Promise<RecordMetadata> {
    let list = this.waiting.get(message.topic);
    if (list === undefined) {
      const waiting: WaitingSend[] = (list = []);
      this.waiting.set(message.topic, waiting);
      const read = this.awaitTopic(message.topic, waiting).finally(() => {
        this.reads.delete(message.topic);
        this.checkIdle();
      });
      this.reads.set(message.topic, read);
    }
    const sentMs = Date.now();
    return new Promise<RecordMetadata>((resolve, reject) => list.push({ message, sentMs, resolve, reject }));
  }

  private async awaitTopic(name: string, waiting: WaitingSend[]): Promise<void> {
    const startedMs = Date.now();
    for (let attempt = 0; ; attempt++) {
      let err: unknown;
      try {
        const topic = await this.metadata.topic(name);
        this.waiting.delete(name);
        for (const w of waiting) this.append(w.message, topic, w.sentMs).then(w.resolve, w.reject);
        return;
      } catch (e) {
        err = e;
      }
      if (isMetadataRefused(err)) {
        this.unrouted.add(name);
        this.waiting.delete(name);
        for (const w of waiting) this.append(w.message, undefined, w.sentMs).then(w.resolve, w.reject);
        return;
      }
      const elapsedMs = Date.now() - startedMs;
      const remainingMs = this.options.deliveryTimeoutMs - elapsedMs;
      const lagging = (err as { code?: number }).code === status.NOT_FOUND && this.metadata.brokerCount > 1 && elapsedMs < unknownTopicWaitMs;
      if ((isRetriable(err) || lagging) && remainingMs > 0) {
        this.metadata.invalidate(name);
        await delay(Math.min(remainingMs, backoffMs(attempt, this.options.retryBackoffMs, this.options.retryBackoffMaxMs)));
        if (Date.now() - startedMs < this.options.deliveryTimeoutMs) continue;
      }
      this.waiting.delete(name);
      for (const w of waiting) w.reject(err);
      return;
    }
  }

  private seal(slot: string): void {
    const batch = this.open.get(slot);
    if (batch === undefined) return;
    this.open.delete(slot);
    if (batch.records.count === 0) return; // its only record failed to encode
    let queue = this.queues.get(slot);
    if (queue === undefined) this.queues.set(slot, (queue = []));
    queue.push(batch);
    this.pump();
  }

  /** Starts batches while there is room: one per partition at a time, maxInFlight overall. */
  private pump(): void {
    for (const [slot, queue] of [...this.queues]) {
      if (this.inFlight >= this.options.maxInFlight) return;
      const { busyKey } = queue[0];
      if (this.busy.has(busyKey)) continue;
      const batch = queue.shift()!;
      // To the back: partitions take turns when more than maxInFlight have batches.
      this.queues.delete(slot);
      if (queue.length > 0) this.queues.set(slot, queue);
      this.busy.add(busyKey);
      this.inFlight++;
      void this.sendBatch(batch).finally(() => {
        this.busy.delete(busyKey);
        this.inFlight--;
        this.pump();
        this.checkIdle();
      });
    }
  }

  private isIdle(): boolean {
    return this.inFlight === 0 && this.queues.size === 0 && this.open.size === 0 && this.waiting.size === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idle) resolve();
    this.idle.clear();
  }

  /** The address to send a partition's batch to: its leader, or any broker for a partition it does not know. */
  private async leaderOf(topic: string, partition: number | undefined): Promise<string> {
    if (partition === undefined || this.unrouted.has(topic)) return this.metadata.reachable();
    const metadata = await this.metadata.topic(topic);
    const address = this.metadata.leaderAddress(topic, partition);
    if (address !== undefined) return address;
    // A partition the topic does not have: the broker's answer is the error.
    if (partition < 0 || partition >= metadata.partitions.length) return this.metadata.reachable();
    throw offlineError(topic, partition);
  }

  /** One Produce of `request` at `address`: over the broker's ProduceStream, or a unary
   * Produce at a broker without it (an older build, during a rolling upgrade). */
  private produceAt(address: string, request: Buffer, timeoutMs: number): Promise<ProduceResponse> {
    const client = this.metadata.client(ProduceService, address);
    const unary = () => client.produce(request as unknown as MessageInitShape<typeof ProduceRequestSchema>, { deadline: timeoutMs });
    if (this.unaryOnly.has(address)) return unary();
    let pipeline = this.pipelines.get(address);
    if (pipeline === undefined) this.pipelines.set(address, (pipeline = new ProducePipeline(client)));
    return pipeline.send(request, timeoutMs).catch((err: unknown) => {
      if (!isProduceStreamUnsupported(err)) throw err;
      if (!this.unaryOnly.has(address)) {
        // Until the connection changes: a broker is upgraded by a restart, which ends it, and
        // comes back on the same address; the next connection asks for the stream again, as
        // Kafka's clients ask a broker's ApiVersions on each new connection.
        const channel = client.getChannel();
        channel.watchConnectivityState(channel.getConnectivityState(false), Infinity, () => this.unaryOnly.delete(address));
        this.unaryOnly.add(address);
      }
      return unary();
    });
  }

  private async sendBatch(batch: Batch): Promise<void> {
    const sequence = ++this.sequence;
    const { topic, partition, resolves } = batch;
    // Encoded once: a retry sends the same bytes (same sequence), which is what lets
    // the broker, or the partition's next leader, answer it as a duplicate.
    const request = batch.records.finish({
      topic,
      partition,
      acks: this.options.acks,
      producerId: this.producerId,
      sequence,
    });
    const { requestTimeoutMs, retries, retryBackoffMs, retryBackoffMaxMs } = this.options;
    const deadlineMs = batch.createdMs + this.options.deliveryTimeoutMs;
    let answer: ProduceResponse | undefined;
    let last: unknown;
    for (let attempt = 0; ; attempt++) {
      let err: unknown;
      let atLeader = false;
      try {
        const address = await this.leaderOf(topic, partition);
        atLeader = partition !== undefined && this.metadata.leaderAddress(topic, partition) === address;
        const leftMs = deadlineMs - Date.now();
        // Out of time before this try (queued behind its partition, or reading metadata):
        // not sent at all, so it cannot have been written.
        if (leftMs <= 0) throw last ?? expiredError(topic, partition);
        answer = await this.produceAt(address, request, Math.min(requestTimeoutMs, leftMs));
        break;
      } catch (e) {
        err = e;
        last = e;
      }
      const remainingMs = deadlineMs - Date.now();
      // The metadata named a leader for the partition, so the topic exists; a leader that
      // answers UNKNOWN_TOPIC has not applied it yet (a topic just created in a cluster):
      // retriable, as Kafka's UNKNOWN_TOPIC_OR_PARTITION is. Without a leader in the
      // metadata the topic is unknown everywhere and the error is final.
      const notAppliedYet = atLeader && (errorReason(err) === "UNKNOWN_TOPIC" || errorReason(err) === "UNKNOWN_PARTITION");
      if ((isRetriable(err) || notAppliedYet) && attempt + 1 < retries && remainingMs > 0) {
        const leader = errorLeader(err);
        if (leader !== undefined && partition !== undefined) this.metadata.hintLeader(topic, partition, leader);
        else this.metadata.invalidate(topic);
        await delay(Math.min(remainingMs, backoffMs(attempt, retryBackoffMs, retryBackoffMaxMs)));
        if (Date.now() < deadlineMs) continue;
      }
      // The last error: not retriable, or out of attempts or of time.
      for (const reject of batch.rejects) reject(err);
      return;
    }
    for (const result of answer.results) {
      const { baseOffset, recordIndexes } = result;
      if (recordIndexes.length > 0) {
        for (let i = 0; i < recordIndexes.length; i++) resolves[recordIndexes[i]]({ topic, partition: result.partition, offset: baseOffset + BigInt(i) });
      } else {
        for (let i = 0; i < resolves.length; i++) resolves[i]({ topic, partition: result.partition, offset: baseOffset + BigInt(i) });
      }
    }
  }
}
