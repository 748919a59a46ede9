/**
 * The broker's one notion of time, passed in as Kafka passes `Time`: whatever stamps
 * records, commit times, topic creation, retention and group expiry takes a Clock, so a
 * test can hold or move time instead of sleeping. Imports nothing, so the storage
 * engine can take one too.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (wall-clock time, as Date.now()). */
  nowMs(): number;
}

/** Date.now(): the clock startBroker uses unless its options give another. */
export const systemClock: Clock = { nowMs: () => Date.now() };
