import { randomBytes } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Acks, ProduceService, type ProduceRequestSchema, type ProduceResponse } from "../../gen/ts/tributary/v1/produce_pb.js";
import { createClient, type ClientOptions, type ServiceClient } from "./grpc-client.js";
import { RecordsEncoder } from "./produce-encoder.js";
import { backoffMs, delay, isRetriable } from "./retry.js";

export interface ProducerOptions extends ClientOptions {
  /** Broker address, HOST:PORT. Default 127.0.0.1:7070. */
  readonly broker?: string;
  /** How long a record may wait for others to share its request, ms. Default 5. */
  readonly lingerMs?: number;
  /** A batch is sent once it holds this many bytes. Default 1 MiB. */
  readonly batchBytes?: number;
  /** Requests in flight at once, across topics (one per topic, so order holds). Default 5. */
  readonly maxInFlight?: number;
  /** Acknowledgement level. Default LEADER. */
  readonly acks?: Acks;
  /** Attempts per batch on retriable statuses (UNAVAILABLE, DEADLINE_EXCEEDED). Default 8. */
  readonly retries?: number;
  /** First retry backoff, ms; doubles each attempt up to 5 s. Default 100. */
  readonly retryBackoffMs?: number;
  /** Deadline of one Produce call, ms. Default 30000. */
  readonly requestTimeoutMs?: number;
}

export interface ProducerMessage {
  readonly topic: string;
  readonly key?: Uint8Array | string;
  readonly value: Uint8Array | string;
  readonly headers?: Record<string, Uint8Array | string> | ReadonlyArray<readonly [string, Uint8Array | string]>;
  /** Explicit partition; otherwise the broker picks by key (Kafka's murmur2) or round-robin. */
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
  readonly partition: number | undefined;
  readonly records: RecordsEncoder;
  readonly resolves: Array<(metadata: RecordMetadata) => void>;
  readonly rejects: Array<(err: unknown) => void>;
}

const noHeaders: ReadonlyArray<readonly [string, Uint8Array | string]> = [];

/**
 * Sends records in batches. `send()` resolves with the record's partition and
 * offset once the batch holding it is acknowledged. Records of one topic (and
 * explicit partition) are grouped for up to `lingerMs` or `batchBytes`; batches
 * of one topic go one at a time, so records of a partition keep send() order
 * even across retries. Every batch carries this producer's id and a new
 * sequence number, so a retry after a lost answer is recognised by the broker
 * and answered with the original offsets: a retry never duplicates.
 */
export class Producer {
  /** Idempotence: a random id for this producer's lifetime (63 bits, non-zero). */
  readonly producerId: bigint;
  private sequence = 0n;
  private readonly client: ServiceClient<(typeof ProduceService)["method"]>;
  private readonly open = new Map<string, Batch>();
  private readonly queues = new Map<string, Batch[]>();
  private readonly busyTopics = new Set<string>();
  private inFlight = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly idle = new Set<() => void>();
  private readonly options: Required<Omit<ProducerOptions, "broker" | keyof ClientOptions>>;

  constructor(options: ProducerOptions = {}) {
    this.client = createClient(ProduceService, options.broker ?? "127.0.0.1:7070", options);
    this.options = {
      lingerMs: options.lingerMs ?? 5,
      batchBytes: options.batchBytes ?? 1024 * 1024,
      maxInFlight: options.maxInFlight ?? 5,
      acks: options.acks ?? Acks.LEADER,
      retries: options.retries ?? 8,
      retryBackoffMs: options.retryBackoffMs ?? 100,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    };
    const id = randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;
    this.producerId = id === 0n ? 1n : id;
  }

  send(message: ProducerMessage): Promise<RecordMetadata> {
    if (this.closed) return Promise.reject(new Error("producer is closed"));
    const headers =
      message.headers === undefined
        ? noHeaders
        : Array.isArray(message.headers)
          ? (message.headers as ReadonlyArray<readonly [string, Uint8Array | string]>)
          : Object.entries(message.headers);
    const slot = message.partition === undefined ? message.topic : `${message.topic}\u0000${message.partition}`;
    let batch = this.open.get(slot);
    if (batch === undefined) {
      batch = { topic: message.topic, partition: message.partition, records: new RecordsEncoder(), resolves: [], rejects: [] };
      this.open.set(slot, batch);
    }
    try {
      batch.records.add({ key: message.key, value: message.value, headers, timestampMs: message.timestampMs ?? 0 });
    } catch (err) {
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

  /** Sends everything buffered and resolves when all of it is acknowledged or failed. */
  async flush(): Promise<void> {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    for (const slot of [...this.open.keys()]) this.seal(slot);
    if (this.inFlight === 0 && [...this.queues.values()].every((q) => q.length === 0)) return;
    await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  /** Flushes, then closes the connection. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.client.close();
  }

  private seal(slot: string): void {
    const batch = this.open.get(slot);
    if (batch === undefined) return;
    this.open.delete(slot);
    if (batch.records.count === 0) return; // its only record failed to encode
    let queue = this.queues.get(batch.topic);
    if (queue === undefined) this.queues.set(batch.topic, (queue = []));
    queue.push(batch);
    this.pump();
  }

  /** Starts batches while there is room: one per topic at a time, maxInFlight overall. */
  private pump(): void {
    for (const [topic, queue] of this.queues) {
      if (this.inFlight >= this.options.maxInFlight) return;
      if (queue.length === 0 || this.busyTopics.has(topic)) continue;
      const batch = queue.shift()!;
      this.busyTopics.add(topic);
      this.inFlight++;
      void this.sendBatch(batch).finally(() => {
        this.busyTopics.delete(topic);
        this.inFlight--;
        this.pump();
        if (this.inFlight === 0 && [...this.queues.values()].every((q) => q.length === 0) && this.open.size === 0) {
          for (const resolve of this.idle) resolve();
          this.idle.clear();
        }
      });
    }
  }

  private async sendBatch(batch: Batch): Promise<void> {
    const sequence = ++this.sequence;
    // Encoded once: a retry sends the same bytes (same sequence), which is what lets
    // the broker answer it as a duplicate.
    const request = batch.records.finish({
      topic: batch.topic,
      partition: batch.partition,
      acks: this.options.acks,
      producerId: this.producerId,
      sequence,
    }) as unknown as MessageInitShape<typeof ProduceRequestSchema>;
    let answer: ProduceResponse | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        answer = await this.client.produce(request, { deadline: this.options.requestTimeoutMs });
        break;
      } catch (err) {
        if (!isRetriable(err) || attempt + 1 >= this.options.retries) {
          for (const reject of batch.rejects) reject(err);
          return;
        }
        await delay(backoffMs(attempt, this.options.retryBackoffMs, 5_000));
      }
    }
    const { topic, resolves } = batch;
    for (const result of answer.results) {
      const { partition, baseOffset, recordIndexes } = result;
      if (recordIndexes.length > 0) {
        for (let i = 0; i < recordIndexes.length; i++) resolves[recordIndexes[i]]({ topic, partition, offset: baseOffset + BigInt(i) });
      } else {
        for (let i = 0; i < resolves.length; i++) resolves[i]({ topic, partition, offset: baseOffset + BigInt(i) });
      }
    }
  }
}
