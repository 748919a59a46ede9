/**
 * The cluster controller (CLUSTER.md section 3): one broker at a time, elected by
 * ControllerElection, repairs partition leadership and ISRs.
 *
 * Level-triggered: a reconcile reads the whole cluster prefix in one Range (one
 * revision), builds a ClusterSnapshot, decides (decide.ts) and writes the
 * changes, fenced by its controller epoch and each partition's mod revision
 * (fenced-writes.ts). It runs on election, after any watch event, after a failed
 * write (re-read, decide again) and after the watch lost history (compaction).
 * Events never carry decisions; they only schedule the next reconcile, debounced
 * by a few milliseconds so a burst (a broker dying leads many partitions to
 * change) costs one read. A broker that died while no controller was elected is
 * found by the first read, not by an event.
 *
 * The watch covers the root prefix from the last read's revision + 1. When its
 * stream fails it resumes from the last revision it delivered + 1 (nothing is
 * missed); when that revision was compacted it is dropped and the next reconcile
 * reads everything again and watches from there.
 */
import type { Logger } from "pino";
import type { ClusterKeys } from "../cluster-keys.js";
import type { EtcdClient } from "../etcd/etcd-client.js";
import { ControllerElection, type ControllerSession } from "./controller-election.js";
import { decide, type PartitionDecision } from "./decide.js";
import { writePartitionStates } from "./fenced-writes.js";
import { snapshotFromKvs } from "../cluster-snapshot.js";

/** Coalesces a burst of watch events into one reconcile. */
const defaultDebounceMs = 5;
/** Pause before trying again after etcd failed to answer. */
const defaultRetryBackoffMs = 250;

export interface ControllerOptions {
  readonly client: EtcdClient;
  readonly keys: ClusterKeys;
  /** This broker's id. */
  readonly brokerId: number;
  /** The broker's registration now (its broker epoch and lease); undefined while
   * it is not registered. The controller key is bound to that lease. */
  readonly session: () => ControllerSession | undefined;
  /** LeaseKeeper.isFresh, checked synchronously before every write. */
  readonly isFresh: () => boolean;
  readonly logger: Logger;
  /** Default 5 ms. */
  readonly debounceMs?: number;
  /** Default 250 ms. */
  readonly retryBackoffMs?: number;
}

export class Controller {
  private readonly election: ControllerElection;
  private readonly logger: Logger;
  private epoch: bigint | undefined;
  private watch: { close(): void } | undefined;
  private watchToken: object | undefined;
  /** The last revision the watch delivered (or the read it started from). */
  private watchedRevision = 0n;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private running = false;
  private closed = false;
  /** Reconciles failed in a row (logged at warn once, then debug). */
  private failures = 0;
  /** How many reconciles completed (tests and metrics). */
  reconciles = 0;

  constructor(private readonly options: ControllerOptions) {
    this.logger = options.logger.child({ component: "controller" });
    this.election = new ControllerElection({
      client: options.client,
      keys: options.keys,
      brokerId: options.brokerId,
      session: options.session,
      isFresh: options.isFresh,
      logger: this.logger,
      retryBackoffMs: options.retryBackoffMs,
      onElected: (epoch) => {
        this.epoch = epoch;
        this.schedule(0);
      },
      onDeposed: () => {
        this.epoch = undefined;
        this.stopWatch();
        clearTimeout(this.timer);
        this.timer = undefined;
      },
    });
  }

  /** Starts campaigning. */
  start(): void {
    this.election.campaign();
  }

  /** The broker registered anew (boot, or after a self-fence): campaign with the new lease. */
  registered(): void {
    this.election.campaign();
  }

  /** The controller epoch while this broker is the controller and not self-fenced. Synchronous. */
  controllerEpoch(): bigint | undefined {
    return this.election.epoch();
  }

  isController(): boolean {
    return this.election.epoch() !== undefined;
  }

  /** Gives up the controller role and stops (controlled shutdown): another broker
   * is elected at once instead of after this broker's lease expires. */
  async resign(): Promise<void> {
    await this.election.resign();
    this.close();
  }

  /** Stops. The controller key stays until the broker's lease goes (revoke it, or `resign` first). */
  close(): void {
    this.closed = true;
    this.election.close();
    this.epoch = undefined;
    this.stopWatch();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Asks for a reconcile after `delayMs`; never lost: one requested while one
   * runs makes it run again. */
  private schedule(delayMs = this.options.debounceMs ?? defaultDebounceMs): void {
    if (this.closed || this.epoch === undefined) return;
    this.dirty = true;
    if (this.running || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, delayMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    let later = false;
    try {
      while (this.dirty && !this.closed && this.epoch !== undefined) {
        this.dirty = false;
        let outcome: "done" | "again" | "later";
        try {
          outcome = await this.reconcile();
          this.failures = 0;
        } catch (err) {
          const level = this.failures++ === 0 ? "warn" : "debug";
          this.logger[level]({ err }, "reconcile failed; trying again");
          outcome = "later";
        }
        if (outcome === "again") this.dirty = true;
        if (outcome === "later") {
          later = true;
          break;
        }
      }
    } finally {
      this.running = false;
    }
    if (later) this.schedule(this.options.retryBackoffMs ?? defaultRetryBackoffMs);
    else if (this.dirty) this.schedule();
  }

  /**
   * One read, decide, write. "again": a write conflicted (read again now);
   * "later": self-fenced (the lease is not fresh): look again after a pause, since
   * no event may come to wake it once the lease is fresh again.
   */
  private async reconcile(): Promise<"done" | "again" | "later"> {
    const epoch = this.election.epoch();
    if (epoch === undefined) return "later";
    const { client, keys } = this.options;
    const { kvs, revision } = await client.range(keys.root, { prefix: true });
    const snapshot = snapshotFromKvs(keys, kvs, revision, (key, err) =>
      this.logger.warn({ key, err }, "cluster key does not parse; ignored"),
    );
    this.reconciles++;
    if (snapshot.controller?.epoch !== epoch) {
      // Deposed: the election's watch sees the delete and stops this controller.
      this.logger.debug({ controllerEpoch: epoch, revision }, "controller key changed; not deciding");
      return "done";
    }
    if (this.watch === undefined) this.watchFrom(revision);
    const decisions = decide(snapshot);
    if (decisions.length === 0) return "done";
    const result = await writePartitionStates(client, keys, epoch, decisions, () => this.election.epoch() === epoch);
    for (const d of result.applied) this.logDecision(d, epoch);
    if (!result.conflicted) return "done";
    this.logger.info({ revision }, "partition state changed meanwhile; reading again");
    return "again";
  }

  private logDecision(d: PartitionDecision, controllerEpoch: bigint): void {
    const fields = {
      topic: d.topic,
      partition: d.partition,
      leader: d.state.leader,
      leaderEpoch: d.state.leaderEpoch,
      isr: d.state.isr.map((m) => m.brokerId),
      controllerEpoch,
    };
    switch (d.kind) {
      case "unclean-election":
        this.logger.error(fields, "unclean leader election: acknowledged records may be lost");
        break;
      case "unclean-recovery":
        this.logger.warn(fields, "unclean recovery: every in-sync replica restarted uncleanly; elected the most complete (KIP-966)");
        break;
      case "offline":
        this.logger.warn(fields, "partition offline: no in-sync replica is alive");
        break;
      case "isr-shrink":
        this.logger.info(fields, "removed dead replicas, or replicas in controlled shutdown, from the ISR");
        break;
      case "create":
        this.logger.info(fields, "partition state written");
        break;
      case "clean-election":
        this.logger.info(fields, "leader elected");
        break;
      case "controlled-shutdown":
        this.logger.info(fields, "leadership moved off a broker in controlled shutdown");
        break;
    }
  }

  /** Watches the root prefix from `revision` + 1; events schedule a reconcile. */
  private watchFrom(revision: bigint): void {
    const token = {};
    this.watchToken = token;
    this.watchedRevision = revision;
    const handle = this.options.client.watch(
      this.options.keys.root,
      { prefix: true, startRevision: revision + 1n },
      {
        events: (events) => {
          if (this.watchToken !== token) return;
          // The last event's revision, not the response's: resuming from it misses nothing.
          const last = events[events.length - 1]?.kv.modRevision ?? 0n;
          if (last > this.watchedRevision) this.watchedRevision = last;
          this.schedule();
        },
        cancelled: (reason, detail) => {
          if (this.watchToken !== token) return;
          this.watchToken = undefined;
          this.watch = undefined;
          if (reason === "compacted" || this.closed || this.epoch === undefined) {
            // History gone: the next reconcile reads everything and watches from there.
            this.logger.info({ compactRevision: detail.compactRevision }, "watch compacted; reading the cluster again");
            this.schedule(0);
            return;
          }
          // The stream failed: resume from the last delivered revision after a pause.
          const resumeFrom = this.watchedRevision;
          const timer = setTimeout(() => {
            if (this.watch === undefined && !this.closed && this.epoch !== undefined) this.watchFrom(resumeFrom);
          }, this.options.retryBackoffMs ?? defaultRetryBackoffMs);
          timer.unref();
        },
      },
    );
    if (this.watchToken === token) this.watch = handle;
  }

  private stopWatch(): void {
    this.watchToken = undefined;
    this.watch?.close();
    this.watch = undefined;
  }
}
