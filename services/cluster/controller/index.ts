export { Controller, type ControllerOptions } from "./controller.js";
export { ControllerElection, type ControllerElectionOptions, type ControllerSession } from "./controller-election.js";
export { decide, type DecisionKind, type PartitionDecision } from "./decide.js";
export { writePartitionStates, partitionsPerTxn, type FencedWriteResult } from "./fenced-writes.js";
export { newPartitionState } from "./new-partition-state.js";
export { placeReplicas, continuationIndex, type PlacementBroker, type PlacementRequest } from "./placement.js";
export { TopicWrites, type CreateTopicRequest, type TopicWritesOptions } from "./topic-writes.js";
export { maxTxnOps, inBatches } from "./txn-batches.js";
