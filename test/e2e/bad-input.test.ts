import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorReason } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { Acks, ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { lenField, rawUnary, varintField } from "../helpers/raw-call.js";
import { bytes, startTestBroker, text, type TestBroker } from "../helpers/test-broker.js";

const producePath = "/tributary.v1.ProduceService/Produce";

/** A ProduceRequest for topic "good", partition 0, with the given record bodies. */
function produceBytes(...records: Buffer[]): Buffer {
  return Buffer.concat([lenField(1, "good"), varintField(2, 0), ...records.map((r) => lenField(3, r))]);
}

async function expectStatus(promise: Promise<unknown>, code: status, reason: string): Promise<void> {
  const err = await promise.then(
    () => new Error("expected the call to fail"),
    (e: unknown) => e,
  );
  expect(err, reason).toMatchObject({ code });
  expect(errorReason(err), reason).toBe(reason);
}

describe("bad input", () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ maxBatchRecords: 100, maxPartitionsPerTopic: 16 });
    await t.admin.createTopic({ name: "good", partitions: 2 });
    await t.produce.produce({ topic: "good", partition: 0, records: [{ key: bytes("k"), value: bytes("kept") }] });
  });
  afterAll(async () => {
    await t.close();
  });

  it("Produce refuses malformed and invalid requests with INVALID_ARGUMENT and a reason", async () => {
    const send = (b: Buffer) => rawUnary(t.broker.address, producePath, b);
    const value = lenField(4, "v");
    const cases: Array<[string, Buffer, string]> = [
      ["garbage", Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), "MALFORMED_REQUEST"],
      ["truncated length", Buffer.concat([lenField(1, "good"), Buffer.from([0x1a, 0x10, 0x22])]), "MALFORMED_REQUEST"],
      ["group wire type", Buffer.from([0x0b]), "MALFORMED_REQUEST"],
      ["topic as varint", Buffer.concat([varintField(1, 5), lenField(3, value)]), "MALFORMED_REQUEST"],
      ["topic not UTF-8", Buffer.concat([lenField(1, Buffer.from([0xc3, 0x28])), lenField(3, value)]), "MALFORMED_REQUEST"],
      ["no records", Buffer.concat([lenField(1, "good")]), "NO_RECORDS"],
      ["record sets the offset field", produceBytes(Buffer.concat([varintField(1, 5), value])), "INVALID_RECORD"],
      ["record with an unknown field", produceBytes(Buffer.concat([value, lenField(9, "x")])), "INVALID_RECORD"],
      ["key with the wrong wire type", produceBytes(Buffer.concat([varintField(3, 1), value])), "INVALID_RECORD"],
      ["header key not UTF-8", produceBytes(Buffer.concat([value, lenField(5, lenField(1, Buffer.from([0xff, 0xfe])))])), "INVALID_RECORD"],
      ["header with an unknown field", produceBytes(Buffer.concat([value, lenField(5, varintField(3, 1))])), "INVALID_RECORD"],
      ["negative timestamp", produceBytes(Buffer.concat([varintField(2, -5n), value])), "INVALID_TIMESTAMP"],
      ["record length past its end", produceBytes(Buffer.from([0x22, 0x7f, 0x01])), "MALFORMED_REQUEST"],
    ];
    for (const [name, request, reason] of cases) {
      await expectStatus(send(request), status.INVALID_ARGUMENT, reason).catch((err: Error) => {
        throw new Error(`${name}: ${err.message}`);
      });
    }
  });

  it("Produce refuses unknown topics and partitions, bad acks and half idempotence", async () => {
    const record = { value: bytes("x") };
    await expectStatus(t.produce.produce({ topic: "missing", records: [record] }), status.NOT_FOUND, "UNKNOWN_TOPIC");
    await expectStatus(t.produce.produce({ topic: "../../etc", records: [record] }), status.INVALID_ARGUMENT, "INVALID_TOPIC_NAME");
    await expectStatus(t.produce.produce({ topic: "", records: [record] }), status.INVALID_ARGUMENT, "INVALID_TOPIC_NAME");
    await expectStatus(t.produce.produce({ topic: "good", partition: 2, records: [record] }), status.NOT_FOUND, "UNKNOWN_PARTITION");
    await expectStatus(t.produce.produce({ topic: "good", partition: -1, records: [record] }), status.NOT_FOUND, "UNKNOWN_PARTITION");
    await expectStatus(t.produce.produce({ topic: "good", acks: 9 as Acks, records: [record] }), status.INVALID_ARGUMENT, "INVALID_ACKS");
    await expectStatus(t.produce.produce({ topic: "good", producerId: 5n, records: [record] }), status.INVALID_ARGUMENT, "INVALID_IDEMPOTENCE");
    await expectStatus(
      t.produce.produce({ topic: "good", records: Array.from({ length: 101 }, () => record) }),
      status.RESOURCE_EXHAUSTED,
      "BATCH_TOO_LARGE",
    );
  });

  it("Fetch refuses bad partitions, negative bounds and undecodable requests", async () => {
    await expectStatus(t.fetch.fetch({ topic: "missing", partition: 0 }), status.NOT_FOUND, "UNKNOWN_TOPIC");
    await expectStatus(t.fetch.fetch({ topic: "good", partition: 7 }), status.NOT_FOUND, "UNKNOWN_PARTITION");
    await expectStatus(t.fetch.fetch({ topic: "good", partition: 0, maxBytes: -1 }), status.INVALID_ARGUMENT, "INVALID_FETCH");
    await expectStatus(t.fetch.fetch({ topic: "good", partition: 0, maxWaitMs: -1 }), status.INVALID_ARGUMENT, "INVALID_FETCH");
    await expectStatus(
      rawUnary(t.broker.address, "/tributary.v1.FetchService/Fetch", Buffer.from([0x0a, 0x05, 0x61])),
      status.INVALID_ARGUMENT,
      "MALFORMED_REQUEST",
    );
  });

  it("AdminService refuses bad names, partition counts and undecodable requests", async () => {
    for (const name of ["", ".", "..", "a/b", "a b", "x".repeat(250), "ünï"]) {
      await expectStatus(t.admin.createTopic({ name, partitions: 1 }), status.INVALID_ARGUMENT, "INVALID_TOPIC_NAME");
    }
    for (const partitions of [0, -1, 17]) {
      await expectStatus(t.admin.createTopic({ name: "p", partitions }), status.INVALID_ARGUMENT, "INVALID_PARTITIONS");
    }
    await expectStatus(t.admin.createPartitions({ name: "good", totalCount: 17 }), status.INVALID_ARGUMENT, "INVALID_PARTITIONS");
    await expectStatus(t.admin.deleteTopic({ name: "missing" }), status.NOT_FOUND, "UNKNOWN_TOPIC");
    await expectStatus(t.admin.listOffsets({ topic: "good", partition: 9 }), status.NOT_FOUND, "UNKNOWN_PARTITION");
    await expectStatus(
      t.admin.listOffsets({ topic: "good", partition: 0, spec: { case: "timestampMs", value: -1n } }),
      status.INVALID_ARGUMENT,
      "INVALID_TIMESTAMP",
    );
    await expectStatus(t.admin.deleteRecords({ topic: "good", partition: 0, beforeOffset: -7n }), status.OUT_OF_RANGE, "OFFSET_OUT_OF_RANGE");
    for (const method of AdminService.methods) {
      await expectStatus(
        rawUnary(t.broker.address, `/${AdminService.typeName}/${method.name}`, Buffer.from([0x0a, 0xff])),
        status.INVALID_ARGUMENT,
        "MALFORMED_REQUEST",
      );
    }
  });

  it("refuses bad group requests and any client change to internal topics", async () => {
    await expectStatus(t.commit.commit({ groupId: "" }), status.INVALID_ARGUMENT, "INVALID_GROUP_ID");
    await expectStatus(
      t.commit.commit({ groupId: "g", offsets: [{ topic: "good", partition: 0, offset: -1n }] }),
      status.INVALID_ARGUMENT,
      "INVALID_OFFSET",
    );
    await expectStatus(
      t.commit.commit({ groupId: "g", offsets: [{ topic: "good", partition: 9, offset: 1n }] }),
      status.NOT_FOUND,
      "UNKNOWN_PARTITION",
    );
    await expectStatus(
      t.commit.commit({ groupId: "g", memberId: "nobody", generation: 3, offsets: [] }),
      status.FAILED_PRECONDITION,
      "UNKNOWN_MEMBER",
    );
    await expectStatus(t.commit.fetchCommitted({ groupId: "x".repeat(256) }), status.INVALID_ARGUMENT, "INVALID_GROUP_ID");
    await expectStatus(t.admin.describeGroup({ groupId: "never-seen" }), status.NOT_FOUND, "UNKNOWN_GROUP");
    await expectStatus(t.admin.deleteGroup({ groupId: "never-seen" }), status.NOT_FOUND, "UNKNOWN_GROUP");
    await expectStatus(t.admin.resetGroupOffsets({ groupId: "g", topic: "good" }), status.INVALID_ARGUMENT, "INVALID_RESET");
    await expectStatus(
      t.admin.resetGroupOffsets({ groupId: "g", topic: "nope", to: { case: "earliest", value: true } }),
      status.NOT_FOUND,
      "UNKNOWN_TOPIC",
    );
    const internal = "__consumer_offsets";
    await expectStatus(t.produce.produce({ topic: internal, records: [{ value: bytes("x") }] }), status.INVALID_ARGUMENT, "INTERNAL_TOPIC");
    await expectStatus(t.admin.createTopic({ name: "__mine", partitions: 1 }), status.INVALID_ARGUMENT, "INTERNAL_TOPIC");
    await expectStatus(t.admin.deleteTopic({ name: internal }), status.INVALID_ARGUMENT, "INTERNAL_TOPIC");
    await expectStatus(t.admin.createPartitions({ name: internal, totalCount: 99 }), status.INVALID_ARGUMENT, "INTERNAL_TOPIC");
    await expectStatus(t.admin.updateTopicConfig({ name: internal, config: { retentionMs: 1n } }), status.INVALID_ARGUMENT, "INTERNAL_TOPIC");
  });

  it("leaves stored data intact and keeps serving after all of it", async () => {
    const fetched = await t.fetch.fetch({ topic: "good", partition: 0, offset: 0n });
    expect(fetched.records.map((r) => text(r.value))).toEqual(["kept"]);
    const answer = await t.produce.produce({ topic: "good", partition: 0, records: [{ value: bytes("after") }] });
    expect(answer.results[0].baseOffset).toBe(1n);
    expect([ProduceService, FetchService, CommitService].every((s) => s.methods.length > 0)).toBe(true);
  });
});
