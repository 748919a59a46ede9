/**
 * What the controller changes, decided from one snapshot of the cluster at one
 * revision (CLUSTER.md section 3). Pure and level-triggered: the same snapshot
 * gives the same decisions, and a snapshot with nothing wrong gives none, so the
 * controller may run it after every event, after a watch gap, or on election.
 *
 * Per partition of every topic:
 * - A state missing, or written for another topic id or outside the replica list
 *   (a creator that lost a race, see topic-writes.ts): written anew; such a
 *   partition never held data.
 * - Leader alive (its broker registered under `leader_broker_epoch`): ISR members
 *   whose incarnation is gone (broker dead, or restarted with a new broker epoch,
 *   KIP-903) leave the ISR, and so do members in controlled shutdown (their
 *   registration says `shutting_down`), as in Kafka, so that acks=ALL does not wait on
 *   a broker about to stop; the leader stays, so it is never emptied.
 * - Leader alive but in controlled shutdown: the first current ISR member in replica
 *   order that is not shutting down leads (the leader epoch grows), and the members
 *   shutting down leave the ISR. With no such member it keeps leading: nothing better
 *   exists, and it leaves when its bounded wait ends (docs/cluster.md, "Rolling restarts").
 * - Leader not alive: the first ISR member in replica order whose incarnation is
 *   current and that is not shutting down leads; dead incarnations and members
 *   shutting down leave the ISR; the leader epoch grows. A broker in controlled
 *   shutdown is elected nowhere: with only such members the partition goes offline
 *   (below) and waits for one of them to come back (it does, with a clean start).
 * - No current ISR member:
 *   1. an ISR member back after a clean shutdown (new broker epoch, clean_start)
 *      kept everything it had: it leads, alone in the ISR;
 *   2. KIP-966 unclean recovery: every ISR member is back, each after an unclean
 *      start; once each has reported its replica state under its current broker
 *      epoch (replica-states/<t>/<p>/<broker>, written by the broker at start), the
 *      one with the highest (last epoch, log end offset) leads, alone in the ISR.
 *      Until all have reported, the partition waits;
 *   3. the topic allows unclean leader election: the first live replica leads
 *      (live ISR members first), alone in the ISR: acknowledged records may be lost;
 *   4. otherwise the partition goes offline (leader -1, epoch grown once) and
 *      keeps its ISR: it waits for those members.
 */
import { create } from "@bufbuild/protobuf";
import {
  IsrMemberSchema,
  PartitionStateSchema,
  type IsrMember,
  type PartitionState,
} from "../../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import { partitionKey, type ClusterSnapshot, type PartitionEntry } from "../cluster-state.js";
import { newPartitionState } from "./new-partition-state.js";

/** Why a partition's state changes. */
export type DecisionKind =
  /** A state written anew (missing, or left by a creator that lost a race). */
  | "create"
  /** The leader is alive; stale incarnations leave the ISR. */
  | "isr-shrink"
  /** A new leader from the current ISR (or a member back after a clean shutdown). */
  | "clean-election"
  /** The leader is in controlled shutdown: another current ISR member leads. */
  | "controlled-shutdown"
  /** KIP-966: every ISR member restarted uncleanly; the most complete leads. */
  | "unclean-recovery"
  /** Outside the ISR, allowed by the topic's unclean_leader_election. */
  | "unclean-election"
  /** No leader can be elected. */
  | "offline";

export interface PartitionDecision {
  readonly topic: string;
  readonly partition: number;
  /** The mod revision the write compares: the state read, 0n when there was none. */
  readonly modRevision: bigint;
  /** The state to write. */
  readonly state: PartitionState;
  readonly kind: DecisionKind;
}

export function decide(snapshot: ClusterSnapshot): PartitionDecision[] {
  const liveEpochs = new Map<number, bigint>();
  for (const [id, broker] of snapshot.brokers) liveEpochs.set(id, broker.brokerEpoch);
  const decisions: PartitionDecision[] = [];
  for (const [topic, { assignment }] of snapshot.topics) {
    assignment.partitions.forEach(({ replicas }, partition) => {
      const entry = snapshot.partitions.get(partitionKey(topic, partition));
      const base = { topic, partition, modRevision: entry?.modRevision ?? 0n };
      if (entry === undefined || !consistent(entry.state, assignment.topicId, replicas)) {
        const leaderEpoch = entry === undefined ? 0 : entry.state.leaderEpoch + 1;
        const state = newPartitionState(assignment.topicId, replicas, liveEpochs, leaderEpoch);
        if (state !== undefined) decisions.push({ ...base, state, kind: "create" });
        return;
      }
      const change = decidePartition(snapshot, entry, replicas, assignment.config?.uncleanLeaderElection === true);
      if (change !== undefined) decisions.push({ ...base, ...change });
    });
  }
  return decisions;
}

/** The state belongs to this topic and names only its replicas. */
function consistent(state: PartitionState, topicId: string, replicas: readonly number[]): boolean {
  return (
    state.topicId === topicId &&
    (state.leader === -1 || replicas.includes(state.leader)) &&
    state.isr.every((m) => replicas.includes(m.brokerId))
  );
}

function decidePartition(
  snapshot: ClusterSnapshot,
  entry: PartitionEntry,
  replicas: readonly number[],
  uncleanAllowed: boolean,
): { state: PartitionState; kind: DecisionKind } | undefined {
  const { state } = entry;
  const epochOf = (id: number) => snapshot.brokers.get(id)?.brokerEpoch;
  const shuttingDown = (id: number) => snapshot.brokers.get(id)?.registration.shuttingDown === true;
  const current = (m: IsrMember) => epochOf(m.brokerId) === m.brokerEpoch;
  const inReplicaOrder = <T extends { brokerId: number }>(members: T[]) =>
    [...members].sort((a, b) => replicas.indexOf(a.brokerId) - replicas.indexOf(b.brokerId));
  const currentIsr = state.isr.filter(current);
  /** Current members not in controlled shutdown (ISR order), and in replica order: who may lead. */
  const eligibleIsr = currentIsr.filter((m) => !shuttingDown(m.brokerId));
  const eligible = inReplicaOrder(eligibleIsr);

  const elect = (brokerId: number, isr: IsrMember[], kind: DecisionKind) => ({
    state: withChanges(state, {
      leader: brokerId,
      leaderEpoch: state.leaderEpoch + 1,
      leaderBrokerEpoch: epochOf(brokerId) as bigint,
      isr,
      lastElectionUnclean: kind === "unclean-recovery" || kind === "unclean-election",
    }),
    kind,
  });
  const asCurrent = (brokerId: number) => [
    create(IsrMemberSchema, { brokerId, brokerEpoch: epochOf(brokerId) as bigint }),
  ];

  const leaderAlive = state.leader >= 0 && epochOf(state.leader) === state.leaderBrokerEpoch;
  if (leaderAlive) {
    if (currentIsr.length === 0) return undefined;
    if (shuttingDown(state.leader) && eligible.length > 0) {
      return elect(eligible[0].brokerId, eligibleIsr, "controlled-shutdown");
    }
    const kept = currentIsr.filter((m) => m.brokerId === state.leader || !shuttingDown(m.brokerId));
    if (kept.length === state.isr.length) return undefined;
    return { state: withChanges(state, { isr: kept }), kind: "isr-shrink" };
  }

  if (eligible.length > 0) {
    return elect(eligible[0].brokerId, eligibleIsr, "clean-election");
  }
  if (currentIsr.length > 0) {
    // Only members in controlled shutdown are current: elected nowhere, they come back cleanly.
    if (state.leader === -1) return undefined;
    return {
      state: withChanges(state, { leader: -1, leaderEpoch: state.leaderEpoch + 1, leaderBrokerEpoch: 0n }),
      kind: "offline",
    };
  }

  // No ISR member in the incarnation it was in sync under.
  const back = inReplicaOrder(state.isr.filter((m) => epochOf(m.brokerId) !== undefined));
  const cleanBack = back.filter((m) => snapshot.brokers.get(m.brokerId)?.registration.cleanStart === true && !shuttingDown(m.brokerId));
  if (cleanBack.length > 0) {
    return elect(cleanBack[0].brokerId, asCurrent(cleanBack[0].brokerId), "clean-election");
  }
  if (state.isr.length > 0 && back.length === state.isr.length) {
    const reports = back.map((m) => ({
      brokerId: m.brokerId,
      report: snapshot.replicaStates.get(`${entry.topic}/${entry.partition}/${m.brokerId}`)?.state,
    }));
    const reported = reports.every(
      ({ brokerId, report }) =>
        report !== undefined && report.topicId === state.topicId && report.brokerEpoch === epochOf(brokerId),
    );
    if (reported) {
      // `back` is in replica order and the sort is stable: ties go to the earlier replica.
      const best = [...reports].sort((a, b) => compareReplicaStates(b.report!, a.report!))[0];
      // The most complete one in controlled shutdown: wait for it to come back.
      if (!shuttingDown(best.brokerId)) return elect(best.brokerId, asCurrent(best.brokerId), "unclean-recovery");
    }
  }
  if (uncleanAllowed) {
    const liveReplicas = replicas.filter((id) => epochOf(id) !== undefined && !shuttingDown(id));
    const backEligible = back.filter((m) => !shuttingDown(m.brokerId));
    const candidate = backEligible.length > 0 ? backEligible[0].brokerId : liveReplicas[0];
    if (candidate !== undefined) return elect(candidate, asCurrent(candidate), "unclean-election");
  }
  if (state.leader === -1) return undefined;
  return {
    state: withChanges(state, { leader: -1, leaderEpoch: state.leaderEpoch + 1, leaderBrokerEpoch: 0n }),
    kind: "offline",
  };
}

/** Orders replica states by last epoch, then log end offset. */
function compareReplicaStates(
  a: { lastEpoch: number; logEndOffset: bigint },
  b: { lastEpoch: number; logEndOffset: bigint },
): number {
  if (a.lastEpoch !== b.lastEpoch) return a.lastEpoch - b.lastEpoch;
  return a.logEndOffset < b.logEndOffset ? -1 : a.logEndOffset > b.logEndOffset ? 1 : 0;
}

function withChanges(
  state: PartitionState,
  changes: Partial<Pick<PartitionState, "leader" | "leaderEpoch" | "leaderBrokerEpoch" | "isr" | "lastElectionUnclean">>,
): PartitionState {
  return create(PartitionStateSchema, {
    topicId: state.topicId,
    leader: changes.leader ?? state.leader,
    leaderEpoch: changes.leaderEpoch ?? state.leaderEpoch,
    leaderBrokerEpoch: changes.leaderBrokerEpoch ?? state.leaderBrokerEpoch,
    isr: changes.isr ?? state.isr,
    lastElectionUnclean: changes.lastElectionUnclean ?? state.lastElectionUnclean,
  });
}
