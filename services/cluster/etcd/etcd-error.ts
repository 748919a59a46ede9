import { TributaryError } from "../../errors.js";

/** Why an etcd call failed. */
export type EtcdErrorReason =
  /** No endpoint answered within the request timeout (members down, no leader, partitioned).
   * For a write the outcome is unknown: it may have been applied (re-read to find out). */
  | "ETCD_UNAVAILABLE"
  /** etcd's backend reached its quota (alarm NOSPACE): it refuses writes until compacted,
   * defragmented and the alarm disarmed. */
  | "ETCD_NOSPACE"
  /** Anything else etcd refused (a compacted revision, too many txn ops, a bad request). */
  | "ETCD_ERROR";

/**
 * Thrown for etcd failures by EtcdClient. Brokers treat all of them as "the metadata
 * store is not usable now": retry later, and do not act on state they could not check.
 * `grpcCode` and `details` carry etcd's own status when there was one.
 */
export class EtcdError extends TributaryError {
  override name = "EtcdError";
  constructor(
    override readonly reason: EtcdErrorReason,
    message: string,
    readonly grpcCode?: number,
    readonly details?: string,
    options?: ErrorOptions,
  ) {
    super(reason === "ETCD_NOSPACE" ? "exhausted" : "unavailable", reason, message, options);
  }
}
