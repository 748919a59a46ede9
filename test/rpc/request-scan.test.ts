import { create, ScalarType, toBinary, type DescMessage } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { TributaryError } from "../../services/errors.js";
import { bindService, methodRequestLimits, scanRequest } from "../../services/rpc/index.js";
import { AdminService, DescribeTopicRequestSchema, ListOffsetsRequestSchema } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitRequestSchema, CommitService, FetchCommittedRequestSchema } from "../../gen/ts/tributary/v1/commit_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { ReplicaService } from "../../gen/ts/tributary/cluster/v1/replica_pb.js";
import { prng } from "../../scripts/torture.js";
import { lenField, varint, varintField } from "../helpers/raw-call.js";
import { silentLogger } from "../helpers/test-broker.js";

const services = [ProduceService, FetchService, CommitService, AdminService, ReplicaService];
const methods = services.flatMap((s) => s.methods);

/** The reason a scan refuses `bytes` with, or "" when it accepts them. */
function verdict(schema: DescMessage, bytes: Buffer, maxElements = 1_000_000): string {
  try {
    scanRequest(schema, bytes, maxElements);
    return "";
  } catch (err) {
    if (!(err instanceof TributaryError)) throw err;
    return err.reason;
  }
}

type Random = () => number;

/** A random message of `schema` and the number of repeated-field elements it holds, at every depth. */
function randomMessage(random: Random, schema: DescMessage, depth = 0): { message: Record<string, unknown>; elements: number } {
  const message = create(schema) as unknown as Record<string, unknown>;
  let elements = 0;
  const scalar = (type: ScalarType): unknown =>
    type === ScalarType.STRING ? "s".repeat(Math.floor(random() * 5))
    : type === ScalarType.BOOL ? random() < 0.5
    : type === ScalarType.INT64 ? BigInt(Math.floor(random() * 2 ** 40)) - 2n ** 39n
    : type === ScalarType.BYTES ? new Uint8Array(3)
    : Math.floor(random() * 2 ** 31) - 2 ** 30;
  for (const field of schema.fields) {
    if (random() < 0.3 || depth > 3) continue;
    let value: unknown;
    if (field.fieldKind === "scalar") value = scalar(field.scalar);
    else if (field.fieldKind === "enum") value = field.enum.values[Math.floor(random() * field.enum.values.length)]!.number;
    else if (field.fieldKind === "message") {
      const inner = randomMessage(random, field.message, depth + 1);
      value = inner.message;
      elements += inner.elements;
    } else if (field.fieldKind === "list") {
      const n = Math.floor(random() * 5);
      const list: unknown[] = [];
      for (let i = 0; i < n; i++) {
        if (field.listKind === "message") {
          const inner = randomMessage(random, field.message, depth + 1);
          list.push(inner.message);
          elements += inner.elements;
        } else list.push(field.listKind === "enum" ? 0 : scalar(field.scalar));
      }
      value = list;
      elements += n;
    } else continue;
    if (field.oneof) message[field.oneof.localName] = { case: field.localName, value };
    else message[field.localName] = value;
  }
  return { message, elements };
}

describe("scanRequest", () => {
  it("accepts every encoding protobuf-es makes of every request, and counts its repeated elements exactly", () => {
    const random = prng(0x5ca9);
    for (const method of methods) {
      for (let i = 0; i < 200; i++) {
        const { message, elements } = randomMessage(random, method.input);
        const bytes = Buffer.from(toBinary(method.input, create(method.input, message as never)));
        expect(verdict(method.input, bytes, elements), `${method.name} with ${elements} elements`).toBe("");
        if (elements > 0) expect(verdict(method.input, bytes, elements - 1)).toBe("REQUEST_TOO_LARGE");
      }
    }
  });

  it("refuses tags the protobuf spec forbids and accepts a legal non-minimal one", () => {
    const name = (tag: Buffer) => Buffer.concat([tag, varint(3), Buffer.from("a-1")]);
    expect(verdict(DescribeTopicRequestSchema, name(Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x90, 0x00])))).toBe("MALFORMED_REQUEST");
    expect(verdict(DescribeTopicRequestSchema, name(Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x80, 0x00])))).toBe("MALFORMED_REQUEST");
    expect(verdict(DescribeTopicRequestSchema, name(Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x10])))).toBe("MALFORMED_REQUEST");
    expect(verdict(DescribeTopicRequestSchema, name(varint(2)))).toBe("MALFORMED_REQUEST"); // field 0
    expect(verdict(DescribeTopicRequestSchema, name(varint((2 ** 29 - 1) * 8 + 2)))).toBe(""); // the largest field, unknown
    expect(verdict(DescribeTopicRequestSchema, name(Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x00])))).toBe("");
    // Groups are not part of this API.
    expect(verdict(DescribeTopicRequestSchema, Buffer.from([0x1b, 0x1c]))).toBe("MALFORMED_REQUEST");
  });

  it("refuses a singular field or a oneof given twice, and a known field of the wrong wire type", () => {
    expect(verdict(DescribeTopicRequestSchema, Buffer.concat([lenField(1, "a"), lenField(1, "b")]))).toBe("MALFORMED_REQUEST");
    // ListOffsets' `at` oneof: earliest (4) then latest (5).
    const oneofTwice = Buffer.concat([lenField(1, "t"), varintField(4, 1), varintField(5, 1)]);
    expect(verdict(ListOffsetsRequestSchema, oneofTwice)).toBe("MALFORMED_REQUEST");
    // Commit's offsets: an entry whose topic is given twice.
    const entry = Buffer.concat([lenField(1, "a-1"), lenField(1, "b-1")]);
    expect(verdict(CommitRequestSchema, Buffer.concat([lenField(1, "g"), lenField(4, entry)]))).toBe("MALFORMED_REQUEST");
    expect(verdict(DescribeTopicRequestSchema, varintField(1, 5))).toBe("MALFORMED_REQUEST");
    // Unknown fields of any valid wire type are skipped; repeated fields may repeat.
    expect(verdict(DescribeTopicRequestSchema, Buffer.concat([lenField(1, "a"), varintField(9, 1), lenField(10, "x")]))).toBe("");
    expect(verdict(CommitRequestSchema, Buffer.concat([lenField(4, lenField(1, "a")), lenField(4, lenField(1, "b"))]))).toBe("");
  });

  it("counts packed and unpacked elements alike, without decoding them", () => {
    const packed = Buffer.concat([lenField(1, "g"), lenField(3, Buffer.concat([...Array(1000).keys()].map((p) => varint(p))))]);
    expect(verdict(FetchCommittedRequestSchema, packed, 1000)).toBe("");
    expect(verdict(FetchCommittedRequestSchema, packed, 999)).toBe("REQUEST_TOO_LARGE");
    const unpacked = Buffer.concat([...Array(1000).keys()].map((p) => varintField(3, p)));
    expect(verdict(FetchCommittedRequestSchema, unpacked, 1000)).toBe("");
    expect(verdict(FetchCommittedRequestSchema, unpacked, 999)).toBe("REQUEST_TOO_LARGE");
    // A packed run cut in the middle of a varint.
    expect(verdict(FetchCommittedRequestSchema, lenField(3, Buffer.from([0x01, 0x80])))).toBe("MALFORMED_REQUEST");
  });
});

describe("the request limits table", () => {
  it("has an entry for every method of every service, and nothing else", () => {
    expect(Object.keys(methodRequestLimits).sort()).toEqual(methods.map((m) => `${m.parent.typeName}/${m.name}`).sort());
  });

  it("makes bindService refuse a method without an entry", () => {
    const impl = Object.fromEntries(AdminService.methods.map((m) => [m.localName, async () => ({})]));
    const partial = Object.fromEntries(Object.entries(methodRequestLimits).filter(([path]) => !path.endsWith("/DeleteGroup")));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    expect(() => bindService(AdminService, impl as any, silentLogger, {}, undefined, undefined, partial)).toThrow(
      /AdminService\/DeleteGroup has no entry in the request limits table/,
    );
  });
});
