import { create, toJsonString } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { UnavailableError } from "../errors.js";
import { BrokerRegistrationSchema, type BrokerRegistration as Registration } from "../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import type { ClusterKeys } from "./cluster-keys.js";
import type { EtcdClient } from "./etcd/index.js";
import { LeaseKeeper } from "./etcd/lease-keeper.js";

export interface BrokerRegistrationOptions {
  readonly etcd: EtcdClient;
  readonly keys: ClusterKeys;
  readonly registration: Omit<Registration, "$typeName" | "$unknown" | "registeredAtMs">;
  readonly sessionTimeoutMs: number;
  readonly logger: Logger;
  /** Called once when this incarnation's lease is no longer known to be alive: the
   * broker must stop leading at once; `register` then makes a new incarnation. */
  readonly onFenced: () => void;
}

/**
 * One incarnation of a broker in etcd (CLUSTER.md section 2): `brokers/<id>` bound
 * to a lease. Its create revision is the **broker epoch**. Every boot, and every
 * re-registration after a self-fence, deletes the key first and creates it again with
 * `txn(createRevision == 0 → put)`: a broker killed and restarted within its old
 * lease's TTL would otherwise find its key and keep the old epoch, and the controller
 * could not tell the new incarnation (which may have lost its log's tail) from the old.
 *
 * Two brokers configured with the same id would delete each other's keys: the data
 * directory lock stops two on one directory; two directories with one id is an
 * operator's error (docs/cluster.md).
 */
export class BrokerRegistration {
  private fenced = false;

  private constructor(
    private readonly options: BrokerRegistrationOptions,
    private readonly lease: LeaseKeeper,
    /** The broker epoch of this incarnation. */
    readonly brokerEpoch: bigint,
    /** What `brokers/<id>` holds now. */
    private value: Registration,
  ) {}

  /** @throws EtcdError when etcd does not answer; UnavailableError BROKER_ID_IN_USE
   *   when another broker registered the id between the delete and the create */
  static async register(options: BrokerRegistrationOptions, clock: { nowMs(): number }): Promise<BrokerRegistration> {
    const { etcd, keys, logger } = options;
    const key = keys.broker(options.registration.id);
    let registration: BrokerRegistration | undefined;
    const lease = await LeaseKeeper.grant(etcd, {
      ttlMs: options.sessionTimeoutMs,
      logger,
      onExpired: () => registration?.fence("lease expired"),
    });
    try {
      await etcd.delete(key);
      const message = create(BrokerRegistrationSchema, { ...options.registration, registeredAtMs: BigInt(clock.nowMs()) });
      const result = await etcd.txn({
        compare: [{ key, target: "create", value: 0n }],
        success: [{ put: { key, value: toJsonString(BrokerRegistrationSchema, message), lease: lease.id } }],
      });
      if (!result.succeeded) {
        throw new UnavailableError("BROKER_ID_IN_USE", `broker id ${options.registration.id} was registered by another broker meanwhile`);
      }
      registration = new BrokerRegistration(options, lease, result.revision, message);
      logger.info({ brokerId: options.registration.id, brokerEpoch: result.revision }, "broker registered");
      return registration;
    } catch (err) {
      await lease.close({ revoke: true }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Whether this incarnation may still act (lead, acknowledge, serve): synchronous, from
   * the send time of the last keep-alive etcd answered (LeaseKeeper.isFresh).
   */
  isFresh(): boolean {
    return !this.fenced && this.lease.isFresh();
  }

  get leaseId(): bigint {
    return this.lease.id;
  }

  /**
   * Controlled shutdown (docs/cluster.md, "Rolling restarts"): rewrites `brokers/<id>`
   * with `shutting_down`, under the same lease and only while the key is still this
   * incarnation's (its create revision, the broker epoch, does not change: the
   * controller must not see a death and a rebirth, only the flag). False when the key is
   * no longer this incarnation's (fenced meanwhile): there is nothing to hand off then.
   */
  async markShuttingDown(): Promise<boolean> {
    if (this.fenced) return false;
    if (this.value.shuttingDown) return true;
    const { etcd, keys } = this.options;
    const key = keys.broker(this.value.id);
    const value = create(BrokerRegistrationSchema, { ...this.value, shuttingDown: true });
    const result = await etcd.txn({
      compare: [{ key, target: "create", value: this.brokerEpoch }],
      success: [{ put: { key, value: toJsonString(BrokerRegistrationSchema, value), lease: this.lease.id } }],
    });
    if (!result.succeeded) return false;
    this.value = value;
    return true;
  }

  /** Stops acting under this incarnation (idempotent); the broker registers again. */
  fence(why: string): void {
    if (this.fenced) return;
    this.fenced = true;
    this.options.logger.warn({ brokerEpoch: this.brokerEpoch, why }, "broker fenced itself: it stops leading until it registers again");
    void this.lease.close({ revoke: true }).catch(() => undefined);
    this.options.onFenced();
  }

  /** Deregisters: revokes the lease, so the key goes at once and the controller moves leadership. */
  async close(): Promise<void> {
    this.fenced = true;
    await this.lease.close({ revoke: true });
  }
}
