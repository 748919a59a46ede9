import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  BrokerRegistrationSchema,
  IsrMemberSchema,
  PartitionAssignmentSchema,
  PartitionStateSchema,
  ReplicaStateSchema,
  TopicAssignmentSchema,
} from "../../../gen/ts/tributary/cluster/v1/metadata_pb.js";
import { TopicConfigSchema } from "../../../gen/ts/tributary/v1/admin_pb.js";
import type { ClusterSnapshot, LiveBroker, PartitionEntry, ReplicaStateEntry } from "../../../services/cluster/cluster-state.js";
import { decide, type DecisionKind } from "../../../services/cluster/controller/decide.js";

/** A broker: [id, epoch] live after a clean start, [id, epoch, "unclean"], or [id, epoch, "shutting-down"] (controlled shutdown). */
type BrokerSpec = [number, number] | [number, number, "unclean" | "shutting-down"];
/** ISR member: [brokerId, brokerEpoch]. */
type Member = [number, number];

interface Case {
  name: string;
  brokers: BrokerSpec[];
  replicas?: number[];
  leader: number;
  leaderBrokerEpoch: number;
  isr: Member[];
  unclean?: boolean;
  /** [brokerId, reported under broker epoch, lastEpoch, logEndOffset] */
  reports?: Array<[number, number, number, number]>;
  topicId?: string;
  expect:
    | undefined
    | { kind: DecisionKind; leader: number; leaderEpoch: number; leaderBrokerEpoch?: number; isr: Member[]; lastElectionUnclean?: boolean };
}

const cases: Case[] = [
  { name: "a healthy partition is left alone", brokers: [[1, 10], [2, 20], [3, 30]], leader: 1, leaderBrokerEpoch: 10, isr: [[1, 10], [2, 20], [3, 30]], expect: undefined },
  {
    name: "a dead leader is replaced by the next live ISR member in replica order",
    brokers: [[2, 20], [3, 30]], leader: 1, leaderBrokerEpoch: 10, isr: [[3, 30], [1, 10], [2, 20]],
    expect: { kind: "clean-election", leader: 2, leaderEpoch: 6, leaderBrokerEpoch: 20, isr: [[3, 30], [2, 20]] },
  },
  {
    name: "a leader restarted under a new broker epoch is not alive: the next member leads, its old incarnation leaves",
    brokers: [[1, 11], [2, 20], [3, 30]], leader: 1, leaderBrokerEpoch: 10, isr: [[1, 10], [2, 20]],
    expect: { kind: "clean-election", leader: 2, leaderEpoch: 6, isr: [[2, 20]] },
  },
  {
    name: "a live leader keeps leading while dead and restarted followers leave the ISR",
    brokers: [[1, 10], [3, 31]], leader: 1, leaderBrokerEpoch: 10, isr: [[1, 10], [2, 20], [3, 30]],
    expect: { kind: "isr-shrink", leader: 1, leaderEpoch: 5, isr: [[1, 10]] },
  },
  {
    name: "the last ISR member is kept when it dies: the partition goes offline, epoch bumped once",
    brokers: [[2, 20], [3, 30]], leader: 1, leaderBrokerEpoch: 10, isr: [[1, 10]],
    expect: { kind: "offline", leader: -1, leaderEpoch: 6, isr: [[1, 10]] },
  },
  {
    name: "an offline partition stays as it is while its ISR members are away",
    brokers: [[2, 20], [3, 30]], leader: -1, leaderBrokerEpoch: 0, isr: [[1, 10]],
    expect: undefined,
  },
  {
    name: "the last ISR member back after a clean shutdown leads again under its new epoch",
    brokers: [[1, 15], [2, 20]], leader: -1, leaderBrokerEpoch: 0, isr: [[1, 10]],
    expect: { kind: "clean-election", leader: 1, leaderEpoch: 6, leaderBrokerEpoch: 15, isr: [[1, 15]], lastElectionUnclean: false },
  },
  {
    name: "outside the ISR only when the topic allows unclean election",
    brokers: [[2, 20], [3, 30]], leader: 1, leaderBrokerEpoch: 10, isr: [[1, 10]], unclean: true,
    expect: { kind: "unclean-election", leader: 2, leaderEpoch: 6, isr: [[2, 20]], lastElectionUnclean: true },
  },
  {
    name: "KIP-966: every ISR member back uncleanly, all reported: the highest (last epoch, log end) leads",
    brokers: [[1, 11, "unclean"], [2, 21, "unclean"], [3, 31, "unclean"]], leader: -1, leaderBrokerEpoch: 0,
    isr: [[1, 10], [2, 20], [3, 30]],
    reports: [[1, 11, 4, 900], [2, 21, 5, 100], [3, 31, 5, 120]],
    expect: { kind: "unclean-recovery", leader: 3, leaderEpoch: 6, leaderBrokerEpoch: 31, isr: [[3, 31]], lastElectionUnclean: true },
  },
  {
    name: "KIP-966: a tie goes to the earlier replica",
    brokers: [[1, 11, "unclean"], [2, 21, "unclean"]], leader: -1, leaderBrokerEpoch: 0, isr: [[2, 20], [1, 10]],
    reports: [[1, 11, 5, 100], [2, 21, 5, 100]],
    expect: { kind: "unclean-recovery", leader: 1, leaderEpoch: 6, isr: [[1, 11]], lastElectionUnclean: true },
  },
  {
    name: "KIP-966 waits for every ISR member's report under its current epoch (a report of an older incarnation does not count)",
    brokers: [[1, 11, "unclean"], [2, 21, "unclean"]], leader: -1, leaderBrokerEpoch: 0, isr: [[1, 10], [2, 20]],
    reports: [[1, 11, 5, 100], [2, 20, 9, 900]],
    expect: undefined,
  },
  {
    name: "KIP-966 waits while an ISR member is still away",
    brokers: [[1, 11, "unclean"], [3, 30]], leader: 2, leaderBrokerEpoch: 20, isr: [[1, 10], [2, 20]],
    reports: [[1, 11, 5, 100]],
    expect: { kind: "offline", leader: -1, leaderEpoch: 6, isr: [[1, 10], [2, 20]] },
  },
  {
    name: "controlled shutdown: the leader's leadership moves to the first other current ISR member in replica order, which takes it out of the ISR",
    brokers: [[1, 10, "shutting-down"], [2, 20], [3, 30]], leader: 1, leaderBrokerEpoch: 10, isr: [[1, 10], [3, 30], [2, 20]],
    expect: { kind: "controlled-shutdown", leader: 2, leaderEpoch: 6, leaderBrokerEpoch: 20, isr: [[3, 30], [2, 20]] },
  },
  {
    name: "controlled shutdown: a follower shutting down leaves the ISR; the leader stays",
    brokers: [[1, 10], [2, 20, "shutting-down"], [3, 30]], leader: 1, leaderBrokerEpoch: 10, isr: [[1, 10], [2, 20], [3, 30]],
    expect: { kind: "isr-shrink", leader: 1, leaderEpoch: 5, isr: [[1, 10], [3, 30]] },
  },
  {
    name: "controlled shutdown: a leader with no other current ISR member keeps leading; members shutting down leave",
    brokers: [[1, 10, "shutting-down"], [2, 20, "shutting-down"], [3, 30]], leader: 1, leaderBrokerEpoch: 10, isr: [[1, 10], [2, 20], [3, 29]],
    expect: { kind: "isr-shrink", leader: 1, leaderEpoch: 5, isr: [[1, 10]] },
  },
  {
    name: "controlled shutdown: a leader alone in its ISR is left alone",
    brokers: [[1, 10, "shutting-down"], [2, 20], [3, 30]], leader: 1, leaderBrokerEpoch: 10, isr: [[1, 10]],
    expect: undefined,
  },
  {
    name: "controlled shutdown: a dead leader is replaced by a member not shutting down, even if later in replica order",
    brokers: [[2, 20, "shutting-down"], [3, 30]], leader: 1, leaderBrokerEpoch: 10, isr: [[1, 10], [2, 20], [3, 30]],
    expect: { kind: "clean-election", leader: 3, leaderEpoch: 6, leaderBrokerEpoch: 30, isr: [[3, 30]] },
  },
  {
    name: "controlled shutdown: a broker shutting down is elected nowhere: with only such members the partition goes offline",
    brokers: [[2, 20, "shutting-down"], [3, 30]], leader: 1, leaderBrokerEpoch: 10, isr: [[1, 10], [2, 20]],
    expect: { kind: "offline", leader: -1, leaderEpoch: 6, isr: [[1, 10], [2, 20]] },
  },
  {
    name: "controlled shutdown: a member back after a clean shutdown but shutting down again is not elected",
    brokers: [[1, 15, "shutting-down"], [2, 20]], leader: -1, leaderBrokerEpoch: 0, isr: [[1, 10]],
    expect: undefined,
  },
  {
    name: "a state written by a creator that lost the race (another topic id) is written anew",
    brokers: [[1, 10], [2, 20], [3, 30]], leader: 1, leaderBrokerEpoch: 10, isr: [[1, 10]], topicId: "other",
    expect: { kind: "create", leader: 1, leaderEpoch: 6, isr: [[1, 10], [2, 20], [3, 30]] },
  },
];

function snapshotOf(c: Case): ClusterSnapshot {
  const replicas = c.replicas ?? [1, 2, 3];
  const brokers = new Map<number, LiveBroker>(
    c.brokers.map(([id, epoch, how]) => [
      id,
      {
        registration: create(BrokerRegistrationSchema, { id, address: `h:${id}`, cleanStart: how !== "unclean", shuttingDown: how === "shutting-down" }),
        brokerEpoch: BigInt(epoch),
      },
    ]),
  );
  const assignment = create(TopicAssignmentSchema, {
    topicId: "tid",
    name: "t",
    config: create(TopicConfigSchema, { uncleanLeaderElection: c.unclean }),
    partitions: [create(PartitionAssignmentSchema, { replicas })],
  });
  const state = create(PartitionStateSchema, {
    topicId: c.topicId ?? "tid",
    leader: c.leader,
    leaderEpoch: 5,
    leaderBrokerEpoch: BigInt(c.leaderBrokerEpoch),
    isr: c.isr.map(([brokerId, e]) => create(IsrMemberSchema, { brokerId, brokerEpoch: BigInt(e) })),
  });
  const partitions = new Map<string, PartitionEntry>([["t/0", { topic: "t", partition: 0, state, modRevision: 99n }]]);
  const replicaStates = new Map<string, ReplicaStateEntry>(
    (c.reports ?? []).map(([brokerId, epoch, lastEpoch, leo]) => [
      `t/0/${brokerId}`,
      {
        topic: "t",
        partition: 0,
        brokerId,
        state: create(ReplicaStateSchema, { topicId: "tid", brokerEpoch: BigInt(epoch), lastEpoch, logEndOffset: BigInt(leo) }),
      },
    ]),
  );
  return {
    revision: 100n,
    brokers,
    controller: undefined,
    topics: new Map([["t", { assignment, modRevision: 50n }]]),
    partitions,
    replicaStates,
  };
}

describe("decide", () => {
  it.each(cases)("$name", (c) => {
    const decisions = decide(snapshotOf(c));
    if (c.expect === undefined) {
      expect(decisions).toEqual([]);
      return;
    }
    expect(decisions).toHaveLength(1);
    const [d] = decisions;
    expect(d.kind).toBe(c.expect.kind);
    expect(d.modRevision).toBe(99n);
    expect(d.state.topicId).toBe("tid");
    expect(d.state.leader).toBe(c.expect.leader);
    expect(d.state.leaderEpoch).toBe(c.expect.leaderEpoch);
    if (c.expect.leaderBrokerEpoch !== undefined) expect(d.state.leaderBrokerEpoch).toBe(BigInt(c.expect.leaderBrokerEpoch));
    expect(d.state.isr.map((m) => [m.brokerId, Number(m.brokerEpoch)])).toEqual(c.expect.isr);
    if (c.expect.lastElectionUnclean !== undefined) expect(d.state.lastElectionUnclean).toBe(c.expect.lastElectionUnclean);
    // Level-triggered: the decided state, applied, needs nothing more.
    const after = snapshotOf(c);
    (after.partitions as Map<string, PartitionEntry>).set("t/0", { topic: "t", partition: 0, state: d.state, modRevision: 101n });
    expect(decide(after)).toEqual([]);
  });

  it("writes a missing state of an existing topic with its first live replica leading", () => {
    const s = snapshotOf(cases[0]);
    (s.partitions as Map<string, PartitionEntry>).clear();
    (s.brokers as Map<number, LiveBroker>).delete(1);
    const [d] = decide(s);
    expect(d).toMatchObject({ kind: "create", modRevision: 0n });
    expect(d.state.leader).toBe(2);
    expect(d.state.leaderEpoch).toBe(0);
    expect(d.state.isr.map((m) => m.brokerId)).toEqual([2, 3]);
  });

  it("ignores partition states without a topic (a create in progress)", () => {
    const s = snapshotOf(cases[1]);
    (s.topics as Map<string, unknown>).clear();
    expect(decide(s)).toEqual([]);
  });
});
