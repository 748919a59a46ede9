import type { MessageInitShape } from "@bufbuild/protobuf";
import { InvalidArgumentError, TributaryError } from "../errors.js";
import { validateGroupId } from "../commit/index.js";
import { partitionKey, type CoordinatorGate, type GroupCoordinator, type OffsetStore, type PartitionRef } from "../groups/index.js";
import type { TimestampLookups } from "../fetch/index.js";
import type { MemberReads } from "../fetch/index.js";
import type { ServiceImpl } from "../rpc/index.js";
import { validateTopicName, type TopicManager } from "../topics/index.js";
import type { AdminService, GroupPartitionLagSchema } from "../../gen/ts/tributary/v1/admin_pb.js";
import type { Clock } from "../clock.js";

export interface GroupAdminDeps {
  readonly topics: TopicManager;
  readonly coordinator: GroupCoordinator;
  readonly offsets: OffsetStore;
  readonly clock: Clock;
  /** The broker-wide gate of timestamp lookups. */
  readonly lookups: TimestampLookups;
  /** Cluster mode: a group is served by its coordinator only. ListGroups lists the
   * groups this broker coordinates (each broker its own share; docs/cluster.md). */
  readonly groupGate?: CoordinatorGate;
  /** Cluster mode: partitions' offsets from the local replica or the leader (a coordinator
   * holds an empty local log for the partitions it is not a replica of). */
  readonly reads?: MemberReads;
}

type GroupMethods = Pick<
  ServiceImpl<(typeof AdminService)["method"]>,
  "listGroups" | "describeGroup" | "resetGroupOffsets" | "deleteGroup"
>;

const notEmpty = (groupId: string) =>
  new TributaryError("precondition", "GROUP_NOT_EMPTY", `group ${groupId} has members; stop them first`);
const unknownGroup = (groupId: string) =>
  new TributaryError("not_found", "UNKNOWN_GROUP", `group ${groupId} does not exist`);

/** AdminService's consumer-group RPCs, over the coordinator and the offset store. */
export function createGroupAdmin(deps: GroupAdminDeps): GroupMethods {
  const { topics, coordinator, offsets, clock, lookups, groupGate, reads } = deps;
  /** [log start, high watermark] of a partition, where it is really stored. */
  const bounds = async (topic: string, partition: number): Promise<{ logStartOffset: bigint; highWatermark: bigint }> => {
    const log = topics.partition(topic, partition);
    if (reads === undefined) return { logStartOffset: log.logStartOffset, highWatermark: log.highWatermark };
    const [logStartOffset, highWatermark] = await Promise.all([
      reads.listOffset(topic, partition, { case: "earliest" }),
      reads.listOffset(topic, partition, { case: "latest" }),
    ]);
    return { logStartOffset, highWatermark };
  };

  return {
    async listGroups(_request, context) {
      // With authentication on, only the groups the principal may see (docs/security.md).
      const ids = new Set([...coordinator.groupIds(), ...offsets.groups()]);
      const groups = [...ids].sort().flatMap((groupId) => {
        if (!context.visible("group", groupId)) return [];
        const described = coordinator.describe(groupId);
        const members = described?.members.length ?? 0;
        if (members === 0 && offsets.list(groupId).length === 0) return [];
        return [{ groupId, state: described?.state ?? "Empty", members }];
      });
      return { groups };
    },

    async describeGroup(request) {
      validateGroupId(request.groupId);
      groupGate?.checkCoordinator(request.groupId);
      const described = coordinator.describe(request.groupId);
      const committed = offsets.list(request.groupId);
      if ((described === undefined || described.members.length === 0) && committed.length === 0) {
        throw unknownGroup(request.groupId);
      }
      const owners = new Map<string, string>();
      const partitions = new Map<string, PartitionRef>();
      for (const member of described?.members ?? []) {
        for (const p of member.assignment) {
          owners.set(partitionKey(p), member.memberId);
          partitions.set(partitionKey(p), p);
        }
      }
      for (const c of committed) partitions.set(partitionKey(c), c);
      const lag: Array<MessageInitShape<typeof GroupPartitionLagSchema>> = [];
      for (const p of [...partitions.values()].sort((a, b) =>
        a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
      )) {
        let log;
        try {
          log = await bounds(p.topic, p.partition);
        } catch (err) {
          if (err instanceof TributaryError && err.kind === "not_found") continue; // the topic or partition is gone; its commit stays until the group is deleted
          throw err;
        }
        const offset = offsets.get(request.groupId, p.topic, p.partition)?.offset;
        const end = log.highWatermark;
        lag.push({
          topic: p.topic,
          partition: p.partition,
          committedOffset: offset ?? -1n,
          logEndOffset: end,
          lag: end - (offset ?? log.logStartOffset),
          memberId: owners.get(partitionKey(p)) ?? "",
        });
      }
      return {
        groupId: request.groupId,
        state: described?.state ?? "Empty",
        generation: described?.generation ?? 0,
        assignor: described?.assignor ?? "",
        members: (described?.members ?? []).map((m) => ({
          memberId: m.memberId,
          instanceId: m.instanceId,
          clientId: m.clientId,
          host: m.host,
          assignment: [...m.assignment],
        })),
        offsets: lag,
      };
    },

    async resetGroupOffsets(request) {
      validateGroupId(request.groupId);
      groupGate?.checkCoordinator(request.groupId);
      validateTopicName(request.topic);
      if (coordinator.hasMembers(request.groupId)) throw notEmpty(request.groupId);
      const topic = topics.get(request.topic);
      const partitions = request.partitions.length > 0 ? [...new Set(request.partitions)] : topic.logs.map((_, p) => p);
      const commits = [];
      for (const partition of partitions) {
        const log = topics.partition(topic.name, partition);
        let offset: bigint;
        switch (request.to.case) {
          case "earliest":
            offset = (await bounds(topic.name, partition)).logStartOffset;
            break;
          case "latest":
            offset = (await bounds(topic.name, partition)).highWatermark;
            break;
          case "timestampMs": {
            if (request.to.value < 0n) throw new InvalidArgumentError("INVALID_RESET", "timestamp_ms must not be negative");
            offset =
              reads !== undefined
                ? await reads.listOffset(topic.name, partition, { case: "timestampMs", value: request.to.value })
                : ((await lookups.offsetForTimestamp(log, Number(request.to.value)))?.offset ?? log.highWatermark);
            break;
          }
          case "offset": {
            const wanted = request.to.value;
            const b = await bounds(topic.name, partition);
            offset = wanted < b.logStartOffset ? b.logStartOffset : wanted > b.highWatermark ? b.highWatermark : wanted;
            break;
          }
          default:
            throw new InvalidArgumentError("INVALID_RESET", "say where to: earliest, latest, timestamp_ms or offset");
        }
        commits.push({ topic: topic.name, partition, offset, metadata: "reset" });
      }
      // Checked again after the awaits above: a member may have joined meanwhile.
      if (coordinator.hasMembers(request.groupId)) throw notEmpty(request.groupId);
      const lease = groupGate?.checkCoordinator(request.groupId);
      await offsets.commit(request.groupId, commits, clock.nowMs(), () => lease?.ended.aborted !== true);
      return { offsets: commits.map((c) => ({ partition: c.partition, offset: c.offset })) };
    },

    async deleteGroup(request) {
      validateGroupId(request.groupId);
      groupGate?.checkCoordinator(request.groupId);
      if (coordinator.hasMembers(request.groupId)) throw notEmpty(request.groupId);
      if (offsets.list(request.groupId).length === 0 && coordinator.describe(request.groupId) === undefined) {
        throw unknownGroup(request.groupId);
      }
      await offsets.deleteGroup(request.groupId);
      coordinator.forget(request.groupId);
      return {};
    },
  };
}
