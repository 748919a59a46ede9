import type { Logger } from "pino";
import type { GroupCoordinator } from "./group-coordinator.js";
import type { OffsetStore } from "./offset-store.js";
import type { Clock } from "../clock.js";

export interface GroupExpiryOptions {
  readonly coordinator: GroupCoordinator;
  readonly offsets: OffsetStore;
  readonly clock: Clock;
  /** How long an empty group and its committed offsets are kept, ms (Kafka's offsets.retention.minutes). */
  readonly retentionMs: number;
  /** How often expired groups are looked for, ms. */
  readonly checkIntervalMs: number;
  readonly logger: Logger;
}

/**
 * Forgets consumer groups that stayed empty for `retentionMs` (Kafka's
 * offsets.retention.minutes, KIP-211): their committed offsets get tombstones in
 * __consumer_offsets (compaction then removes the records; a restart does not
 * bring them back) and the coordinator drops their state. Issue 14: 78k group ids
 * that joined and left kept 500 MB forever.
 *
 * The clock starts when the last member leaves (GroupCoordinator.emptySince), or
 * at the group's newest commit if later (a tool's commit to an empty group renews
 * it). A group known only from its offsets (after a restart, the coordinator has
 * no state) counts from its newest commit but not from before this process
 * started: the time it became empty was not stored, so a restart can postpone
 * expiry by up to `retentionMs`, never bring it forward. A group with members,
 * connected or static ones waiting to reconnect, never expires.
 *
 * Passes run one at a time on a timer; `stop` waits for the current one.
 */
export class GroupExpiry {
  private readonly startedMs: number;
  private readonly timer: NodeJS.Timeout;
  private running: Promise<number> | null = null;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly options: GroupExpiryOptions) {
    this.startedMs = options.clock.nowMs();
    this.log = options.logger.child({ component: "group-expiry" });
    this.timer = setInterval(() => {
      if (this.running === null) void this.expire().catch(() => undefined);
    }, options.checkIntervalMs);
    this.timer.unref();
  }

  /** One pass: forgets every group past its retention. Returns how many went. */
  expire(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  /** Stops the timer and waits for a pass in progress (before the offsets topic closes). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<number> {
    const { coordinator, offsets, clock, retentionMs } = this.options;
    const now = clock.nowMs();
    const candidates = new Set([...coordinator.groupIds(), ...offsets.groups()]);
    let expired = 0;
    for (const groupId of candidates) {
      if (this.stopped) break;
      if (coordinator.hasMembers(groupId)) continue;
      const emptySince = coordinator.knows(groupId) ? coordinator.emptySince(groupId) : this.startedMs;
      if (emptySince === undefined) continue;
      const since = Math.max(emptySince, offsets.lastCommitMs(groupId) ?? emptySince);
      if (now - since < retentionMs) continue;
      try {
        await offsets.deleteGroup(groupId);
      } catch (err) {
        this.log.error({ err, groupId }, "expiring a group's offsets failed; retried next pass");
        continue;
      }
      // A member may have joined while the tombstones were written: forget keeps a group with members.
      coordinator.forget(groupId);
      this.log.debug({ groupId }, "empty group expired");
      expired++;
    }
    if (expired > 0) this.log.info({ groups: expired, retentionMs }, "empty groups expired");
    return expired;
  }
}
