import { describe, expect, it } from "vitest";
import { minReadBytes, ReadAbortedError, StreamBudget } from "../../services/fetch/stream-writer.js";

const MiB = 1024 * 1024;

/** Whether `promise` has settled once pending callbacks have run (no timers). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

describe("StreamBudget", () => {
  it("shares totalBytes among open streams, at most perStreamBytes and never below minReadBytes", () => {
    const budget = new StreamBudget(8 * MiB, 4 * MiB);
    expect(budget.share()).toBe(4 * MiB); // no stream open: one stream's share
    budget.open();
    expect(budget.share()).toBe(4 * MiB);
    budget.open();
    budget.open();
    budget.open();
    expect(budget.share()).toBe(2 * MiB);
    for (let i = 0; i < 1000; i++) budget.open();
    expect(budget.share()).toBe(minReadBytes);
  });

  it("grants a waiter only once bytes come back, in arrival order, without one that cannot go holding up the others", async () => {
    const budget = new StreamBudget(MiB, MiB);
    const signal = new AbortController().signal;
    budget.take(MiB);
    const fits = (bytes: number) => () => {
      if (budget.used + bytes > budget.totalBytes) return false;
      budget.take(bytes);
      return true;
    };
    const order: string[] = [];
    const big = budget.wait(fits(MiB), signal).then(() => order.push("big"));
    const small = budget.wait(fits(MiB / 4), signal).then(() => order.push("small"));
    expect(await settled(big)).toBe(false);
    expect(await settled(small)).toBe(false);
    budget.give(MiB / 2); // room for the small one, not the big one
    expect(await settled(small)).toBe(true);
    expect(await settled(big)).toBe(false);
    budget.give(MiB / 2 + MiB / 4);
    await big;
    expect(order).toEqual(["small", "big"]);
    expect(budget.used).toBe(MiB);
  });

  it("resolves a wait when its signal aborts, and never asks it again", async () => {
    const budget = new StreamBudget(MiB, MiB);
    budget.take(MiB);
    const controller = new AbortController();
    let asked = 0;
    const wait = budget.wait(() => {
      asked++;
      return false;
    }, controller.signal);
    controller.abort();
    await wait;
    const before = asked;
    budget.give(MiB);
    expect(asked).toBe(before);
  });

  it("wakes waiters when a stream closes: every remaining share grew", async () => {
    const budget = new StreamBudget(2 * MiB, 2 * MiB);
    budget.open();
    budget.open();
    const signal = new AbortController().signal;
    const wait = budget.wait(() => budget.share() === 2 * MiB, signal);
    expect(await settled(wait)).toBe(false);
    budget.close();
    expect(await settled(wait)).toBe(true);
  });

  it("admits a read within the budget at once, and its release gives the bytes back once", async () => {
    const budget = new StreamBudget(MiB, MiB);
    const release = await budget.admitRead(MiB / 2, new AbortController().signal);
    expect(budget.used).toBe(MiB / 2);
    release();
    release();
    expect(budget.used).toBe(0);
  });

  it("lets one read overdraw the budget at a time; the next waits for its release", async () => {
    const budget = new StreamBudget(MiB, MiB);
    const signal = new AbortController().signal;
    budget.take(MiB);
    const first = await budget.admitRead(2 * MiB, signal);
    expect(budget.overdrawn).toBe(true);
    expect(budget.used).toBe(3 * MiB);
    const second = budget.admitRead(2 * MiB, signal);
    expect(await settled(second)).toBe(false);
    first();
    const release = await second;
    expect(budget.overdrawn).toBe(true);
    release();
    expect(budget.overdrawn).toBe(false);
    expect(budget.used).toBe(MiB);
  });

  it("refuses a read whose signal aborts before it is admitted, holding nothing", async () => {
    const budget = new StreamBudget(MiB, MiB);
    const signal = new AbortController().signal;
    budget.take(MiB);
    const overdraft = await budget.admitRead(2 * MiB, signal);
    const controller = new AbortController();
    const waiting = budget.admitRead(MiB, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(ReadAbortedError);
    overdraft();
    expect(budget.used).toBe(MiB);
    const aborted = new AbortController();
    aborted.abort();
    await expect(budget.admitRead(1, aborted.signal)).rejects.toBeInstanceOf(ReadAbortedError);
    expect(budget.used).toBe(MiB);
  });

  it("reuses a given-back large buffer for a read it fits (not one more than twice too big)", () => {
    const budget = new StreamBudget(MiB, MiB);
    const buffer = budget.takeLargeBuffer(minReadBytes + 1);
    expect(buffer.length).toBe(2 * minReadBytes); // rounded up to whole reads
    budget.giveLargeBuffer(buffer);
    expect(budget.takeLargeBuffer(16)).not.toBe(buffer); // would waste more than half
    expect(budget.takeLargeBuffer(2 * minReadBytes)).toBe(buffer);
    expect(budget.takeLargeBuffer(2 * minReadBytes)).not.toBe(buffer); // taken: no longer pooled
  });
});
