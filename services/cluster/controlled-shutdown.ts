import type { ClusterSnapshot } from "./cluster-state.js";
import type { MetadataCache } from "./metadata-cache.js";

/**
 * The parts of a controlled shutdown (docs/cluster.md, "Rolling restarts") that read the
 * cluster metadata: what a broker still has to hand off, and the wait for the controller
 * to have done it. ClusterNode.controlledShutdown drives them.
 */

/** How a controlled shutdown ended (ClusterNode.controlledShutdown). */
export interface ControlledShutdownOutcome {
  /** "moved": the controller handed off everything it could; "skipped": not every live
   * broker supports it (or this broker was not registered); "timed-out": the bounded wait
   * ended first; "cut-short": a second signal asked to stop now. */
  readonly result: "moved" | "skipped" | "timed-out" | "cut-short";
  /** Partitions this broker led when it asked. */
  readonly leaderships: number;
  /** From the registration rewrite to the end of the wait, ms. */
  readonly elapsedMs: number;
  /** Partitions it still leads at the end (no other in-sync replica, or the wait ended). */
  readonly stillLeading: readonly string[];
}

/** What the controller still has to hand off from one broker incarnation. */
export interface HandOff {
  /** Partitions it leads. */
  readonly leading: string[];
  /** Of those, the ones another current ISR member not in controlled shutdown could lead. */
  readonly movable: string[];
  /** Partitions under a live leader whose ISR it is still in. */
  readonly inIsr: string[];
}

/**
 * What the controller still has to hand off from this broker, by the metadata: the
 * partitions it leads (`leading`), those of them another current ISR member not in
 * controlled shutdown could lead (`movable`), and the ISRs under a live leader it is
 * still in (`inIsr`).
 */
export function handOff(snapshot: ClusterSnapshot, brokerId: number, brokerEpoch: bigint): HandOff {
  const leading: string[] = [];
  const movable: string[] = [];
  const inIsr: string[] = [];
  const epoch = brokerEpoch;
  const eligible = (id: number, brokerEpoch: bigint) => {
    const broker = snapshot.brokers.get(id);
    return broker !== undefined && broker.brokerEpoch === brokerEpoch && !broker.registration.shuttingDown;
  };
  for (const [key, { state }] of snapshot.partitions) {
    if (!snapshot.topics.has(key.slice(0, key.lastIndexOf("/")))) continue;
    if (state.leader === brokerId && state.leaderBrokerEpoch === epoch) {
      leading.push(key);
      if (state.isr.some((m) => m.brokerId !== brokerId && eligible(m.brokerId, m.brokerEpoch))) movable.push(key);
    } else if (state.leader >= 0 && state.isr.some((m) => m.brokerId === brokerId && m.brokerEpoch === epoch)) {
      const leader = snapshot.brokers.get(state.leader);
      if (leader !== undefined && leader.brokerEpoch === state.leaderBrokerEpoch) inIsr.push(key);
    }
  }
  return { leading, movable, inIsr };
}

/** Partitions whose ISR, without this broker, has fewer current members than the topic's minInsyncReplicas. */
export function leftUnderMinIsr(snapshot: ClusterSnapshot, brokerId: number, brokerEpoch: bigint): string[] {
  const epoch = brokerEpoch;
  const found: string[] = [];
  for (const [key, { state }] of snapshot.partitions) {
    const topic = snapshot.topics.get(key.slice(0, key.lastIndexOf("/")));
    if (topic === undefined || !state.isr.some((m) => m.brokerId === brokerId && m.brokerEpoch === epoch)) continue;
    const others = state.isr.filter((m) => m.brokerId !== brokerId && snapshot.brokers.get(m.brokerId)?.brokerEpoch === m.brokerEpoch);
    if (others.length < (topic.assignment.config?.minInsyncReplicas || 1)) found.push(key);
  }
  return found;
}

/** Resolves when nothing is left to hand off, the time is up, or `signal` aborts. */
export function waitForHandOff(
metadata: MetadataCache,
brokerId: number,
brokerEpoch: bigint,
timeoutMs: number,
signal: AbortSignal | undefined,
): Promise<"moved" | "timed-out" | "cut-short"> {
  const done = () => {
    const left = handOff(metadata.current, brokerId, brokerEpoch);
    return left.movable.length === 0 && left.inIsr.length === 0;
  };
  if (done()) return Promise.resolve("moved");
  if (signal?.aborted) return Promise.resolve("cut-short");
  return new Promise((resolve) => {
    const finish = (how: "moved" | "timed-out" | "cut-short") => {
      clearTimeout(timer);
      off();
      signal?.removeEventListener("abort", onAbort);
      resolve(how);
    };
    const onAbort = () => finish("cut-short");
    const timer = setTimeout(() => finish("timed-out"), Math.max(0, timeoutMs));
    const off = metadata.onChange(() => {
      if (done()) finish("moved");
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
