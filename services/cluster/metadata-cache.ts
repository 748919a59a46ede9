import type { Logger } from "pino";
import type { ClusterKeys } from "./cluster-keys.js";
import type { ClusterSnapshot } from "./cluster-state.js";
import { applyKeyValue, copySnapshot, snapshotFromKvs, type InvalidValueHandler } from "./cluster-snapshot.js";
import type { EtcdClient, WatchEvent } from "./etcd/index.js";

/** How long to wait before reading again after a failed read or a broken watch. */
const retryMs = 250;

/**
 * The cluster's metadata as this broker sees it (CLUSTER.md section 2, "Watches"):
 * the whole prefix read at one revision, then a watch from the next revision with
 * every event applied in order. When the watch ends (compaction, a dead etcd member,
 * any error) the prefix is read again and a new watch starts from that read: no event
 * is lost and the snapshot never goes back in revision. Brokers serve cluster
 * metadata (DescribeCluster, DescribeTopic, leaders) from it; decisions that must not
 * act on stale data are etcd transactions that compare revisions.
 *
 * Listeners are told after each batch of events (or re-read), with the new snapshot.
 */
export class MetadataCache {
  private snapshot: ClusterSnapshot;
  private watch: { close(): void } | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(snapshot: ClusterSnapshot) => void>();
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly etcd: EtcdClient,
    private readonly keys: ClusterKeys,
    private readonly logger: Logger,
    snapshot: ClusterSnapshot,
  ) {
    this.snapshot = snapshot;
  }

  /** Reads the prefix and starts watching it. @throws EtcdError when etcd does not answer */
  static async start(etcd: EtcdClient, keys: ClusterKeys, logger: Logger): Promise<MetadataCache> {
    const log = logger.child({ component: "metadata" });
    const cache = new MetadataCache(etcd, keys, log, await readSnapshot(etcd, keys, log));
    cache.startWatch();
    return cache;
  }

  get current(): ClusterSnapshot {
    return this.snapshot;
  }

  onChange(listener: (snapshot: ClusterSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves once the snapshot has reached `revision` (a write this broker made is
   * then visible in it); rejects after `timeoutMs`.
   */
  waitForRevision(revision: bigint, timeoutMs: number): Promise<void> {
    return this.waitUntil(() => this.snapshot.revision >= revision, timeoutMs);
  }

  /** Resolves once `predicate(snapshot)` holds; rejects after `timeoutMs`. */
  waitUntil(predicate: (snapshot: ClusterSnapshot) => boolean, timeoutMs: number): Promise<void> {
    if (predicate(this.snapshot)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this.snapshot)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`cluster metadata did not reach the expected state within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.watch?.close();
    this.watch = undefined;
  }

  private startWatch(): void {
    if (this.closed) return;
    this.watch = this.etcd.watch(
      this.keys.root,
      { prefix: true, startRevision: this.snapshot.revision + 1n, prevKv: false },
      {
        events: (events, revision) => this.apply(events, revision),
        cancelled: (reason, detail) => {
          this.logger.info({ reason, compactRevision: detail.compactRevision, err: detail.err }, "metadata watch ended; reading again");
          this.watch = undefined;
          this.reread();
        },
      },
    );
  }

  private reread(): void {
    if (this.closed) return;
    readSnapshot(this.etcd, this.keys, this.logger).then(
      (snapshot) => {
        if (this.closed) return;
        // A read from a member behind the one watched cannot go back in time.
        if (snapshot.revision >= this.snapshot.revision) this.publish(snapshot);
        this.startWatch();
      },
      (err: unknown) => {
        this.logger.warn({ err }, "reading cluster metadata failed; retrying");
        this.retryTimer = setTimeout(() => this.reread(), retryMs);
      },
    );
  }

  private apply(events: WatchEvent[], revision: bigint): void {
    const next = copySnapshot(this.snapshot);
    const onInvalid = invalidValueLogger(this.logger);
    for (const event of events) applyKeyValue(next, this.keys, event.type, event.kv, onInvalid);
    next.revision = revision > next.revision ? revision : next.revision;
    this.publish(next);
  }

  private publish(snapshot: ClusterSnapshot): void {
    this.snapshot = snapshot;
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch (err) {
        this.logger.error({ err }, "metadata listener failed");
      }
    }
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** The whole prefix at one revision (CLUSTER.md: the level-triggered read). */
export async function readSnapshot(etcd: EtcdClient, keys: ClusterKeys, logger: Logger): Promise<ClusterSnapshot> {
  const { kvs, revision } = await etcd.range(keys.root, { prefix: true });
  return snapshotFromKvs(keys, kvs, revision, invalidValueLogger(logger));
}

/** A value written by a newer version may have fields this one does not know (ignored);
 * one that does not parse at all is logged and skipped. */
function invalidValueLogger(logger: Logger): InvalidValueHandler {
  return (key, err) => logger.error({ err, key }, "unreadable cluster metadata value; ignored");
}
