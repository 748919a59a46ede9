import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { errorReason, type ServerStream } from "../../clients/ts/index.js";
import type { SubscribeResponse } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { bytes, startTestBroker, text, type TestBroker } from "../helpers/test-broker.js";

/** Reads a stream until `count` records arrived; returns them as "partition:offset:value". */
async function take(stream: ServerStream<SubscribeResponse>, count: number): Promise<string[]> {
  const seen: string[] = [];
  for await (const message of stream) {
    if (message.event.case !== "records") continue;
    const { partition, records } = message.event.value;
    for (const r of records) seen.push(`${partition}:${r.offset}:${text(r.value)}`);
    if (seen.length >= count) break;
  }
  stream.cancel();
  return seen;
}

describe("Subscribe", () => {
  let t: TestBroker;
  beforeEach(async () => {
    t = await startTestBroker();
    await t.admin.createTopic({ name: "events", partitions: 2 });
    await t.produce.produce({ topic: "events", partition: 0, records: [{ value: bytes("a") }, { value: bytes("b") }] });
    await t.produce.produce({ topic: "events", partition: 1, records: [{ value: bytes("c") }] });
  });
  afterEach(async () => {
    await t.close();
  });

  it("reads from the earliest offset of the listed partitions", async () => {
    const seen = await take(t.fetch.subscribe({ topic: "events", partitions: [0], startPosition: { case: "earliest", value: true } }), 2);
    expect(seen).toEqual(["0:0:a", "0:1:b"]);
  });

  it("reads every partition when none are listed", async () => {
    const seen = await take(t.fetch.subscribe({ topic: "events", startPosition: { case: "earliest", value: true } }), 3);
    expect(seen.sort()).toEqual(["0:0:a", "0:1:b", "1:0:c"]);
  });

  it("starts at the log end by default and pushes records as they are appended", async () => {
    const stream = t.fetch.subscribe({ topic: "events", partitions: [0, 1] });
    const reading = take(stream, 2);
    // The stream is open once the server has resolved its start offsets; records
    // produced afterwards must arrive, older ones must not.
    await waitForMetadata(stream);
    await t.produce.produce({ topic: "events", partition: 1, records: [{ value: bytes("new1") }] });
    await t.produce.produce({ topic: "events", partition: 0, records: [{ value: bytes("new0") }] });
    expect((await reading).sort()).toEqual(["0:2:new0", "1:1:new1"]);
  });

  it("starts at a given offset, or per-partition offsets", async () => {
    expect(await take(t.fetch.subscribe({ topic: "events", partitions: [0], startPosition: { case: "offset", value: 1n } }), 1)).toEqual(["0:1:b"]);
    const perPartition = t.fetch.subscribe({
      topic: "events",
      startPosition: { case: "offsets", value: { offsets: [{ partition: 0, offset: 1n }, { partition: 1, offset: 0n }] } },
    });
    expect((await take(perPartition, 2)).sort()).toEqual(["0:1:b", "1:0:c"]);
  });

  it("starts at the first record at or after a timestamp", async () => {
    await t.admin.createTopic({ name: "timed", partitions: 1 });
    await t.produce.produce({
      topic: "timed",
      records: [1000n, 2000n, 3000n].map((ts) => ({ timestampMs: ts, value: bytes(`at${ts}`) })),
    });
    const seen = await take(t.fetch.subscribe({ topic: "timed", startPosition: { case: "timestampMs", value: 1500n } }), 2);
    expect(seen).toEqual(["0:1:at2000", "0:2:at3000"]);
  });

  it("delivers a large backlog in order without gaps", async () => {
    await t.admin.createTopic({ name: "backlog", partitions: 1 });
    const value = new Uint8Array(200).fill(1);
    for (let batch = 0; batch < 20; batch++) {
      await t.produce.produce({ topic: "backlog", records: Array.from({ length: 500 }, () => ({ value })) });
    }
    let expected = 0n;
    const stream = t.fetch.subscribe({ topic: "backlog", startPosition: { case: "earliest", value: true }, maxBytes: 64 * 1024 });
    for await (const message of stream) {
      if (message.event.case !== "records") continue;
      for (const r of message.event.value.records) expect(r.offset).toBe(expected++);
      if (expected === 10_000n) break;
    }
    stream.cancel();
    expect(expected).toBe(10_000n);
  });

  it("ends the stream with NOT_FOUND when its topic is deleted", async () => {
    const stream = t.fetch.subscribe({ topic: "events", partitions: [0] });
    await waitForMetadata(stream);
    await t.admin.deleteTopic({ name: "events" });
    const err = await (async () => {
      for await (const _ of stream) {
        // no records expected
      }
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.NOT_FOUND });
    expect(errorReason(err)).toBe("UNKNOWN_TOPIC");
  });

  it("refuses unknown topics, partitions and out-of-range offsets", async () => {
    const cases: Array<[Parameters<TestBroker["fetch"]["subscribe"]>[0], status, string]> = [
      [{ topic: "nope" }, status.NOT_FOUND, "UNKNOWN_TOPIC"],
      [{ topic: "events", partitions: [5] }, status.NOT_FOUND, "UNKNOWN_PARTITION"],
      [{ topic: "events", partitions: [0], startPosition: { case: "offset", value: 99n } }, status.OUT_OF_RANGE, "OFFSET_OUT_OF_RANGE"],
      [{ topic: "../etc" }, status.INVALID_ARGUMENT, "INVALID_TOPIC_NAME"],
      [{}, status.INVALID_ARGUMENT, "INVALID_SUBSCRIPTION"],
      [{ groupId: "g" }, status.INVALID_ARGUMENT, "INVALID_SUBSCRIPTION"],
      [{ groupId: "g", topics: ["nope"] }, status.NOT_FOUND, "UNKNOWN_TOPIC"],
      [{ groupId: "g", topic: "events", topics: ["events"] }, status.INVALID_ARGUMENT, "INVALID_SUBSCRIPTION"],
      [{ groupId: "g", topics: ["events"], startPosition: { case: "offset", value: 0n } }, status.INVALID_ARGUMENT, "INVALID_START"],
      [{ groupId: "g".repeat(256), topics: ["events"] }, status.INVALID_ARGUMENT, "INVALID_SUBSCRIPTION"],
    ];
    for (const [request, code, reason] of cases) {
      const err = await take(t.fetch.subscribe(request), 1).catch((e: unknown) => e);
      expect(err, JSON.stringify(request, (_, v) => (typeof v === "bigint" ? String(v) : v))).toMatchObject({ code });
      expect(errorReason(err)).toBe(reason);
    }
  });

  // Issue 14: a start-offsets list of a million entries cost seconds of CPU (a search of
  // the list per partition). A list holds at most one entry per partition of the topic.
  it("serves one start offset per partition and refuses longer lists and duplicates", async () => {
    const offsets = (partitions: number[]) => ({ case: "offsets" as const, value: { offsets: partitions.map((partition) => ({ partition, offset: 0n })) } });
    expect((await take(t.fetch.subscribe({ topic: "events", startPosition: offsets([1, 0]) }), 3)).sort()).toEqual(["0:0:a", "0:1:b", "1:0:c"]);
    const cases: Array<[Parameters<TestBroker["fetch"]["subscribe"]>[0], status, string]> = [
      [{ topic: "events", startPosition: offsets([0, 1, 0]) }, status.INVALID_ARGUMENT, "PARTITION_LIST_TOO_LONG"],
      [{ topic: "events", startPosition: offsets(Array.from({ length: 10_000 }, () => 1)) }, status.INVALID_ARGUMENT, "PARTITION_LIST_TOO_LONG"],
      [{ topic: "events", startPosition: offsets([1, 1]) }, status.INVALID_ARGUMENT, "DUPLICATE_PARTITION"],
      [{ topic: "events", partitions: [0], startPosition: offsets([0, 1, 0]) }, status.INVALID_ARGUMENT, "PARTITION_LIST_TOO_LONG"],
      [{ topic: "events", partitions: [0], startPosition: offsets([5]) }, status.NOT_FOUND, "UNKNOWN_PARTITION"],
      [{ topic: "events", partitions: [0, 1, 0] }, status.INVALID_ARGUMENT, "PARTITION_LIST_TOO_LONG"],
    ];
    for (const [request, code, reason] of cases) {
      const err = await take(t.fetch.subscribe(request), 1).catch((e: unknown) => e);
      expect(err).toMatchObject({ code });
      expect(errorReason(err)).toBe(reason);
    }
    // Duplicates within the limit are still one partition each, as before.
    expect(await take(t.fetch.subscribe({ topic: "events", partitions: [0, 0], startPosition: { case: "earliest", value: true } }), 2)).toEqual(["0:0:a", "0:1:b"]);
  });
});

/** Resolves when the server has sent response headers: the call is being served. */
function waitForMetadata(stream: ServerStream<SubscribeResponse>): Promise<void> {
  return new Promise((resolve) => stream.call.once("metadata", () => resolve()));
}
