/** A partition of a topic, as the coordinator and assignors see it. */
export interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export type AssignorKind = "range" | "round-robin" | "sticky";

/** What an assignor knows of a member: its id and the topics it consumes. */
export interface AssignorMember {
  readonly memberId: string;
  readonly topics: readonly string[];
}

/** Member id -> partitions it owns. */
export type Assignment = Map<string, PartitionRef[]>;

export const partitionKey = (p: PartitionRef): string => `${p.topic}\u0000${p.partition}`;

const byTopicThenPartition = (a: PartitionRef, b: PartitionRef) =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

/**
 * Computes a group's assignment. Every partition of a topic some member
 * consumes goes to exactly one member that consumes it; members are taken in
 * id order so the result is deterministic.
 *
 * @param partitionCounts topic -> partition count (topics that exist)
 * @param current the current ownership; only "sticky" looks at it
 */
export function assign(
  kind: AssignorKind,
  members: readonly AssignorMember[],
  partitionCounts: ReadonlyMap<string, number>,
  current: Assignment,
): Assignment {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const result: Assignment = new Map(sorted.map((m) => [m.memberId, []]));
  if (sorted.length === 0) return result;
  switch (kind) {
    case "range":
      return rangeAssign(sorted, partitionCounts, result);
    case "round-robin":
      return roundRobinAssign(sorted, partitionCounts, result);
    case "sticky":
      return stickyAssign(sorted, partitionCounts, current, result);
  }
}

function subscribedPartitions(members: readonly AssignorMember[], counts: ReadonlyMap<string, number>): PartitionRef[] {
  const topics = new Set(members.flatMap((m) => m.topics).filter((t) => counts.has(t)));
  const partitions: PartitionRef[] = [];
  for (const topic of [...topics].sort()) {
    for (let partition = 0; partition < counts.get(topic)!; partition++) partitions.push({ topic, partition });
  }
  return partitions;
}

/** Kafka's RangeAssignor: per topic, contiguous ranges; the first members get one extra. */
function rangeAssign(members: readonly AssignorMember[], counts: ReadonlyMap<string, number>, result: Assignment): Assignment {
  const topics = [...new Set(members.flatMap((m) => m.topics))].filter((t) => counts.has(t)).sort();
  for (const topic of topics) {
    const consumers = members.filter((m) => m.topics.includes(topic));
    const count = counts.get(topic)!;
    const per = Math.floor(count / consumers.length);
    const extra = count % consumers.length;
    let next = 0;
    consumers.forEach((m, i) => {
      const take = per + (i < extra ? 1 : 0);
      for (let k = 0; k < take; k++) result.get(m.memberId)!.push({ topic, partition: next++ });
    });
  }
  return result;
}

/** Kafka's RoundRobinAssignor: all partitions in order, dealt to the members that consume their topic. */
function roundRobinAssign(members: readonly AssignorMember[], counts: ReadonlyMap<string, number>, result: Assignment): Assignment {
  let cursor = 0;
  for (const p of subscribedPartitions(members, counts)) {
    for (let tries = 0; tries < members.length; tries++) {
      const m = members[cursor++ % members.length];
      if (m.topics.includes(p.topic)) {
        result.get(m.memberId)!.push(p);
        break;
      }
    }
  }
  return result;
}

/**
 * Balanced and sticky: a member keeps what it owns while it still consumes the
 * topic and is not above its fair share (ceil of partitions / members); only
 * the rest moves, each to the least-loaded member that consumes its topic. So
 * a join moves only the partitions the newcomer takes, and a leave moves only
 * the leaver's partitions.
 */
function stickyAssign(
  members: readonly AssignorMember[],
  counts: ReadonlyMap<string, number>,
  current: Assignment,
  result: Assignment,
): Assignment {
  const partitions = subscribedPartitions(members, counts);
  const valid = new Set(partitions.map(partitionKey));
  const total = partitions.length;
  const floor = Math.floor(total / members.length);
  let ceilSlots = total % members.length; // how many members may hold floor + 1
  const taken = new Set<string>();

  // Keep current ownership up to the fair share; the members that already hold
  // more keep floor + 1 first, so a balanced group does not move at all.
  const keepOrder = [...members].sort(
    (a, b) => (current.get(b.memberId)?.length ?? 0) - (current.get(a.memberId)?.length ?? 0),
  );
  for (const m of keepOrder) {
    const owned = (current.get(m.memberId) ?? [])
      .filter((p) => valid.has(partitionKey(p)) && m.topics.includes(p.topic) && !taken.has(partitionKey(p)))
      .sort(byTopicThenPartition);
    let quota = floor;
    if (owned.length > floor && ceilSlots > 0) {
      quota = floor + 1;
      ceilSlots--;
    }
    for (const p of owned.slice(0, quota)) {
      result.get(m.memberId)!.push(p);
      taken.add(partitionKey(p));
    }
  }
  // Hand out the rest to the least-loaded eligible member (ties: member id order).
  for (const p of partitions) {
    if (taken.has(partitionKey(p))) continue;
    let best: AssignorMember | undefined;
    for (const m of members) {
      if (!m.topics.includes(p.topic)) continue;
      if (best === undefined || result.get(m.memberId)!.length < result.get(best.memberId)!.length) best = m;
    }
    if (best !== undefined) {
      result.get(best.memberId)!.push(p);
      taken.add(partitionKey(p));
    }
  }
  for (const list of result.values()) list.sort(byTopicThenPartition);
  return result;
}
