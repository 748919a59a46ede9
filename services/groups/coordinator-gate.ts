import { NotCoordinatorError } from "../errors.js";

/**
 * What the group handlers (group Subscribe, Commit, FetchCommitted, the group Admin
 * calls, FindCoordinator) ask in cluster mode before serving a group: its coordinator
 * is the leader of the group's partition of __consumer_offsets (CLUSTER.md section 5),
 * and only once that partition is replayed. On one broker there is no gate: it
 * coordinates every group. The implementation is services/cluster/coordinator.
 */
export interface CoordinatorGate {
  /**
   * Synchronous, like PartitionGate's checks: this broker coordinates the group now
   * (lease fresh, leader of the group's offsets partition, replay done).
   * @throws NotCoordinatorError NOT_COORDINATOR (with the coordinator's address when
   *   known); CoordinatorLoadInProgressError; CoordinatorNotAvailableError
   */
  checkCoordinator(groupId: string): GroupLease;
  /**
   * Where the group's coordinator is.
   * @throws CoordinatorNotAvailableError while __consumer_offsets does not exist or the
   *   group's partition has no live leader
   */
  findCoordinator(groupId: string): { brokerId: number; address: string; partition: number };
}

/** The error a group's call or stream ends with once `GroupLease.ended` aborted: the
 * lease's reason (a NotCoordinatorError about the offsets partition) told about the group. */
export function coordinatorLost(groupId: string, reason: unknown): unknown {
  if (reason instanceof NotCoordinatorError) return new NotCoordinatorError(groupId, reason.coordinatorAddress, "this broker stopped coordinating it");
  return reason;
}

/** This broker's hold on a group, from one check. */
export interface GroupLease {
  /** The group's partition of __consumer_offsets. */
  readonly partition: number;
  /** Aborted, with a NotCoordinatorError as its reason, when this broker stops
   * coordinating the group (another leader elected, or this broker fenced itself):
   * member streams end at once. */
  readonly ended: AbortSignal;
}
