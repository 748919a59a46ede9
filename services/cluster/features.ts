/**
 * Broker features and their levels, for rolling upgrades (CLUSTER.md section 5, after
 * Kafka's KIP-584 feature versioning). Each broker advertises, in its registration
 * (`brokers/<id>`, `features`), every feature this build supports with its highest
 * level. Something new that brokers exchange — a field another broker must act on, a
 * message of the internal service — gets a feature name (or a higher level of one) and
 * is used only at the **finalized** level: the lowest level every live broker
 * advertises (0 when any lacks the feature, so a broker of an older build switches it
 * off). Once the last old broker is replaced, the level rises by itself; a downgrade
 * (an old build joining again) lowers it just as well.
 *
 * Levels only ever grow with a build: a level's meaning never changes once released.
 */
import type { LiveBroker } from "./cluster-state.js";

/** The features this build supports, each with its highest level. */
export const supportedFeatures: Readonly<Record<string, number>> = Object.freeze({
  /**
   * 1: on SIGTERM a broker rewrites its registration with `shutting_down`; the
   * controller moves its leaderships to other in-sync replicas, elects it nowhere and
   * takes it out of ISRs (docs/cluster.md, "Rolling restarts"). A broker waits for that
   * only when every live broker is at level 1: a controller of an older build would
   * ignore the flag, and the broker would wait for nothing.
   */
  "controlled-shutdown": 1,
  /**
   * 1: the replication stream of issue 16 (tributary.cluster.v1.ReplicaService:
   * fetch by leader epoch, truncation by leader epoch). A change to what followers and
   * leaders exchange raises it, and the new form is used only once finalized.
   */
  replication: 1,
});

/** The feature names this module's callers gate on. */
export const controlledShutdownFeature = "controlled-shutdown";

/** The lowest level of `name` over `brokers` (0 when any lacks it, or there is none). */
export function featureLevel(brokers: Iterable<LiveBroker>, name: string): number {
  let level: number | undefined;
  for (const { registration } of brokers) {
    const advertised = registration.features[name] ?? 0;
    level = level === undefined ? advertised : Math.min(level, advertised);
  }
  return level ?? 0;
}

/** Every feature some live broker advertises, at its finalized level; those at 0 are left out. */
export function finalizedFeatures(brokers: Iterable<LiveBroker>): Record<string, number> {
  const list = [...brokers];
  const names = new Set(list.flatMap(({ registration }) => Object.keys(registration.features)));
  const finalized: Record<string, number> = {};
  for (const name of [...names].sort()) {
    const level = featureLevel(list, name);
    if (level > 0) finalized[name] = level;
  }
  return finalized;
}
