/**
 * Readers of a partition whose log is truncated under them (Log.truncateTo, which a
 * replica in a cluster calls; issue 15, section 1): a Fetch past the new end gets
 * OUT_OF_RANGE, also one that was waiting there; a Subscribe waiting past it gets an
 * offset reset to the truncation point and continues with the records written there next.
 */
import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorReason } from "../../clients/ts/index.js";
import { bytes, startTestBroker, text, type TestBroker } from "../helpers/test-broker.js";

describe("A truncated partition log", () => {
  let t: TestBroker;
  beforeEach(async () => {
    t = await startTestBroker();
    await t.admin.createTopic({ name: "cut", partitions: 1 });
    await t.produce.produce({ topic: "cut", records: ["a", "b", "c"].map((v) => ({ value: bytes(v) })) });
    await t.produce.produce({ topic: "cut", records: ["d", "e"].map((v) => ({ value: bytes(v) })) });
  });
  afterEach(async () => {
    await t.close();
  });

  it("answers Fetch past the new end with OUT_OF_RANGE, waiting ones included, and resets a Subscribe", async () => {
    const stream = t.fetch.subscribe({ topic: "cut", startPosition: { case: "earliest", value: true } });
    const events = stream[Symbol.asyncIterator]();
    const seen: string[] = [];
    while (seen.length < 5) {
      const { value } = await events.next();
      if (value.event.case === "records") for (const r of value.event.value.records) seen.push(`${r.offset}:${text(r.value)}`);
    }
    expect(seen).toEqual(["0:a", "1:b", "2:c", "3:d", "4:e"]);
    const waiting = t.fetch.fetch({ topic: "cut", partition: 0, offset: 5n, maxWaitMs: 60_000 }).catch((e: unknown) => e);

    await t.broker.topics.partition("cut", 0).truncateTo(3n);

    const waited = await waiting; // woken by the truncation, not by max_wait_ms
    expect(waited).toMatchObject({ code: status.OUT_OF_RANGE });
    expect(errorReason(waited)).toBe("OFFSET_OUT_OF_RANGE");
    const past = await t.fetch.fetch({ topic: "cut", partition: 0, offset: 4n }).catch((e: unknown) => e);
    expect(past).toMatchObject({ code: status.OUT_OF_RANGE });
    expect(errorReason(past)).toBe("OFFSET_OUT_OF_RANGE");

    const reset = (await events.next()).value;
    expect(reset.event.case).toBe("offsetReset");
    expect(reset.event.value).toMatchObject({ topic: "cut", partition: 0, requestedOffset: 5n, resetOffset: 3n, truncated: true });
    await t.produce.produce({ topic: "cut", records: [{ value: bytes("f") }] });
    const next = (await events.next()).value;
    expect(next.event.case).toBe("records");
    expect(next.event.value.records.map((r: { offset: bigint; value: Uint8Array }) => `${r.offset}:${text(r.value)}`)).toEqual(["3:f"]);
    stream.cancel();
    const fetched = await t.fetch.fetch({ topic: "cut", partition: 0, offset: 0n });
    expect(fetched.records.map((r) => text(r.value))).toEqual(["a", "b", "c", "f"]);
  });
});
