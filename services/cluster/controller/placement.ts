/**
 * Replica placement for new partitions (CLUSTER.md section 3), Kafka's
 * `AdminUtils.assignReplicasToBrokers`: the first replica (the preferred leader)
 * walks round-robin over the live brokers sorted by id from a start index, so
 * leaders spread evenly and topics do not all start on the same broker; the
 * followers follow at a shift that grows every full round, so replica sets vary.
 * With racks, the brokers are first arranged alternating racks (a, b, c, a, b...)
 * and a follower is skipped while its rack already holds a replica and some rack
 * holds none. Pure: the caller passes the live brokers.
 */
import { randomInt } from "node:crypto";
import { InvalidArgumentError } from "../../errors.js";

/** A live broker as placement sees it. */
export interface PlacementBroker {
  readonly id: number;
  /** Empty or absent: no rack. */
  readonly rack?: string;
}

export interface PlacementRequest {
  /** The live brokers, in any order. */
  readonly brokers: readonly PlacementBroker[];
  /** How many partitions to place. */
  readonly partitionCount: number;
  readonly replicationFactor: number;
  /** The number of the first partition placed: 0 for a new topic, the current
   * count when a topic grows (only the new partitions are placed). Default 0. */
  readonly firstPartition?: number;
  /** Index (into the arranged broker list) of partition 0's first replica.
   * Default random, so topics do not all lead on the same broker. */
  readonly startIndex?: number;
  /** The followers' initial shift. Default random. */
  readonly replicaShift?: number;
}

/**
 * Each new partition's replicas, the preferred leader first, on distinct brokers.
 * A replication factor above the live brokers is refused, never lowered.
 * @throws InvalidArgumentError INVALID_REPLICATION_FACTOR (the client asks for
 *   fewer replicas, or waits for brokers); INVALID_PARTITIONS
 */
export function placeReplicas(request: PlacementRequest): number[][] {
  const { partitionCount, replicationFactor } = request;
  if (!Number.isInteger(partitionCount) || partitionCount < 0) {
    throw new InvalidArgumentError("INVALID_PARTITIONS", "the partition count must be a non-negative integer");
  }
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw new InvalidArgumentError("INVALID_REPLICATION_FACTOR", "the replication factor must be at least 1");
  }
  const n = request.brokers.length;
  if (replicationFactor > n) {
    throw new InvalidArgumentError(
      "INVALID_REPLICATION_FACTOR",
      `replication factor ${replicationFactor} is larger than the ${n} live brokers`,
    );
  }
  const racks = new Set(request.brokers.map((b) => b.rack ?? ""));
  const rackAware = racks.size > 1;
  const arranged = rackAware ? rackAlternated(request.brokers) : [...request.brokers].sort((a, b) => a.id - b.id);
  const startIndex = mod(request.startIndex ?? randomInt(n), n);
  let shift = mod(request.replicaShift ?? randomInt(n), n);
  const firstPartition = request.firstPartition ?? 0;
  const result: number[][] = [];
  for (let i = 0; i < partitionCount; i++) {
    const p = firstPartition + i;
    if (p > 0 && p % n === 0) shift++;
    const first = (p + startIndex) % n;
    const replicas = [arranged[first]];
    if (!rackAware) {
      for (let j = 0; j < replicationFactor - 1; j++) replicas.push(arranged[replicaIndex(first, shift, j, n)]);
    } else {
      const racksWithReplicas = new Set([arranged[first].rack ?? ""]);
      const brokersWithReplicas = new Set([arranged[first].id]);
      let k = 0;
      while (replicas.length < replicationFactor) {
        const broker = arranged[replicaIndex(first, shift * racks.size, k++, n)];
        const rack = broker.rack ?? "";
        const rackFree = !racksWithReplicas.has(rack) || racksWithReplicas.size === racks.size;
        // Kafka also lets a broker hold two replicas once every broker holds one;
        // that needs a replication factor above the brokers, refused above.
        if (rackFree && !brokersWithReplicas.has(broker.id)) {
          replicas.push(broker);
          racksWithReplicas.add(rack);
          brokersWithReplicas.add(broker.id);
        }
      }
    }
    result.push(replicas.map((b) => b.id));
  }
  return result;
}

/**
 * The start index that continues a topic's placement when it grows (Kafka's
 * addPartitions): the position of its partition 0's preferred leader among the
 * live brokers (or of the next id above it, when that broker is gone).
 */
export function continuationIndex(brokers: readonly PlacementBroker[], partition0Leader: number): number {
  const sorted = brokers.map((b) => b.id).sort((a, b) => a - b);
  const i = sorted.findIndex((id) => id >= partition0Leader);
  return Math.max(0, i);
}

/** Kafka's replicaIndex: the j-th follower sits 1 + (shift + j) mod (n - 1) after the leader. */
function replicaIndex(first: number, shift: number, j: number, n: number): number {
  return (first + 1 + ((shift + j) % (n - 1))) % n;
}

/** Brokers in rack order a1, b1, c1, a2, b2... (racks and ids sorted): consecutive
 * positions are on different racks while every rack still has brokers left. */
function rackAlternated(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>();
  for (const b of brokers) {
    const rack = b.rack ?? "";
    let list = byRack.get(rack);
    if (list === undefined) byRack.set(rack, (list = []));
    list.push(b);
  }
  const lists = [...byRack.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, list]) => list.sort((a, b) => a.id - b.id));
  const result: PlacementBroker[] = [];
  for (let i = 0; result.length < brokers.length; i++) {
    for (const list of lists) if (i < list.length) result.push(list[i]);
  }
  return result;
}

function mod(a: number, n: number): number {
  return ((Math.trunc(a) % n) + n) % n;
}
