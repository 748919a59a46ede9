/**
 * The state a partition starts with: its first live replica leads, every live
 * replica is in sync under its current broker epoch. Written when a topic is
 * created or grown, and by the controller for a partition of a topic whose state
 * was never written or was written by a creator that lost a race (decide.ts).
 * Such a partition has never held data, so any live replica may lead it.
 */
import { create } from "@bufbuild/protobuf";
import {
  IsrMemberSchema,
  PartitionStateSchema,
  type PartitionState,
} from "../../../gen/ts/tributary/cluster/v1/metadata_pb.js";

/**
 * @param liveEpochs the live brokers' broker epochs by id
 * @param leaderEpoch 0 for a new partition; above any epoch the key held before
 * @returns undefined when no replica is live (nothing can lead it yet)
 */
export function newPartitionState(
  topicId: string,
  replicas: readonly number[],
  liveEpochs: ReadonlyMap<number, bigint>,
  leaderEpoch = 0,
): PartitionState | undefined {
  const live = replicas.filter((id) => liveEpochs.has(id));
  if (live.length === 0) return undefined;
  const leaderBrokerEpoch = liveEpochs.get(live[0]) as bigint;
  return create(PartitionStateSchema, {
    topicId,
    leader: live[0],
    leaderEpoch,
    leaderBrokerEpoch,
    isr: live.map((brokerId) => create(IsrMemberSchema, { brokerId, brokerEpoch: liveEpochs.get(brokerId) as bigint })),
    lastElectionUnclean: false,
  });
}
