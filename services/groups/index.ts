export { assign, partitionKey, type AssignorKind, type Assignment, type PartitionRef } from "./assignors.js";
export { coordinatorLost, type CoordinatorGate, type GroupLease } from "./coordinator-gate.js";
export {
  GroupCoordinator,
  type CoordinatorConfig,
  type GroupDescription,
  type GroupState,
  type JoinOptions,
  type MemberEvent,
  type MemberHandle,
} from "./group-coordinator.js";
export { GroupExpiry, type GroupExpiryOptions } from "./group-expiry.js";
export { OffsetStore, offsetsTopic, type CommittedOffset, type OffsetAppender, type OffsetCommit } from "./offset-store.js";
