/**
 * Controller election by transaction (CLUSTER.md section 2), not a lock library
 * (the npm etcd3 Election elected two leaders after an etcd restart):
 * `txn(createRevision(controller) == 0 → put(controller, me, my lease))`. The
 * winner's controller epoch is the key's create revision; every controller write
 * compares it, so a deposed controller's late writes fail in etcd whatever this
 * process believes. The key is bound to the broker's lease: it goes when the
 * broker dies or its lease expires.
 *
 * A loser watches the key and campaigns again when it is deleted. The holder
 * watches it too: a delete (lease expired, resigned, removed by an operator)
 * deposes it at once, before it campaigns again (a new win is a new epoch).
 * `epoch()` is the synchronous check the controller makes before every write:
 * it answers nothing while the broker's lease is not fresh (self-fenced) or the
 * broker registered anew under another lease.
 */
import { create, toJsonString } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { ControllerRegistrationSchema } from "../../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import type { ClusterKeys } from "../cluster-keys.js";
import type { EtcdClient } from "../etcd/etcd-client.js";

/** Pause before campaigning again after etcd failed to answer. */
const defaultRetryBackoffMs = 250;

/** The broker's current registration. */
export interface ControllerSession {
  /** Its broker epoch (the create revision of brokers/<id>). */
  readonly brokerEpoch: bigint;
  /** The lease its registration is bound to; the controller key is bound to it too. */
  readonly leaseId: bigint;
}

export interface ControllerElectionOptions {
  readonly client: EtcdClient;
  readonly keys: ClusterKeys;
  readonly brokerId: number;
  /** The broker's registration now; undefined while it is not registered. */
  readonly session: () => ControllerSession | undefined;
  /** LeaseKeeper.isFresh: false once the lease may have expired (self-fenced). */
  readonly isFresh: () => boolean;
  readonly logger: Logger;
  readonly onElected: (epoch: bigint) => void;
  readonly onDeposed: (epoch: bigint) => void;
  /** Pause before campaigning again after an etcd failure. Default 250 ms. */
  readonly retryBackoffMs?: number;
}

export class ControllerElection {
  private held: { epoch: bigint; leaseId: bigint } | undefined;
  private watch: { close(): void } | undefined;
  private watchToken: object | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private closed = false;
  /** Campaigns failed in a row. */
  private failures = 0;

  constructor(private readonly options: ControllerElectionOptions) {}

  /**
   * The controller epoch while this broker holds the controller key under its
   * current lease and that lease is fresh; undefined otherwise. Synchronous.
   */
  epoch(): bigint | undefined {
    const held = this.held;
    if (held === undefined || !this.options.isFresh()) return undefined;
    if (this.options.session()?.leaseId !== held.leaseId) return undefined;
    return held.epoch;
  }

  /** Campaigns (again): on start, and after the broker registered anew. Idempotent. */
  campaign(): void {
    if (this.closed) return;
    this.again = true;
    if (this.running) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = true;
    void this.loop();
  }

  /**
   * Gives the controller key up and stops campaigning (controlled shutdown): another
   * broker is elected without waiting for this one's lease to expire.
   */
  async resign(): Promise<void> {
    const held = this.held;
    this.depose();
    this.close();
    if (held === undefined) return;
    const key = this.options.keys.controller;
    await this.options.client.txn({
      compare: [{ key, target: "create", value: held.epoch }],
      success: [{ delete: { key } }],
    });
  }

  /** Stops campaigning and watching. The key stays until the lease goes (or `resign`). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.stopWatch();
    this.held = undefined;
  }

  private async loop(): Promise<void> {
    try {
      while (this.again && !this.closed) {
        this.again = false;
        try {
          await this.campaignOnce();
          this.failures = 0;
        } catch (err) {
          // Once at warn: etcd down or the lease gone repeats every pause until it is back.
          const level = this.failures++ === 0 ? "warn" : "debug";
          this.options.logger[level]({ err }, "controller campaign failed; trying again");
          this.retryLater();
          return;
        }
      }
    } finally {
      this.running = false;
    }
  }

  private retryLater(): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.campaign();
    }, this.options.retryBackoffMs ?? defaultRetryBackoffMs);
    this.timer.unref();
  }

  private async campaignOnce(): Promise<void> {
    this.stopWatch();
    const session = this.options.session();
    if (session === undefined) {
      // Not registered: nothing to campaign with; registered() campaigns again.
      if (this.held !== undefined) this.depose();
      return;
    }
    const { client, keys, brokerId, logger } = this.options;
    const key = keys.controller;
    const value = toJsonString(
      ControllerRegistrationSchema,
      create(ControllerRegistrationSchema, { brokerId, brokerEpoch: session.brokerEpoch }),
    );
    const result = await client.txn({
      compare: [{ key, target: "create", value: 0n }],
      success: [{ put: { key, value, lease: session.leaseId } }],
      failure: [{ range: { key } }],
    });
    if (this.closed) return;
    let won: bigint | undefined;
    if (result.succeeded) {
      won = result.revision;
    } else {
      const kv = result.responses[0]?.kvs?.[0];
      if (kv === undefined) {
        this.again = true; // deleted between compare and range: campaign again
        return;
      }
      // Our lease: this incarnation wrote it (an earlier attempt whose answer was lost).
      if (kv.lease === session.leaseId) won = kv.createRevision;
    }
    if (won !== undefined && this.held?.epoch !== won) {
      if (this.held !== undefined) this.depose();
      this.held = { epoch: won, leaseId: session.leaseId };
      logger.info({ brokerId, controllerEpoch: won }, "elected controller");
      this.options.onElected(won);
    } else if (won === undefined && this.held !== undefined) {
      this.depose();
    }
    this.watchFrom(result.revision + 1n);
  }

  private watchFrom(startRevision: bigint): void {
    // A token, not the handle: the client may cancel synchronously, inside watch().
    const token = {};
    this.watchToken = token;
    const handle = this.options.client.watch(this.options.keys.controller, { startRevision }, {
      events: (events) => {
        if (this.watchToken !== token || !events.some((e) => e.type === "delete")) return;
        if (this.held !== undefined) this.depose();
        this.campaign();
      },
      cancelled: (reason) => {
        if (this.watchToken !== token) return;
        this.watchToken = undefined;
        this.watch = undefined;
        // Compacted: the key's history is gone, campaign (it re-reads) now. Error: etcd
        // is not answering; the txn would fail too, so pause first.
        if (reason === "compacted") this.campaign();
        else this.retryLater();
      },
    });
    if (this.watchToken === token) this.watch = handle;
  }

  private stopWatch(): void {
    this.watchToken = undefined;
    this.watch?.close();
    this.watch = undefined;
  }

  private depose(): void {
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    this.options.logger.warn({ brokerId: this.options.brokerId, controllerEpoch: held.epoch }, "no longer the controller");
    this.options.onDeposed(held.epoch);
  }
}
