import assert from "node:assert";
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { BrokerConfig } from "../config.js";
import { InvalidArgumentError, ShuttingDownError, TributaryError, UnknownPartitionError, UnknownTopicError } from "../errors.js";
import { atomicTmpSuffix, fsyncDir, Log, OpenSegmentFiles, storageError, unlinkIfExists, writeFileAtomic } from "../log/index.js";
import { OpenFileBudget } from "./open-file-budget.js";
import {
  effectiveTopicConfig,
  toLogConfig,
  validateTopicConfig,
  type TopicConfigOverrides,
  type TopicConfigValues,
} from "./topic-config.js";
import {
  isInternalTopic,
  metadataFileName,
  parsePartitionDirName,
  partitionDirName,
  refuseInternalTopic,
  topicOfMetadataFile,
  validateTopicName,
} from "./topic-name.js";
import type { Clock } from "../clock.js";

/** Partitions closed at once on shutdown (each opens a few files to save its state). */
const closeConcurrency = 16;

/** A topic and its open partition logs. Handlers read it; only TopicManager changes it. */
export interface Topic {
  readonly name: string;
  readonly internal: boolean;
  readonly createdTimeMs: number;
  readonly overrides: TopicConfigOverrides;
  readonly config: TopicConfigValues;
  /** Index = partition. */
  readonly logs: readonly Log[];
  /** Aborted when the topic is deleted or the broker closes: tailing readers stop waiting. */
  readonly closed: AbortSignal;
  /** Next partition for a record without a key (round-robin). */
  nextRoundRobin: number;
  /** The topic's id in a cluster (KIP-516, from etcd); undefined on a single broker. */
  readonly topicId: string | undefined;
}

interface MutableTopic extends Topic {
  overrides: TopicConfigOverrides;
  config: TopicConfigValues;
  logs: Log[];
  controller: AbortController;
}

/** What `meta/topics/<name>.json` holds: the commit point of a topic's existence. */
interface TopicMetadata {
  name: string;
  partitions: number;
  overrides: TopicConfigOverrides;
  createdTimeMs: number;
  /** Cluster mode: the topic id from etcd, also in each partition directory's `topic-id`. */
  topicId?: string;
}

/** A partition directory's copy of its topic's id (cluster mode). */
const topicIdFile = "topic-id";

/**
 * The data directory's topics (Kafka's LogManager role). Layout:
 *   <data>/meta/cluster.json          cluster id, created once
 *   <data>/meta/topics/<name>.json    a topic's partition count and overrides
 *   <data>/<name>-<partition>/        a partition's segments (services/log)
 * A topic exists iff its metadata file does: creation writes partitions first
 * and the metadata last; deletion removes the metadata first. Partition
 * directories without metadata are leftovers of an interrupted create or
 * delete and are removed on open. Admin changes are serialized.
 *
 * Visibility follows durability (issue 14): a new topic, or a new partition, is
 * in `topics` (listed, writable) only once its metadata is fsynced; a create or
 * CreatePartitions that fails removes what it made (partition directories, the
 * metadata's temporary file) before it answers, so nothing was acknowledged into
 * a partition that a restart would remove. Names are short enough for every file
 * made from them (topic-name.ts).
 */
export class TopicManager {
  private readonly topics = new Map<string, MutableTopic>();
  private adminQueue: Promise<unknown> = Promise.resolve();
  private retentionTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly changeListeners = new Set<(topic: string) => void>();
  private readonly stopping = new AbortController();
  private readonly fileBudget = new OpenFileBudget();
  /** Bounds the sealed segments' files held open across every partition. */
  private readonly openFiles: OpenSegmentFiles;
  /** Aborted when the broker starts shutting down: long-lived readers end. */
  readonly shutdown: AbortSignal = this.stopping.signal;

  private constructor(
    readonly config: BrokerConfig,
    readonly clusterId: string,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly onFsync?: (seconds: number) => void,
    private readonly replicated = false,
  ) {
    this.openFiles = new OpenSegmentFiles(this.fileBudget.capShare(config.maxOpenSegmentFiles));
  }

  /** @param options.onFsync observes every log's fsync latency in seconds (metrics) */
  static async open(options: {
    config: BrokerConfig;
    logger: Logger;
    clock: Clock;
    onFsync?: (seconds: number) => void;
    /** Cluster mode: partitions are replicas whose high watermark replication moves. */
    replicated?: boolean;
  }): Promise<TopicManager> {
    const { config, logger, clock } = options;
    const metaDir = join(config.dataDir, "meta", "topics");
    await mkdir(metaDir, { recursive: true });
    const clusterId = await readOrCreateClusterId(join(config.dataDir, "meta", "cluster.json"));
    const manager = new TopicManager(config, clusterId, logger.child({ component: "topics" }), clock, options.onFsync, options.replicated);

    const known = new Set<string>();
    for (const file of await readdir(metaDir)) {
      if (file.endsWith(atomicTmpSuffix)) {
        // A metadata replacement that did not reach its rename: the .json, if any, is whole.
        await unlinkIfExists(join(metaDir, file));
        continue;
      }
      if (topicOfMetadataFile(file) === null) continue;
      const meta = JSON.parse(await readFile(join(metaDir, file), "utf8")) as TopicMetadata;
      known.add(meta.name);
      manager.register(await manager.openTopic(meta));
    }
    for (const entry of await readdir(config.dataDir, { withFileTypes: true })) {
      const parsed = parsePartitionDirName(entry.name);
      if (!entry.isDirectory() || parsed === null) continue;
      const topic = manager.topics.get(parsed.topic);
      if (topic === undefined || parsed.partition >= topic.logs.length) {
        manager.log.warn({ path: entry.name }, "removing partition directory without topic metadata");
        await rm(join(config.dataDir, entry.name), { recursive: true, force: true });
      }
    }
    manager.retentionTimer = setInterval(() => void manager.applyRetention(), config.retentionCheckIntervalMs);
    manager.retentionTimer.unref();
    manager.log.info({ topics: known.size, clusterId }, "topics opened");
    return manager;
  }

  /** The topic, or NOT_FOUND UNKNOWN_TOPIC. */
  get(name: string): Topic {
    const topic = this.topics.get(name);
    if (topic === undefined) throw unknownTopic(name);
    return topic;
  }

  /** A partition's log, or NOT_FOUND UNKNOWN_TOPIC / UNKNOWN_PARTITION. */
  partition(name: string, partition: number): Log {
    const topic = this.get(name);
    const log = topic.logs[partition];
    if (log === undefined) throw unknownPartition(name, partition, topic.logs.length);
    return log;
  }

  list(includeInternal: boolean): Topic[] {
    return [...this.topics.values()]
      .filter((t) => includeInternal || !t.internal)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Calls `listener` after a topic is created or deleted or gains partitions
   * (the group coordinator rebalances on it). Returns the unsubscribe.
   */
  /** The topic, or undefined when it does not exist (internal topics included). */
  find(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  onChange(listener: (topic: string) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /**
   * @param options.internal the broker's own topics (names starting with "__"),
   *   which clients may not create, delete or change
   */
  create(
    name: string,
    partitions: number,
    overrides: TopicConfigOverrides,
    options: { internal?: boolean; topicId?: string } = {},
  ): Promise<Topic> {
    validateTopicName(name);
    if (options.internal === true) assert(isInternalTopic(name), "the broker's own topics start with __");
    else refuseInternalTopic(name);
    this.validatePartitionCount(partitions);
    validateTopicConfig(overrides, this.config);
    return this.serialize(async () => {
      if (this.topics.has(name)) {
        throw new TributaryError("exists", "TOPIC_EXISTS", `topic ${name} already exists`);
      }
      // The broker's own topics are created at start-up, before any client: never refused.
      if (options.internal !== true) this.checkResources(partitions);
      const meta: TopicMetadata = { name, partitions, overrides, createdTimeMs: this.clock.nowMs(), topicId: options.topicId };
      const topic = await this.openTopic(meta, true).catch((err: unknown) => Promise.reject(asClientError(err)));
      try {
        await fsyncDir(this.config.dataDir);
        await this.writeMetadata(meta);
      } catch (err) {
        await this.undoCreate(name, topic.logs, null);
        throw asClientError(err);
      }
      this.register(topic);
      this.log.info({ topic: name, partitions }, "topic created");
      this.changed(name);
      return topic;
    });
  }

  /** @param options.internal cluster mode only: an internal topic replaced by etcd's
   *   (another topic id, KIP-516) may go too */
  delete(name: string, options: { internal?: boolean } = {}): Promise<void> {
    return this.serialize(async () => {
      const topic = options.internal === true && isInternalTopic(name) ? this.topics.get(name) : this.mutableTopic(name);
      if (topic === undefined) throw unknownTopic(name);
      await unlink(this.metadataPath(name));
      await fsyncDir(join(this.config.dataDir, "meta", "topics"));
      this.topics.delete(name);
      topic.controller.abort();
      await Promise.all(topic.logs.map((log) => log.delete()));
      this.log.info({ topic: name }, "topic deleted");
      this.changed(name);
    });
  }

  createPartitions(name: string, totalCount: number): Promise<Topic> {
    return this.serialize(async () => {
      const topic = this.mutableTopic(name);
      if (!Number.isInteger(totalCount) || totalCount <= topic.logs.length) {
        throw new InvalidArgumentError(
          "INVALID_PARTITIONS",
          `the new partition count must be larger than the current ${topic.logs.length}`,
        );
      }
      this.validatePartitionCount(totalCount);
      this.checkResources(totalCount - topic.logs.length);
      // The new partitions join `topic.logs` only once the metadata naming them is durable.
      const added: Log[] = [];
      const before = this.metadataOf(topic);
      try {
        for (let p = topic.logs.length; p < totalCount; p++) added.push(await this.openLog(topic, p, true));
        await fsyncDir(this.config.dataDir);
        await this.writeMetadata({ ...this.metadataOf(topic), partitions: totalCount });
      } catch (err) {
        await this.undoCreate(name, added, before);
        throw asClientError(err);
      }
      topic.logs.push(...added);
      this.log.info({ topic: name, partitions: totalCount }, "partitions created");
      this.changed(name);
      return topic;
    });
  }

  updateConfig(name: string, changes: TopicConfigOverrides): Promise<Topic> {
    validateTopicConfig(changes, this.config);
    return this.serialize(async () => {
      const topic = this.mutableTopic(name);
      const overrides = { ...topic.overrides };
      for (const [key, value] of Object.entries(changes)) {
        if (value !== undefined) (overrides as Record<string, unknown>)[key] = value;
      }
      await this.writeMetadata({ ...this.metadataOf(topic), overrides });
      topic.overrides = overrides;
      topic.config = effectiveTopicConfig(this.config, overrides);
      const logConfig = toLogConfig(topic.config, this.config);
      for (const log of topic.logs) log.updateConfig(logConfig);
      this.log.info({ topic: name }, "topic config updated");
      return topic;
    });
  }

  /** Deletes old segments in every partition; also run on a timer. */
  async applyRetention(): Promise<number> {
    let deleted = 0;
    for (const topic of [...this.topics.values()]) {
      for (const log of topic.logs) {
        if (topic.closed.aborted) break;
        try {
          deleted += await log.applyRetention(this.clock.nowMs());
        } catch (err) {
          if (!topic.closed.aborted) this.log.error({ err, topic: topic.name }, "retention failed");
        }
      }
    }
    return deleted;
  }

  /** Ends every tailing reader (Subscribe streams, waiting Fetches) before shutdown. */
  stopReaders(): void {
    this.stopping.abort();
    for (const topic of this.topics.values()) topic.controller.abort();
  }

  /** Flushes and closes every partition. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.retentionTimer);
    await this.adminQueue.catch(() => undefined);
    const topics = [...this.topics.values()];
    for (const topic of topics) topic.controller.abort();
    const logs = topics.flatMap((topic) => topic.logs);
    // Log.close writes what is buffered, fsyncs it and saves indexes and producer state,
    // opening a few files for it: a bounded number at a time, so that a broker near its
    // descriptor limit still shuts down cleanly (issue 14), rather than all at once.
    let next = 0;
    const failures: unknown[] = [];
    const closeNext = async (): Promise<void> => {
      while (next < logs.length) await logs[next++].close().catch((err: unknown) => failures.push(err));
    };
    await Promise.all(Array.from({ length: Math.min(closeConcurrency, logs.length) }, closeNext));
    if (failures.length > 0) throw failures[0];
    this.openFiles.stop();
    this.log.info({ topics: topics.length, partitions: logs.length }, "topics closed: every partition flushed and fsynced");
  }

  /**
   * A topic a client may change (Produce, DeleteRecords, and the admin changes
   * below): it is not internal (checked first, so absent "__" names answer the
   * same) and exists.
   * @throws InvalidArgumentError INTERNAL_TOPIC; NOT_FOUND UNKNOWN_TOPIC
   */
  mutable(name: string): Topic {
    return this.mutableTopic(name);
  }

  /** A partition of a topic a client may change; see `mutable`.
   * @throws as `mutable`; NOT_FOUND UNKNOWN_PARTITION */
  mutablePartition(name: string, partition: number): Log {
    const topic = this.mutableTopic(name);
    const log = topic.logs[partition];
    if (log === undefined) throw unknownPartition(name, partition, topic.logs.length);
    return log;
  }

  private mutableTopic(name: string): MutableTopic {
    refuseInternalTopic(name);
    const topic = this.topics.get(name);
    if (topic === undefined) throw unknownTopic(name);
    return topic;
  }

  private changed(topic: string): void {
    for (const listener of this.changeListeners) {
      try {
        listener(topic);
      } catch (err) {
        this.log.error({ err, topic }, "topic change listener failed");
      }
    }
  }

  /** Makes an opened topic visible: listed, readable, writable. */
  private register(topic: MutableTopic): void {
    this.topics.set(topic.name, topic);
  }

  /**
   * Removes what a failed create or CreatePartitions made: the partitions it opened
   * (their directories), the metadata's temporary file, and the metadata itself if the
   * failure came after its rename (only its fsync failed): removed for a new topic,
   * put back as `restore` for CreatePartitions. A failure here is logged; the next
   * start removes partition directories without metadata anyway.
   */
  private async undoCreate(name: string, logs: readonly Log[], restore: TopicMetadata | null): Promise<void> {
    const failed = (what: string) => (err: unknown) => this.log.error({ err, topic: name }, `${what} of a failed create failed`);
    for (const log of logs) await log.delete().catch(failed("removing a partition"));
    await unlinkIfExists(this.metadataPath(name) + atomicTmpSuffix).catch(failed("removing the metadata's temporary file"));
    if (restore === null) await unlinkIfExists(this.metadataPath(name)).catch(failed("removing the metadata"));
    else if (await this.storedPartitions(name).catch(() => undefined) !== restore.partitions) {
      await this.writeMetadata(restore).catch(failed("restoring the metadata"));
    }
    this.log.warn({ topic: name, partitions: logs.length }, "topic change failed; its new partitions were removed");
  }

  /**
   * Opens a topic's partitions, not yet visible (see `register`). If one fails to
   * open, the ones opened before it are closed, and removed too for a new topic
   * (`isNew`); an existing topic's partitions are never removed here.
   */
  private async openTopic(meta: TopicMetadata, isNew = false): Promise<MutableTopic> {
    const controller = new AbortController();
    const topic: MutableTopic = {
      name: meta.name,
      internal: isInternalTopic(meta.name),
      createdTimeMs: meta.createdTimeMs,
      overrides: meta.overrides,
      config: effectiveTopicConfig(this.config, meta.overrides),
      logs: [],
      controller,
      closed: controller.signal,
      nextRoundRobin: 0,
      topicId: meta.topicId,
    };
    try {
      for (let p = 0; p < meta.partitions; p++) topic.logs.push(await this.openLog(topic, p, isNew));
    } catch (err) {
      if (isNew) await this.undoCreate(meta.name, topic.logs, null);
      else await Promise.all(topic.logs.map((log) => log.close().catch(() => undefined)));
      throw err;
    }
    return topic;
  }

  /** @param fresh a partition that no metadata names yet: a directory left in its
   *   place (a removal that failed) is an orphan, and goes before the log is opened */
  private async openLog(topic: Topic, partition: number, fresh = false): Promise<Log> {
    const dir = join(this.config.dataDir, partitionDirName(topic.name, partition));
    if (fresh) await rm(dir, { recursive: true, force: true });
    if (topic.topicId !== undefined) await this.claimPartitionDir(dir, topic.topicId);
    return Log.open({
      dir,
      config: toLogConfig(topic.config, this.config),
      logger: this.log.child({ topic: topic.name, partition }),
      clock: this.clock,
      onFsync: this.onFsync,
      openFiles: this.openFiles,
      replicated: this.replicated,
    });
  }

  /**
   * Cluster mode (KIP-516): a partition directory holds its topic's id. One holding
   * another id is data of a deleted topic of the same name and goes, so that it is
   * never served as the new topic's.
   */
  private async claimPartitionDir(dir: string, topicId: string): Promise<void> {
    const path = join(dir, topicIdFile);
    const stored = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    if (stored === topicId) return;
    if (stored !== undefined) {
      this.log.warn({ path: dir, stored, topicId }, "removing a partition directory of an older topic of the same name");
      await rm(dir, { recursive: true, force: true });
    }
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(path, Buffer.from(topicId), true);
  }

  /**
   * Refuses `newPartitions` more partitions beyond the broker's partition limit, or
   * when their files would leave too few descriptors (OpenFileBudget): a client is
   * refused before the process runs out, not after.
   * @throws RESOURCE_EXHAUSTED TOO_MANY_PARTITIONS, TOO_MANY_OPEN_FILES
   */
  private checkResources(newPartitions: number): void {
    let total = 0;
    for (const topic of this.topics.values()) total += topic.logs.length;
    if (total + newPartitions > this.config.maxPartitions) {
      throw new TributaryError(
        "exhausted",
        "TOO_MANY_PARTITIONS",
        `the broker has ${total} partitions; ${newPartitions} more would pass its maxPartitions (${this.config.maxPartitions})`,
      );
    }
    this.fileBudget.check(newPartitions, this.openFiles.maxOpen - this.openFiles.openCount);
  }

  private validatePartitionCount(partitions: number): void {
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > this.config.maxPartitionsPerTopic) {
      throw new InvalidArgumentError(
        "INVALID_PARTITIONS",
        `partitions must be from 1 to ${this.config.maxPartitionsPerTopic}`,
      );
    }
  }

  private metadataOf(topic: Topic): TopicMetadata {
    return {
      name: topic.name,
      partitions: topic.logs.length,
      overrides: topic.overrides,
      createdTimeMs: topic.createdTimeMs,
      topicId: topic.topicId,
    };
  }

  private metadataPath(name: string): string {
    return join(this.config.dataDir, "meta", "topics", metadataFileName(name));
  }

  /** The partition count the topic's metadata file holds now. */
  private async storedPartitions(name: string): Promise<number> {
    return (JSON.parse(await readFile(this.metadataPath(name), "utf8")) as TopicMetadata).partitions;
  }

  private writeMetadata(meta: TopicMetadata): Promise<void> {
    return writeFileAtomic(this.metadataPath(meta.name), Buffer.from(JSON.stringify(meta, null, 2)), true);
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new ShuttingDownError());
    const result = this.adminQueue.then(task);
    this.adminQueue = result.catch(() => undefined);
    return result;
  }
}

async function readOrCreateClusterId(path: string): Promise<string> {
  try {
    return (JSON.parse(await readFile(path, "utf8")) as { clusterId: string }).clusterId;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    const clusterId = randomUUID();
    await writeFileAtomic(path, Buffer.from(JSON.stringify({ clusterId })), true);
    return clusterId;
  }
}

/** A storage failure becomes its typed error (STORAGE_FULL, STORAGE_ERROR) rather than INTERNAL. */
function asClientError(err: unknown): Error {
  return err instanceof TributaryError ? err : storageError(err);
}

function unknownTopic(name: string): TributaryError {
  return new UnknownTopicError(`topic ${name} does not exist`);
}

function unknownPartition(name: string, partition: number, count: number): TributaryError {
  return new UnknownPartitionError(name, partition, count);
}
