import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import type { Log, RecordSpans } from "../log/index.js";
import { partitionForKey } from "../partitioner/index.js";
import type { TopicManager } from "../topics/index.js";
import { FetchResponseSchema } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProducerRecordSchema } from "../../gen/ts/tributary/v1/record_pb.js";

/** The internal compacted topic that holds every group's committed offsets. */
export const offsetsTopic = "__consumer_offsets";

export interface CommittedOffset {
  readonly offset: bigint;
  readonly metadata: string;
  readonly commitTimeMs: number;
  /** The leader epoch of the record at offset - 1 (Kafka's committed leader epoch);
   * undefined for commits stored before epochs existed. */
  readonly leaderEpoch?: number;
}

export interface OffsetCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly metadata: string;
  readonly leaderEpoch?: number;
}

/**
 * Appends encoded offset records to the group's partition of `__consumer_offsets` and
 * resolves once they are as durable as the store promises: on one broker the local
 * append's durability, in a cluster an acks=ALL acknowledgement by the partition's
 * leader (services/cluster/coordinator).
 */
export type OffsetAppender = (partition: number, spans: RecordSpans) => Promise<void>;

/**
 * Committed offsets, durable as records of `__consumer_offsets` (Kafka's
 * design): one record per (group, topic, partition), key
 * `["group","topic",partition]` and value `{"offset":"N","metadata":"…",
 * "commitTimeMs":T,"leaderEpoch":E}` as JSON (leaderEpoch absent in older records), an empty value as the tombstone of a deleted
 * group. A group's records all go to partition murmur2(group) of the topic, so
 * one group's commits stay ordered. The topic is compacted (newest record per
 * key); reads are served from memory.
 *
 * On one broker (`open`) every partition is replayed at start. In a cluster
 * (`forCluster`) the store holds only the partitions this broker leads: the
 * coordination replays one when this broker becomes its leader (`load`) and forgets
 * it when the leadership ends (`drop`).
 */
export class OffsetStore {
  /** group -> "topic\0partition" -> offset */
  private readonly offsets = new Map<string, Map<string, CommittedOffset & { topic: string; partition: number }>>();

  private constructor(
    private readonly partitionCount: () => number,
    private readonly appender: OffsetAppender,
    private readonly log: Logger,
  ) {}

  static async open(options: { topics: TopicManager; partitions: number; logger: Logger }): Promise<OffsetStore> {
    const { topics, logger } = options;
    let topic = topics.list(true).find((t) => t.name === offsetsTopic);
    topic ??= await topics.create(offsetsTopic, options.partitions, { cleanupPolicy: "compact" }, { internal: true });
    const logs = topic.logs;
    const store = new OffsetStore(
      () => logs.length,
      async (partition, spans) => {
        await logs[partition].append(spans).durable;
      },
      logger.child({ component: "offsets" }),
    );
    let records = 0;
    for (const log of topic.logs) records += await store.replay(log, log.highWatermark);
    store.log.info({ groups: store.offsets.size, records }, "committed offsets loaded");
    return store;
  }

  /**
   * Cluster mode: an empty store; `partitions` is __consumer_offsets' partition count
   * (fixed at creation), `append` writes through the partition's leader.
   */
  static forCluster(options: { partitions: () => number; append: OffsetAppender; logger: Logger }): OffsetStore {
    return new OffsetStore(options.partitions, options.append, options.logger.child({ component: "offsets" }));
  }

  /** The group's partition of __consumer_offsets: murmur2(group id), as Kafka. */
  partitionOf(groupId: string): number {
    return partitionForKey(Buffer.from(groupId), this.partitionCount());
  }

  /**
   * Cluster mode: replays one partition from `log` up to `endOffset` (its log end when
   * this broker became leader), reading only below the high watermark: resolves once
   * the high watermark has reached `endOffset`, or rejects when `signal` aborts. The
   * groups of that partition are replaced by what the log says.
   */
  async load(partition: number, log: Log, endOffset: bigint, signal: AbortSignal): Promise<number> {
    this.drop(partition);
    let offset = log.logStartOffset;
    let count = 0;
    while (offset < endOffset) {
      signal.throwIfAborted();
      if (log.highWatermark <= offset) {
        await waitForHighWatermark(log, offset + 1n, signal);
        continue;
      }
      const upTo = log.highWatermark < endOffset ? log.highWatermark : endOffset;
      const before = offset;
      ({ offset, count } = await this.replayRange(log, offset, upTo, count));
      if (offset === before) await waitForHighWatermark(log, offset + 1n, signal);
    }
    return count;
  }

  /** Forgets the groups of one partition (cluster mode: another broker leads it now). */
  drop(partition: number): string[] {
    const dropped: string[] = [];
    for (const groupId of [...this.offsets.keys()]) {
      if (this.partitionOf(groupId) !== partition) continue;
      this.offsets.delete(groupId);
      dropped.push(groupId);
    }
    return dropped;
  }

  /** Appends the commits and resolves once they are as durable as an acknowledged produce.
   * `stillCurrent`, checked after the append, says whether memory may be updated (cluster
   * mode: the partition was not dropped meanwhile). */
  async commit(groupId: string, commits: readonly OffsetCommit[], nowMs: number, stillCurrent: () => boolean = () => true): Promise<void> {
    if (commits.length === 0) return;
    const encoded = commits.map((c) =>
      encodeRecord(
        keyOf(groupId, c.topic, c.partition),
        JSON.stringify({ offset: c.offset.toString(), metadata: c.metadata, commitTimeMs: nowMs, leaderEpoch: c.leaderEpoch }),
      ),
    );
    await this.append(groupId, encoded);
    if (!stillCurrent()) return;
    for (const c of commits) {
      this.apply(groupId, c.topic, c.partition, { offset: c.offset, metadata: c.metadata, commitTimeMs: nowMs, leaderEpoch: c.leaderEpoch });
    }
  }

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(groupId)?.get(`${topic}\u0000${partition}`);
  }

  /** A group's committed offsets, sorted by topic and partition. */
  list(groupId: string): Array<CommittedOffset & { topic: string; partition: number }> {
    return [...(this.offsets.get(groupId)?.values() ?? [])].sort((a, b) =>
      a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
    );
  }

  /** Groups with at least one committed offset. */
  groups(): string[] {
    return [...this.offsets.keys()];
  }

  /** The newest commit time of the group's offsets (clock ms), or undefined without any. */
  lastCommitMs(groupId: string): number | undefined {
    let newest: number | undefined;
    for (const c of this.offsets.get(groupId)?.values() ?? []) {
      if (newest === undefined || c.commitTimeMs > newest) newest = c.commitTimeMs;
    }
    return newest;
  }

  /**
   * Writes tombstones for every offset of the group and forgets them, so that
   * compaction removes the records and a restart does not bring them back. A commit
   * that lands while the tombstones are written is newer than them in the log and
   * stays, in memory too.
   */
  async deleteGroup(groupId: string): Promise<void> {
    const group = this.offsets.get(groupId);
    if (group === undefined) return;
    const entries = [...group.entries()];
    await this.append(
      groupId,
      entries.map(([, e]) => encodeRecord(keyOf(groupId, e.topic, e.partition), null)),
    );
    const current = this.offsets.get(groupId);
    for (const [key, e] of entries) if (current?.get(key) === e) current.delete(key);
    if (current?.size === 0) this.offsets.delete(groupId);
  }

  private async append(groupId: string, records: Buffer[]): Promise<void> {
    const source = Buffer.concat(records);
    const spans: RecordSpans = {
      source,
      starts: new Uint32Array(records.length),
      ends: new Uint32Array(records.length),
      timestamps: new Float64Array(records.length),
      count: records.length,
    };
    let at = 0;
    records.forEach((r, i) => {
      spans.starts[i] = at;
      at += r.length;
      spans.ends[i] = at;
    });
    await this.appender(this.partitionOf(groupId), spans);
  }

  private apply(groupId: string, topic: string, partition: number, value: CommittedOffset | null): void {
    const key = `${topic}\u0000${partition}`;
    if (value === null) {
      const group = this.offsets.get(groupId);
      group?.delete(key);
      if (group?.size === 0) this.offsets.delete(groupId);
      return;
    }
    let group = this.offsets.get(groupId);
    if (group === undefined) this.offsets.set(groupId, (group = new Map()));
    group.set(key, { ...value, topic, partition });
  }

  /** Replays one partition of the topic below `endOffset`; a record that does not parse is logged and skipped. */
  private async replay(log: Log, endOffset: bigint): Promise<number> {
    return (await this.replayRange(log, log.logStartOffset, endOffset, 0)).count;
  }

  private async replayRange(log: Log, from: bigint, endOffset: bigint, counted: number): Promise<{ offset: bigint; count: number }> {
    let offset = from;
    let count = counted;
    while (offset < endOffset && offset < log.highWatermark) {
      const data = await log.read(offset, 4 * 1024 * 1024);
      if (data.recordCount === 0) {
        if (data.nextOffset > offset) offset = data.nextOffset;
        break;
      }
      const { records } = fromBinary(FetchResponseSchema, Buffer.concat(data.chunks));
      for (const record of records) {
        if (record.offset >= endOffset) break; // a read returns whole batches
        try {
          const [groupId, topic, partition] = JSON.parse(Buffer.from(record.key).toString()) as [string, string, number];
          if (record.value.length === 0) {
            this.apply(groupId, topic, partition, null);
          } else {
            const value = JSON.parse(Buffer.from(record.value).toString()) as {
              offset: string;
              metadata: string;
              commitTimeMs: number;
              leaderEpoch?: number;
            };
            this.apply(groupId, topic, partition, {
              offset: BigInt(value.offset),
              metadata: value.metadata,
              commitTimeMs: value.commitTimeMs,
              leaderEpoch: Number.isSafeInteger(value.leaderEpoch) ? value.leaderEpoch : undefined,
            });
          }
          count++;
        } catch (err) {
          this.log.warn({ err, offset: record.offset }, "skipping unreadable offset record");
        }
      }
      offset = data.nextOffset < endOffset ? data.nextOffset : endOffset;
    }
    return { offset, count };
  }
}

/** Resolves once the log's high watermark is at or above `offset`; rejects when `signal` aborts. */
function waitForHighWatermark(log: Log, offset: bigint, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (log.highWatermark >= offset) return resolve();
    const done = (err?: unknown) => {
      off();
      signal.removeEventListener("abort", onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onAbort = () => done(signal.reason ?? new Error("aborted"));
    const off = log.onHighWatermark(() => {
      if (log.highWatermark >= offset) done();
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}

function keyOf(groupId: string, topic: string, partition: number): string {
  return JSON.stringify([groupId, topic, partition]);
}

/**
 * A ProducerRecord with key (field 3) and value (field 4); no value is a tombstone.
 * protobuf-es leaves empty fields out, so a tombstone's bytes are the key field alone,
 * as records written before this encoder have them (the value is never empty JSON).
 */
function encodeRecord(key: string, value: string | null): Buffer {
  const record = create(ProducerRecordSchema, { key: Buffer.from(key) });
  if (value !== null) record.value = Buffer.from(value);
  const bytes = toBinary(ProducerRecordSchema, record);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
