import { InvalidArgumentError } from "../errors.js";
import { coordinatorLost, type CoordinatorGate, type GroupCoordinator, type OffsetCommit, type OffsetStore } from "../groups/index.js";
import type { ServiceImpl } from "../rpc/index.js";
import { validateTopicName, type TopicManager } from "../topics/index.js";
import type { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import type { Clock } from "../clock.js";

export interface CommitDeps {
  readonly topics: TopicManager;
  readonly coordinator: GroupCoordinator;
  readonly offsets: OffsetStore;
  readonly clock: Clock;
  /** Cluster mode: only the group's coordinator serves it (services/cluster/coordinator). */
  readonly groupGate?: CoordinatorGate;
}

/** Kafka's offset.metadata.max.bytes. */
const maxMetadataBytes = 4096;
const maxIdLength = 255;

export function validateGroupId(groupId: string): void {
  if (groupId === "" || groupId.length > maxIdLength) {
    throw new InvalidArgumentError("INVALID_GROUP_ID", `a group id is 1 to ${maxIdLength} characters`);
  }
}

/**
 * CommitService: fenced commits into the offset store. A member commits with
 * the member id and generation of its last assignment (or revocation) event;
 * a commit carrying the generation of a revocation acknowledges it, so the
 * rebalance can hand the partitions on without waiting for its timeout.
 * In a cluster only the group's coordinator answers (NOT_COORDINATOR elsewhere), and a
 * commit is answered once replicated (acks=ALL on __consumer_offsets).
 */
export function createCommitService(deps: CommitDeps): ServiceImpl<(typeof CommitService)["method"]> {
  const { topics, coordinator, offsets, clock, groupGate } = deps;
  return {
    async commit(request) {
      validateGroupId(request.groupId);
      const lease = groupGate?.checkCoordinator(request.groupId);
      const commits: OffsetCommit[] = [];
      for (const o of request.offsets) {
        validateTopicName(o.topic);
        const log = topics.partition(o.topic, o.partition);
        if (o.offset < 0n) throw new InvalidArgumentError("INVALID_OFFSET", "a committed offset must not be negative");
        if (o.leaderEpoch !== undefined && o.leaderEpoch < 0) throw new InvalidArgumentError("INVALID_OFFSET", "a leader epoch must not be negative");
        if (Buffer.byteLength(o.metadata) > maxMetadataBytes) {
          throw new InvalidArgumentError("INVALID_OFFSET", `offset metadata is at most ${maxMetadataBytes} bytes`);
        }
        // The epoch of the last record consumed: the client's, else what the log has now
        // (none for an offset past the log end: there is no such record).
        const logEpoch = o.offset > 0n && o.offset <= log.logEndOffset ? log.epochForOffset(o.offset - 1n) : -1;
        const leaderEpoch = o.leaderEpoch ?? (logEpoch >= 0 ? logEpoch : undefined);
        commits.push({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata, leaderEpoch });
      }
      coordinator.checkCommit(request.groupId, request.memberId, request.generation, request.offsets);
      await offsets.commit(request.groupId, commits, clock.nowMs(), () => lease?.ended.aborted !== true).catch((err: unknown) => {
        throw coordinatorLost(request.groupId, err);
      });
      // Replicated, but this broker stopped coordinating meanwhile: the new coordinator has
      // the commit (it replays it); the member must go there.
      if (lease?.ended.aborted === true) throw coordinatorLost(request.groupId, lease.ended.reason);
      coordinator.committed(request.groupId, request.memberId, request.generation);
      return {};
    },
    async fetchCommitted(request) {
      validateGroupId(request.groupId);
      groupGate?.checkCoordinator(request.groupId);
      const wanted = new Set(request.partitions);
      return {
        offsets: offsets
          .list(request.groupId)
          .filter((o) => request.topic === "" || o.topic === request.topic)
          .filter((o) => request.topic === "" || wanted.size === 0 || wanted.has(o.partition))
          .map((o) => ({
            topic: o.topic,
            partition: o.partition,
            offset: o.offset,
            metadata: o.metadata,
            commitTimeMs: BigInt(o.commitTimeMs),
            leaderEpoch: o.leaderEpoch,
          })),
      };
    },
  };
}
