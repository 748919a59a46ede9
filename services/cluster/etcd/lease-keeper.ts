import type { Logger } from "pino";
import type { EtcdClient } from "./etcd-client.js";

export interface LeaseKeeperOptions {
  /** The session timeout (brokerSessionTimeoutMs). etcd's TTL is whole seconds, at least 2:
   * max(2, ceil(ttlMs / 1000)); freshness is measured against `ttlMs` itself. */
  ttlMs: number;
  /** How much earlier than `ttlMs` the keeper stops calling itself fresh. Default ttlMs / 6
   * (500 ms of a 3 s session): room for timer lateness and clock-rate drift between this
   * process and etcd's leader, while still leaving two keep-alives in every window. */
  marginMs?: number;
  /** Monotonic milliseconds. Default performance.now (it keeps counting while the process
   * is stopped, so a process resumed by SIGCONT finds itself stale). */
  now?: () => number;
  logger: Logger;
  /** Called once, when the lease is no longer fresh or etcd says it is gone (TTL 0). The
   * keeper has stopped; the owner fences itself and registers again with a new lease. */
  onExpired: () => void;
}

/** Whole seconds, at least 2 (etcd rounds shorter leases up to its minimum anyway). */
export function leaseTtlSeconds(ttlMs: number): number {
  return Math.max(2, Math.ceil(ttlMs / 1000));
}

/**
 * Keeps one etcd lease alive and answers, synchronously, whether its owner may still act
 * on it (CLUSTER.md section 2, "Leases and self-fencing").
 *
 * Every ttlMs / 3 it sends one keep-alive (EtcdClient.leaseKeepAliveOnce: its own stream
 * and deadline of ttlMs / 3, so a hung connection is noticed, unlike etcd3's issue #110).
 * It records the SEND time of each keep-alive etcd answered with TTL > 0: etcd restarted the
 * lease's TTL after that moment, so until sendTime + ttlMs the lease surely exists. The
 * first such moment is the grant's send time.
 *
 * `isFresh()`: now - lastAnsweredSendTime < ttlMs - marginMs. Call it wherever the owner
 * acknowledges or serves; it does not wait for a timer (a process paused past its lease and
 * resumed must not acknowledge anything first). When it turns false, or a keep-alive is
 * answered with TTL 0, `onExpired` is called once (from a timer, so possibly a little after
 * isFresh turned false) and the keeper stops for good: it never becomes fresh again.
 */
export class LeaseKeeper {
  private lastAnsweredSendTime: number;
  private readonly windowMs: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private stopped = false;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly client: EtcdClient,
    readonly id: bigint,
    /** The TTL etcd granted, in seconds. */
    readonly ttlSeconds: number,
    grantSendTime: number,
    private readonly options: LeaseKeeperOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.lastAnsweredSendTime = grantSendTime;
    this.windowMs = options.ttlMs - (options.marginMs ?? options.ttlMs / 6);
    this.intervalMs = options.ttlMs / 3;
    if (!(this.windowMs > this.intervalMs)) {
      throw new Error(`lease margin ${options.marginMs} ms leaves no room for a keep-alive within ${options.ttlMs} ms`);
    }
  }

  /** Grants a lease of max(2, ceil(ttlMs / 1000)) seconds and starts keeping it alive. */
  static async grant(client: EtcdClient, options: LeaseKeeperOptions): Promise<LeaseKeeper> {
    const now = options.now ?? (() => performance.now());
    const sendTime = now();
    const lease = await client.leaseGrant(leaseTtlSeconds(options.ttlMs));
    const keeper = new LeaseKeeper(client, lease.id, lease.ttlSeconds, sendTime, options);
    keeper.scheduleKeepAlive(0);
    keeper.armExpiry();
    options.logger.debug({ lease: lease.id.toString(), ttlSeconds: lease.ttlSeconds }, "lease granted");
    return keeper;
  }

  /** Synchronous: the send time of the last keep-alive etcd answered is younger than
   * ttlMs - marginMs, and the keeper has neither expired nor been closed. */
  isFresh(): boolean {
    return !this.stopped && this.now() - this.lastAnsweredSendTime < this.windowMs;
  }

  /** Stops keeping the lease alive; with `revoke`, revokes it (best effort: its keys go
   * at once instead of after the TTL). isFresh() is false from now on. */
  async close(options: { revoke?: boolean } = {}): Promise<void> {
    this.stop();
    await this.loop;
    if (!options.revoke) return;
    try {
      await this.client.leaseRevoke(this.id);
    } catch (err) {
      this.options.logger.warn({ err, lease: this.id.toString() }, "lease revoke failed; it expires by its TTL");
    }
  }

  private scheduleKeepAlive(delayMs: number): void {
    if (this.stopped) return;
    this.keepAliveTimer = setTimeout(() => {
      this.loop = this.keepAlive();
    }, Math.max(0, delayMs));
  }

  private async keepAlive(): Promise<void> {
    if (this.stopped) return;
    // Once stale, stale for good: an answer must not revive a lease that was, for a
    // moment, not known to exist (a process resumed after a pause runs timers in any order).
    if (!this.isFresh()) {
      this.expire("no keep-alive answered in time");
      return;
    }
    const sendTime = this.now();
    try {
      const ttlSeconds = await this.client.leaseKeepAliveOnce(this.id, { timeoutMs: this.intervalMs });
      if (this.stopped) return;
      if (ttlSeconds <= 0) {
        this.expire("etcd says the lease is gone");
        return;
      }
      if (!this.isFresh()) {
        this.expire("no keep-alive answered in time");
        return;
      }
      if (sendTime > this.lastAnsweredSendTime) this.lastAnsweredSendTime = sendTime;
      this.armExpiry();
    } catch (err) {
      // Freshness decays by itself; the next keep-alive may get through.
      this.options.logger.debug({ err, lease: this.id.toString() }, "lease keep-alive failed");
      if (this.stopped) return;
    }
    this.scheduleKeepAlive(sendTime + this.intervalMs - this.now());
  }

  /** A timer at the moment freshness ends, re-armed whenever it moves. */
  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    if (this.stopped) return;
    const leftMs = this.lastAnsweredSendTime + this.windowMs - this.now();
    if (leftMs <= 0) {
      this.expire("no keep-alive answered in time");
      return;
    }
    // +1: setTimeout may fire a fraction of a millisecond early.
    this.expiryTimer = setTimeout(() => this.armExpiry(), leftMs + 1);
  }

  private expire(why: string): void {
    if (this.stopped) return;
    this.stop();
    this.options.logger.warn({ lease: this.id.toString(), why }, "lease expired");
    try {
      this.options.onExpired();
    } catch (err) {
      this.options.logger.error({ err }, "lease onExpired threw");
    }
  }

  private stop(): void {
    this.stopped = true;
    clearTimeout(this.keepAliveTimer);
    clearTimeout(this.expiryTimer);
  }
}
