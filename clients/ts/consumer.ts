import { Metadata, status } from "@grpc/grpc-js";
import { CommitService, type CommitRequestSchema } from "../../gen/ts/tributary/v1/commit_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Assignor, FetchService, type SubscribeRequestSchema, type SubscribeRequest, type SubscribeResponse } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { bootstrapList, ClusterMetadata, defaultMetadataMaxAgeMs, isMetadataRefused, type TopicMetadata } from "./cluster-metadata.js";
import { GroupCoordinator } from "./group-coordinator.js";
import { errorReason, reasonMetadataKey, type ClientOptions, type ServerStream } from "./grpc-client.js";
import { decodeSubscribeResponse, type DecodedRecords } from "./records-decoder.js";
import { backoffMs, delay, isRetriable } from "./retry.js";

export type StartPosition = "earliest" | "latest" | { readonly offset: bigint } | { readonly timestampMs: number };

export interface ConsumerOptions extends ClientOptions {
  /** A broker address, HOST:PORT: a bootstrap list of one. Default 127.0.0.1:7070. */
  readonly broker?: string;
  /** Brokers to read the cluster's metadata from, HOST:PORT each, tried in order (after `broker`). */
  readonly bootstrap?: readonly string[];
  /** Metadata older than this is read again, ms. Default 300000 (Kafka's metadata.max.age.ms). */
  readonly metadataMaxAgeMs?: number;
  /** Group mode: the group to join, with `topics`. */
  readonly groupId?: string;
  readonly topics?: readonly string[];
  /** Explicit mode: one topic and its partitions (all when omitted). */
  readonly topic?: string;
  readonly partitions?: readonly number[];
  /** Where to start: explicit mode always; group mode where nothing is committed. Default "latest". */
  readonly from?: StartPosition;
  /** Group mode: commit processed offsets every autoCommitIntervalMs and on close. Default true. */
  readonly autoCommit?: boolean;
  /** Default 5000. */
  readonly autoCommitIntervalMs?: number;
  readonly clientId?: string;
  /** Static group membership. */
  readonly instanceId?: string;
  readonly assignor?: Assignor;
  /** First reconnect backoff, ms; doubles up to 5 s. Default 100. */
  readonly reconnectBackoffMs?: number;
  /** Group mode: deadline of one Commit call, ms. Default 30000. */
  readonly commitTimeoutMs?: number;
}

/** A commit waits for its replication (acks=ALL) and may meet a failover. */
const defaultCommitTimeoutMs = 30_000;

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly timestampMs: bigint;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly headers: ReadonlyArray<{ readonly key: string; readonly value: Uint8Array }>;
}

type Event = SubscribeResponse["event"];
type SubscribeInit = MessageInitShape<typeof SubscribeRequestSchema>;

/** The open Subscribe stream(s) of one connection attempt, read as one. */
interface OpenStreams {
  readonly events: AsyncIterator<SubscribeResponse>;
  cancel(): void;
}
const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const stopSignal = Symbol("stop");

/**
 * Reads records as an async iterator, over a consumer group or explicit
 * partitions. A record counts as processed once the loop asks for the next
 * one; commits (auto, manual, on revocation, on close) store processed
 * offsets only, so nothing is skipped. When the stream breaks it reconnects
 * with backoff: explicit partitions resume after the last record delivered,
 * a group member rejoins and resumes at the group's commits (at least once).
 *
 * Routing: explicit partitions are read from their leaders (ClusterMetadata),
 * one Subscribe per leader, merged. When any of them fails (NOT_LEADER, a broker
 * gone) or ends, all are closed, the metadata is read again and every partition
 * resumes after its last delivered record with its last epoch (a failover of
 * one partition briefly restarts the others' streams too). A group member talks
 * to the group's coordinator (GroupCoordinator: FindCoordinator at any broker);
 * when its stream fails (the coordinator died, was deposed: NOT_COORDINATOR, or is
 * still loading) it backs off, finds the coordinator again and rejoins there,
 * resuming at the group's commits: records processed and not yet committed are
 * delivered again, none is skipped.
 */
export class Consumer implements AsyncIterable<ConsumedRecord> {
  /** Group mode: the member id and generation of the last event, and owned partitions. */
  memberId = "";
  generation = 0;
  assignment: Array<{ topic: string; partition: number }> = [];
  private readonly metadata: ClusterMetadata;
  /** Group mode: where the member's stream and commits go. */
  private readonly coordinator: GroupCoordinator | undefined;
  /** Group mode: the coordinator the open stream went to. */
  private streamAddress: string | undefined;
  /** Next offset to process per partition (= last processed + 1). */
  private readonly processed = new Map<string, bigint>();
  /** The leader epoch of the last record processed per partition (KIP-320): passed when
   * resuming after it and committed with its offset, so the broker can tell a position
   * whose records an unclean restart truncated away (it answers offsetReset). */
  private readonly epochs = new Map<string, number>();
  /** The leader epoch of the message `current` came in. */
  private currentEpoch: number | undefined;
  /** Explicit mode: where to resume per partition after a reconnect or seek. */
  private readonly resume = new Map<string, bigint>();
  private readonly stop = new AbortController();
  private restart = new AbortController();
  private lastCommitMs = Date.now();
  private iterating = false;
  /** The record yielded to the application and not yet finished with. */
  private current: { topic: string; partition: number; offset: bigint } | undefined;
  private currentTopic = "";
  private currentPartition = -1;
  private currentKey = "";
  private exited: Promise<void> = Promise.resolve();
  private readonly group: boolean;

  constructor(private readonly options: ConsumerOptions) {
    this.group = options.groupId !== undefined;
    if (this.group ? !options.topics?.length : !options.topic) {
      throw new Error("a Consumer needs groupId with topics, or topic");
    }
    this.metadata = new ClusterMetadata({ ...options, bootstrap: bootstrapList(options) });
    if (this.group) this.coordinator = new GroupCoordinator(this.metadata, options.groupId!);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumedRecord> {
    if (this.iterating) throw new Error("a Consumer can be iterated once at a time");
    this.iterating = true;
    let exited!: () => void;
    this.exited = new Promise<void>((resolve) => (exited = resolve));
    const stopped = new Promise<typeof stopSignal>((resolve) =>
      this.stop.signal.addEventListener("abort", () => resolve(stopSignal), { once: true }),
    );
    let attempt = 0;
    try {
      while (!this.stop.signal.aborted) {
        let opened: OpenStreams | undefined;
        let pending: Promise<IteratorResult<SubscribeResponse>> | undefined;
        let failure: unknown;
        try {
          // Only a seek cancels the streams from here; close() first lets the final
          // commit read the stream's remaining events (see leave()).
          opened = await this.openStreams();
          const events = opened.events;
          for (;;) {
            if (this.restart.signal.aborted) break; // a seek while the streams opened
            pending ??= events.next();
            const next = await Promise.race([pending, stopped]);
            if (next === stopSignal) break;
            pending = undefined;
            if (next.done) break;
            attempt = 0;
            const event = next.value.event;
            if (event.case !== "records") {
              if (event.case === "assignment" && this.streamAddress !== undefined) this.coordinator?.joined(this.streamAddress);
              await this.apply(event);
              continue;
            }
            // Decoded by records-decoder.ts: the records are ConsumedRecords already.
            const { topic, partition, records, leaderEpoch } = (event as unknown as DecodedRecords).value;
            for (const r of records) {
              if (this.stop.signal.aborted || this.restart.signal.aborted) break;
              if (this.group && !this.owns(topic, partition)) break;
              // Leaving the loop body, by asking for the next record or by break,
              // means the application is done with this one.
              this.current = r;
              this.currentEpoch = leaderEpoch;
              yield r;
              this.finishCurrent();
            }
            await this.maybeAutoCommit();
          }
        } catch (err) {
          failure = err;
          if (this.stop.signal.aborted) break;
          if (!this.restart.signal.aborted && !isRetriable(err) && (err as { code?: number }).code !== status.CANCELLED) throw err;
        } finally {
          this.finishCurrent();
          if (opened !== undefined && !this.restart.signal.aborted) await this.leave(opened.events, pending);
          opened?.cancel();
        }
        if (this.restart.signal.aborted) {
          this.restart = new AbortController(); // a seek: reopen at once
          continue;
        }
        if (this.stop.signal.aborted) break;
        // A leader or the coordinator moved, or a broker went away: find them again.
        if (opened !== undefined && this.streamAddress !== undefined) this.coordinator?.failed(this.streamAddress, failure);
        // The next membership resumes at the group's commits: what this one processed
        // and could not commit (leave() tried) is delivered again, and must not be
        // committed over what another member committed since.
        if (this.group) {
          this.processed.clear();
          this.epochs.clear();
        }
        this.metadata.invalidate(this.group ? undefined : this.options.topic);
        await delay(backoffMs(attempt++, this.options.reconnectBackoffMs ?? 100, 5_000), this.stop.signal);
      }
    } finally {
      this.iterating = false;
      exited();
    }
  }

  /**
   * Group mode: stores the processed offsets of owned partitions at the coordinator.
   * Throws a stale-generation error during a rebalance, and UNAVAILABLE while the
   * coordinator moves (the member then rejoins and what was not committed is
   * delivered again).
   */
  async commit(): Promise<void> {
    if (!this.group) throw new Error("commit() needs a group");
    // Called from the loop body after handling a record: that record is done.
    this.finishCurrent();
    await this.commitPartitions(this.assignment, this.generation);
  }

  /**
   * Moves a partition's position. Explicit mode reopens the stream there; group
   * mode commits it (the member must own the partition) and rejoins.
   */
  async seek(topic: string, partition: number, offset: bigint): Promise<void> {
    if (this.group) {
      await this.commitAt({
        groupId: this.options.groupId!,
        memberId: this.memberId,
        generation: this.generation,
        offsets: [{ topic, partition, offset }],
      });
      this.processed.set(key(topic, partition), offset);
    }
    this.resume.set(key(topic, partition), offset);
    this.epochs.delete(key(topic, partition)); // a position of the application's choosing: nothing to check
    this.restart.abort();
  }

  /**
   * Stops iterating; in group mode commits what was processed and leaves the
   * group. Call it after leaving the for-await loop (or from elsewhere while
   * the loop waits): inside the loop body, break instead.
   */
  async close(): Promise<void> {
    this.stop.abort();
    if (this.iterating) await this.exited;
    this.metadata.close();
  }

  /**
   * Group mode: one Commit at the coordinator. A refusal that says the coordinator
   * moved, or a broker that did not answer, makes the next call find it again.
   */
  private async commitAt(request: MessageInitShape<typeof CommitRequestSchema>): Promise<void> {
    const address = await this.coordinator!.address();
    try {
      await this.metadata
        .client(CommitService, address)
        .commit(request, { deadline: this.options.commitTimeoutMs ?? defaultCommitTimeoutMs });
    } catch (err) {
      if (GroupCoordinator.moved(err) || isRetriable(err)) this.coordinator!.failed(address, err);
      throw err;
    }
  }

  private subscribe(address: string, request: SubscribeInit): ServerStream<SubscribeResponse> {
    const client = this.metadata.client(FetchService, address, { decoders: { subscribe: decodeSubscribeResponse } });
    return client.subscribe(request, { signal: this.restart.signal });
  }

  /**
   * Group mode: one stream at a reachable broker. Explicit mode: the partitions'
   * leaders from the metadata, one stream per leader (a single stream, with the
   * request as asked, when one broker leads them all).
   */
  private async openStreams(): Promise<OpenStreams> {
    const single = (address: string) => {
      const stream = this.subscribe(address, this.request());
      return { events: stream[Symbol.asyncIterator](), cancel: () => stream.cancel() };
    };
    if (this.group) {
      this.streamAddress = undefined;
      const address = await this.coordinator!.address();
      this.streamAddress = address;
      return single(address);
    }
    const topic = this.options.topic!;
    let metadata: TopicMetadata;
    try {
      metadata = await this.metadata.topic(topic);
    } catch (err) {
      if (!isMetadataRefused(err)) throw err;
      return single(await this.metadata.reachable()); // unrouted: the broker that answered serves it all
    }
    const asked = this.options.partitions?.length ? [...new Set(this.options.partitions)] : metadata.partitions.map((p) => p.partition);
    const byLeader = new Map<string, number[]>();
    for (const partition of asked) {
      let address = this.metadata.leaderAddress(topic, partition);
      if (address === undefined) {
        // A partition the topic does not have: the broker's answer is the error.
        if (metadata.partitions[partition] === undefined) address = await this.metadata.reachable();
        else throw offlineError(topic, partition);
      }
      byLeader.set(address, [...(byLeader.get(address) ?? []), partition]);
    }
    const opened =
      byLeader.size <= 1
        ? single(byLeader.keys().next().value ?? (await this.metadata.reachable()))
        : merge([...byLeader].map(([address, partitions]) => this.subscribe(address, this.request(partitions))));
    return this.watchLeaders(topic, byLeader, opened);
  }

  /**
   * A leader can move while its old broker keeps the stream open (it stays a
   * follower): every metadataMaxAgeMs the metadata is read again, and the streams
   * are closed when a partition's leader is elsewhere (the loop then reopens them).
   */
  private watchLeaders(topic: string, byLeader: ReadonlyMap<string, readonly number[]>, opened: OpenStreams): OpenStreams {
    const timer = setInterval(() => {
      this.metadata
        .topic(topic)
        .then(() => {
          for (const [address, partitions] of byLeader) {
            const moved = partitions.some((p) => {
              const now = this.metadata.leaderAddress(topic, p);
              return now !== undefined && now !== address;
            });
            if (moved) return opened.cancel();
          }
        })
        .catch(() => undefined); // the streams' own failures say more
    }, this.options.metadataMaxAgeMs ?? defaultMetadataMaxAgeMs);
    timer.unref();
    return {
      events: opened.events,
      cancel: () => {
        clearInterval(timer);
        opened.cancel();
      },
    };
  }

  /** The record the application has (yielded, loop body not yet left): done with it. */
  private finishCurrent(): void {
    const record = this.current;
    if (record === undefined) return;
    this.current = undefined;
    // The key string of the last partition is kept: records come in runs of one partition.
    if (record.topic !== this.currentTopic || record.partition !== this.currentPartition) {
      this.currentTopic = record.topic;
      this.currentPartition = record.partition;
      this.currentKey = key(record.topic, record.partition);
    }
    const next = record.offset + 1n;
    this.processed.set(this.currentKey, next);
    if (this.currentEpoch === undefined) this.epochs.delete(this.currentKey);
    else this.epochs.set(this.currentKey, this.currentEpoch);
    // After a seek, the stream reopens where the seek said, not after this record.
    if (!this.restart.signal.aborted) this.resume.set(this.currentKey, next);
  }

  private owns(topic: string, partition: number): boolean {
    return this.assignment.some((p) => p.topic === topic && p.partition === partition);
  }

  /** The Subscribe request; explicit mode: for `partitions` only when given (one leader's). */
  private request(partitions?: readonly number[]): SubscribeInit {
    const from = this.options.from ?? "latest";
    const startPosition: MessageInitShape<typeof SubscribeRequestSchema>["startPosition"] =
      from === "earliest"
        ? { case: "earliest", value: true }
        : from === "latest"
          ? { case: "latest", value: true }
          : "offset" in from
            ? { case: "offset", value: from.offset }
            : { case: "timestampMs", value: BigInt(from.timestampMs) };
    if (this.group) {
      return {
        groupId: this.options.groupId,
        topics: [...this.options.topics!],
        clientId: this.options.clientId ?? "",
        instanceId: this.options.instanceId ?? "",
        assignor: this.options.assignor ?? Assignor.UNSPECIFIED,
        startPosition,
      };
    }
    const base = { topic: this.options.topic, partitions: [...(partitions ?? this.options.partitions ?? [])] };
    // Resume exactly after what was delivered; partitions never read start as asked.
    const offsets = [...this.resume]
      .map(([k, offset]) => ({
        partition: Number(k.split("\u0000")[1]),
        offset,
        lastFetchedEpoch: this.processed.get(k) === offset ? this.epochs.get(k) : undefined,
      }))
      .filter((o) => partitions === undefined || partitions.includes(o.partition));
    if (offsets.length === 0) return { ...base, startPosition };
    return { ...base, startPosition: { case: "offsets", value: { offsets } } };
  }

  private async apply(event: Event): Promise<void> {
    switch (event.case) {
      case "assignment":
        this.memberId = event.value.memberId;
        this.generation = event.value.generation;
        this.assignment = event.value.partitions.map((p) => ({ topic: p.topic, partition: p.partition }));
        for (const k of [...this.processed.keys()]) {
          if (!this.assignment.some((p) => key(p.topic, p.partition) === k)) this.processed.delete(k);
        }
        break;
      case "revoked": {
        // Commit what was processed of them: that acknowledges the revocation.
        const revoked = event.value.partitions.map((p) => ({ topic: p.topic, partition: p.partition }));
        this.generation = event.value.generation;
        await this.commitPartitions(revoked, event.value.generation).catch(() => undefined);
        this.assignment = this.assignment.filter((a) => !revoked.some((r) => r.topic === a.topic && r.partition === a.partition));
        for (const r of revoked) this.processed.delete(key(r.topic, r.partition));
        break;
      }
      case "offsetReset":
        this.resume.set(key(event.value.topic, event.value.partition), event.value.resetOffset);
        this.epochs.delete(key(event.value.topic, event.value.partition));
        break;
    }
  }

  private async maybeAutoCommit(): Promise<void> {
    if (!this.group || this.options.autoCommit === false) return;
    if (Date.now() - this.lastCommitMs < (this.options.autoCommitIntervalMs ?? 5_000)) return;
    this.lastCommitMs = Date.now();
    await this.commitPartitions(this.assignment, this.generation).catch(() => undefined); // a later commit covers it
  }

  private async commitPartitions(partitions: ReadonlyArray<{ topic: string; partition: number }>, generation: number): Promise<void> {
    const offsets = partitions
      .filter((p) => this.processed.has(key(p.topic, p.partition)))
      .map((p) => ({
        topic: p.topic,
        partition: p.partition,
        offset: this.processed.get(key(p.topic, p.partition))!,
        leaderEpoch: this.epochs.get(key(p.topic, p.partition)),
      }));
    await this.commitAt({ groupId: this.options.groupId!, memberId: this.memberId, generation, offsets });
  }

  /**
   * Group mode with auto-commit: the final commit. A stale generation means a
   * newer event is still in the stream: apply events (records are no longer
   * processed) and commit again, for a bounded number of events.
   */
  private async leave(
    events: AsyncIterator<SubscribeResponse>,
    pending: Promise<IteratorResult<SubscribeResponse>> | undefined,
  ): Promise<void> {
    if (!this.group || this.options.autoCommit === false || this.memberId === "" || this.processed.size === 0) return;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await this.commitPartitions(this.assignment, this.generation);
        return;
      } catch (err) {
        if (errorReason(err) !== "STALE_GENERATION") return;
      }
      const next = await Promise.race([pending ?? events.next(), delay(1_000).then(() => undefined)]).catch(() => undefined);
      pending = undefined;
      if (next === undefined || next.done) return;
      if (next.value.event.case !== "records") await this.apply(next.value.event);
    }
  }
}

/** A partition without a leader, as the consumer sees it before asking any broker. */
function offlineError(topic: string, partition: number): Error {
  const metadata = new Metadata();
  metadata.set(reasonMetadataKey, "PARTITION_OFFLINE");
  return Object.assign(new Error(`${status.UNAVAILABLE} UNAVAILABLE: partition ${topic}/${partition} has no live leader`), {
    code: status.UNAVAILABLE,
    details: `partition ${topic}/${partition} has no live leader`,
    metadata,
  });
}

/**
 * Several streams read as one: each message as it comes, from whichever stream;
 * the first error or end of any of them ends the whole (the caller reopens them all).
 */
function merge<T>(streams: ReadonlyArray<ServerStream<T>>): { events: AsyncIterator<T>; cancel(): void } {
  const iterators = streams.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ index: number; result: IteratorResult<T> }>>();
  const arm = (index: number) => {
    const next = iterators[index].next().then((result) => ({ index, result }));
    next.catch(() => undefined); // raced below; the others' rejections after the end are expected
    pending.set(index, next);
  };
  iterators.forEach((_, i) => arm(i));
  const cancel = () => streams.forEach((s) => s.cancel());
  return {
    events: {
      async next(): Promise<IteratorResult<T>> {
        const { index, result } = await Promise.race(pending.values());
        if (result.done) return result;
        arm(index);
        return result;
      },
      async return(): Promise<IteratorResult<T>> {
        cancel();
        return { value: undefined, done: true };
      },
    },
    cancel,
  };
}
