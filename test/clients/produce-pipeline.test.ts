import { status } from "@grpc/grpc-js";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { Admin, createClient, errorReason } from "../../clients/ts/index.js";
import { ProducePipeline } from "../../clients/ts/produce-pipeline.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceRequestSchema, ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { startChildBroker, type ChildBroker } from "../helpers/child-broker.js";
import { bytes, tempDir, text } from "../helpers/test-broker.js";

/** An idempotent request of one record, encoded once: a retry sends the same bytes. */
function request(topic: string, value: string, sequence: bigint): Buffer {
  return Buffer.from(
    toBinary(ProduceRequestSchema, create(ProduceRequestSchema, { topic, partition: 0, producerId: 7n, sequence, records: [{ value: bytes(value) }] })),
  );
}

/**
 * The TypeScript Producer's ProduceStream (clients/ts/produce-pipeline.ts) against a real
 * broker process: a request's own error is that request's failure and the stream goes on;
 * a broker that stops answering (SIGSTOP) fails the late request with DEADLINE_EXCEEDED
 * and the others waiting on the stream with UNAVAILABLE, and the idempotent resends on a
 * new stream leave every record in the log once.
 */
describe("ProducePipeline", () => {
  let broker: ChildBroker | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  const closers: Array<() => void> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    if (broker !== undefined && broker.process.exitCode === null) {
      broker.process.kill("SIGCONT");
      broker.process.kill("SIGKILL");
      await broker.exited;
    }
    broker = undefined;
    await dir?.remove();
  });

  async function start() {
    dir = await tempDir();
    broker = await startChildBroker(dir.path);
    const admin = new Admin({ broker: broker.address });
    closers.push(() => admin.close());
    await admin.createTopic("events", 1);
    const client = createClient(ProduceService, broker.address);
    closers.push(() => client.close());
    const fetch = createClient(FetchService, broker.address);
    closers.push(() => fetch.close());
    const stored = async () => (await fetch.fetch({ topic: "events", partition: 0, offset: 0n, maxWaitMs: 0 })).records.map((r) => text(r.value));
    return { pipeline: new ProducePipeline(client), stored };
  }

  it("answers a request's error as that request's failure, and the stream goes on", async () => {
    const { pipeline, stored } = await start();
    const answers = await Promise.allSettled([
      pipeline.send(request("events", "a", 0n), 5_000),
      pipeline.send(request("no-such-topic", "b", 1n), 5_000),
      pipeline.send(request("events", "c", 2n), 5_000),
    ]);
    expect(answers[0]).toMatchObject({ status: "fulfilled", value: { results: [{ baseOffset: 0n }] } });
    expect(answers[1].status).toBe("rejected");
    const refused = (answers[1] as PromiseRejectedResult).reason as { code: number };
    expect(refused.code).toBe(status.NOT_FOUND);
    expect(errorReason(refused)).toBe("UNKNOWN_TOPIC");
    expect(answers[2]).toMatchObject({ status: "fulfilled", value: { results: [{ baseOffset: 1n }] } });
    expect(await stored()).toEqual(["a", "c"]);
    pipeline.end();
  });

  it("fails a request past its deadline with DEADLINE_EXCEEDED and the others with UNAVAILABLE; resends land once", async () => {
    const { pipeline, stored } = await start();
    await pipeline.send(request("events", "r0", 0n), 5_000);
    broker!.process.kill("SIGSTOP");
    const late = [request("events", "r1", 1n), request("events", "r2", 2n), request("events", "r3", 3n)];
    const started = performance.now();
    const outcomes = await Promise.allSettled([pipeline.send(late[0], 5_000), pipeline.send(late[1], 300), pipeline.send(late[2], 5_000)]);
    const tookMs = performance.now() - started;
    expect(outcomes.map((o) => (o.status === "rejected" ? (o.reason as { code: number }).code : "ok"))).toEqual([
      status.UNAVAILABLE,
      status.DEADLINE_EXCEEDED,
      status.UNAVAILABLE,
    ]);
    // Cancelled at the 300 ms deadline, not at the others' 5 s.
    expect(tookMs).toBeLessThan(4_000);
    broker!.process.kill("SIGCONT");
    // What the stopped broker had read may or may not have been appended: the same bytes
    // again, on a new stream, are answered with one offset each.
    const resent = await Promise.all(late.map((r) => pipeline.send(r, 10_000)));
    expect(resent.map((r) => r.results[0]!.baseOffset)).toEqual([1n, 2n, 3n]);
    expect(await stored()).toEqual(["r0", "r1", "r2", "r3"]);
    pipeline.end();
  });
});
