import { describe, expect, it } from "vitest";
import { OutOfOrderSequenceError } from "../../services/errors.js";
import { ProducerStateManager } from "../../services/log/producer-state.js";

const batch = (sequence: bigint, baseOffset: number) => ({ sequence, baseOffset, lastOffset: baseOffset + 9, appendTimeMs: 1000 + baseOffset });

describe("ProducerStateManager", () => {
  it("answers a remembered sequence with its original batch", () => {
    const state = new ProducerStateManager();
    state.record(7n, batch(1n, 0));
    state.record(7n, batch(2n, 10));
    expect(state.check(7n, 1n)).toEqual(batch(1n, 0));
    expect(state.check(7n, 3n)).toBeNull();
    expect(state.check(8n, 1n)).toBeNull();
  });

  it("allows gaps but rejects a sequence at or below the last one that is no longer remembered", () => {
    const state = new ProducerStateManager();
    for (let i = 0; i < 7; i++) state.record(1n, batch(BigInt(i * 10), i * 10));
    expect(state.check(1n, 65n)).toBeNull();
    expect(state.check(1n, 20n)).toEqual(batch(20n, 20)); // one of the last five
    expect(() => state.check(1n, 10n)).toThrow(OutOfOrderSequenceError);
    expect(() => state.check(1n, 55n)).toThrow(OutOfOrderSequenceError);
  });

  it("forgets the least recently appending producer beyond its limit", () => {
    const state = new ProducerStateManager(2);
    state.record(1n, batch(0n, 0));
    state.record(2n, batch(0n, 10));
    state.record(1n, batch(1n, 20));
    state.record(3n, batch(0n, 30));
    expect(state.producerCount).toBe(2);
    expect(state.check(2n, 0n)).toBeNull(); // forgotten: accepted as new
    expect(state.check(1n, 1n)).not.toBeNull();
  });

  it("round-trips through a snapshot and rejects a damaged one", () => {
    const state = new ProducerStateManager();
    state.record(5n, batch(3n, 40));
    state.record(-0n, batch(9n, 50));
    const snapshot = state.toSnapshot(60);
    const loaded = ProducerStateManager.fromSnapshot(snapshot);
    expect(loaded?.endOffset).toBe(60);
    expect(loaded?.state.check(5n, 3n)).toEqual(batch(3n, 40));
    snapshot[20] ^= 1;
    expect(ProducerStateManager.fromSnapshot(snapshot)).toBeNull();
  });
});
