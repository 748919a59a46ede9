import { connect, type Socket } from "node:net";
import { status } from "@grpc/grpc-js";
import { create, ScalarType, toBinary, type DescField, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorReason } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { prng } from "../../scripts/torture.js";
import { lenField, varint, varintField } from "../helpers/raw-call.js";
import { bytes, startTestBroker, text, type TestBroker } from "../helpers/test-broker.js";
import { rawPath, RawChannel, type RawOutcome } from "./raw-grpc.js";

const services: DescService[] = [ProduceService, FetchService, CommitService, AdminService];
const methods: DescMethod[] = services.flatMap((s) => s.methods);
const pathOf = (m: DescMethod) => `/${m.parent.typeName}/${m.name}`;

const seed = 0x7a1b;
const inputsPerMethod = 180; // x 18 methods = 3240 inputs
const timeBoundMs = 40_000;

/** Names a hostile client sends: valid ones (so requests reach deep), path-like, too long, internal, odd. */
const names = ["fz", "fz", "fz", "fz2", "../../etc", "a/b", "x".repeat(250), "x".repeat(249), "", ".", "..", "__consumer_offsets", "ünï", "a\u0000b", "g1"];
const goodNames = ["fz", "fz2", "g1"];
const interestingInts = [0, 0, 1, 2, 7, -1, -2147483648, 2147483647, 65536];
const interestingLongs = [0n, 0n, 1n, 5n, -1n, 9223372036854775807n, -9223372036854775808n, 1700000000000n, 2n ** 40n];

type Random = () => number;
const pick = <T,>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (random: Random, n: number) => Math.floor(random() * n);
/** A field of the message, or any small field number when it has none. */
const anyField = (random: Random, schema: DescMessage): { number: number } =>
  schema.fields.length > 0 && random() < 0.9 ? pick(random, schema.fields) : { number: 1 + int(random, 20) };

function randomBytes(random: Random, max: number): Buffer {
  return Buffer.from(Array.from({ length: int(random, max + 1) }, () => int(random, 256)));
}

function scalarValue(random: Random, scalar: ScalarType, field: DescField): unknown {
  switch (scalar) {
    case ScalarType.STRING:
      // Half valid names, so that requests get past validation into the handlers.
      return random() < 0.5 ? pick(random, goodNames) : random() < 0.85 ? pick(random, names) : text(randomBytes(random, 12));
    case ScalarType.BYTES:
      return randomBytes(random, 40);
    case ScalarType.BOOL:
      return random() < 0.5;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      // Keep long polls short: a huge maxWaitMs only costs time.
      return /wait/i.test(field.name) ? BigInt(int(random, 50)) : pick(random, interestingLongs);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return BigInt.asUintN(64, pick(random, interestingLongs));
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return pick(random, interestingInts) >>> 0;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return random() * 1e6;
    default:
      return /wait/i.test(field.name) ? int(random, 50) : pick(random, interestingInts);
  }
}

/** A random but valid message of `schema`: every field set or not, oneofs one case at a time. */
function randomMessage(random: Random, schema: DescMessage, depth = 0): Record<string, unknown> {
  const message = create(schema) as unknown as Record<string, unknown>;
  for (const field of schema.fields) {
    if (random() < 0.3 || depth > 3) continue;
    let value: unknown;
    switch (field.fieldKind) {
      case "scalar":
        value = scalarValue(random, field.scalar, field);
        break;
      case "enum":
        value = random() < 0.8 ? pick(random, field.enum.values).number : pick(random, [-1, 99, 2147483647]);
        break;
      case "message":
        value = randomMessage(random, field.message, depth + 1);
        break;
      case "list": {
        const n = int(random, 4);
        value = Array.from({ length: n }, () =>
          field.listKind === "message"
            ? randomMessage(random, field.message, depth + 1)
            : field.listKind === "enum"
              ? pick(random, field.enum.values).number
              : scalarValue(random, field.scalar, field),
        );
        break;
      }
      case "map":
        continue;
    }
    if (field.oneof) message[field.oneof.localName] = { case: field.localName, value };
    else message[field.localName] = value;
  }
  return message;
}

function validEncoding(random: Random, method: DescMethod): Buffer {
  return Buffer.from(toBinary(method.input, randomMessage(random, method.input) as never));
}

/** The kinds of hostile input, each a function of a valid encoding. */
const mutations: Record<string, (random: Random, valid: Buffer, method: DescMethod) => Buffer> = {
  "random bytes": (random) => randomBytes(random, 200),
  "valid (hostile values)": (_random, valid) => valid,
  "bit flips": (random, valid) => {
    const out = Buffer.from(valid.length > 0 ? valid : [0]);
    for (let i = 0, n = 1 + int(random, 8); i < n; i++) out[int(random, out.length)] ^= 1 << int(random, 8);
    return out;
  },
  truncation: (random, valid) => valid.subarray(0, int(random, valid.length)),
  "wrong wire type": (random, valid, method) => {
    const field = anyField(random, method.input);
    const wireType = pick(random, [0, 1, 2, 3, 4, 5, 6, 7]);
    return Buffer.concat([valid, varint((field.number << 3) | wireType), randomBytes(random, 10)]);
  },
  "oversized length prefix": (random, valid, method) => {
    const field = anyField(random, method.input);
    const length = pick(random, [2n ** 31n, 2n ** 32n - 1n, 2n ** 63n, 2n ** 64n - 1n, 1000n, BigInt(valid.length + 1)]);
    return Buffer.concat([valid, varint((field.number << 3) | 2), varint(length), randomBytes(random, 8)]);
  },
  "invalid UTF-8": (random, valid, method) => {
    const field = anyField(random, method.input);
    const bad = pick(random, [[0xc3, 0x28], [0xff, 0xfe], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80]]);
    const body = Buffer.from(bad);
    // At the top level, and one level down inside a nested message field when there is one.
    const nested = method.input.fields.find((f) => f.fieldKind === "message" || (f.fieldKind === "list" && f.listKind === "message"));
    if (nested && random() < 0.5) {
      const inner = nested.fieldKind === "message" ? nested.message : nested.fieldKind === "list" && nested.listKind === "message" ? nested.message : undefined;
      const innerField = inner ? anyField(random, inner) : field;
      return Buffer.concat([valid, lenField(nested.number, lenField(innerField.number, body))]);
    }
    return Buffer.concat([valid, lenField(field.number, body)]);
  },
  "negative/huge varints": (random, valid, method) => {
    const field = anyField(random, method.input);
    const value = pick(random, [-1n, -2147483649n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 32n, 2n ** 53n + 1n]);
    const overlong = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    return random() < 0.8 ? Buffer.concat([valid, varintField(field.number, value)]) : Buffer.concat([valid, varint(field.number << 3), overlong]);
  },
};

describe("hostile input", () => {
  let t: TestBroker;
  let raw: RawChannel;
  const counts: Record<string, number> = {};
  const codes: Record<string, number> = {};
  const internals: string[] = [];

  beforeAll(async () => {
    t = await startTestBroker({ maxPartitionsPerTopic: 8, fetchMaxWaitMs: 100 });
    await t.admin.createTopic({ name: "fz", partitions: 3 });
    await t.produce.produce({ topic: "fz", records: [{ key: bytes("k"), value: bytes("before") }] });
    raw = new RawChannel(
      t.broker.address,
      methods.map((m) => rawPath(m, pathOf(m))),
    );
  });
  afterAll(async () => {
    raw?.close();
    await t?.close();
    console.log(`fuzz inputs by kind: ${JSON.stringify(counts)}; status codes: ${JSON.stringify(codes)}`);
  });

  /** Produce and fetch one record on a fresh topic, then read every partition of every topic clean. */
  async function expectServingAndClean(label: string): Promise<void> {
    const topic = `after-${label}`;
    await t.admin.createTopic({ name: topic, partitions: 1 });
    const answer = await t.produce.produce({ topic, records: [{ value: bytes(label) }] });
    const fetched = await t.fetch.fetch({ topic, partition: 0, offset: answer.results[0].baseOffset });
    expect(text(fetched.records[0].value)).toBe(label);

    const { topics } = await t.admin.listTopics({ includeInternal: true });
    let partitionsRead = 0;
    for (const listing of topics) {
      const described = await t.admin.describeTopic({ name: listing.name });
      for (const p of described.topic!.partitions) {
        let offset = p.logStartOffset;
        for (let reads = 0; offset < p.logEndOffset; reads++) {
          expect(reads, `${listing.name}/${p.partition} read loop`).toBeLessThan(100_000);
          const r = await t.fetch.fetch({ topic: listing.name, partition: p.partition, offset, maxBytes: 1 << 20 }).catch((err: unknown) => {
            throw new Error(`${listing.name}/${p.partition}@${offset}: ${errorReason(err)} ${(err as Error).message}`);
          });
          expect(r.records.length, `${listing.name}/${p.partition}@${offset}`).toBeGreaterThan(0);
          offset = r.records[r.records.length - 1].offset + 1n;
        }
        partitionsRead++;
      }
    }
    expect(partitionsRead).toBeGreaterThan(3);
  }

  it("answers thousands of malformed and hostile requests to every method without INTERNAL, and keeps serving", async () => {
    const random = prng(seed);
    const started = Date.now();
    const tally = (method: DescMethod, kind: string, o: RawOutcome) => {
      counts[kind] = (counts[kind] ?? 0) + 1;
      const name = status[o.code];
      codes[name] = (codes[name] ?? 0) + 1;
      if (o.code === status.INTERNAL || o.code === status.UNKNOWN) {
        if (internals.length < 20) internals.push(`${pathOf(method)} ${kind}: ${name} ${o.reason}`);
      }
    };
    const kinds = Object.keys(mutations);
    // Every method gets every kind; work goes 24 calls at a time.
    const work: Array<() => Promise<void>> = [];
    for (const method of methods) {
      for (let i = 0; i < inputsPerMethod; i++) {
        const kind = kinds[i % kinds.length];
        const request = mutations[kind](random, validEncoding(random, method), method);
        work.push(async () => {
          const o = await raw.send(method, pathOf(method), request);
          tally(method, kind, o);
        });
      }
    }
    // Shuffle so that creates, deletes, produces and subscribes interleave.
    for (let i = work.length - 1; i > 0; i--) {
      const j = int(random, i + 1);
      [work[i], work[j]] = [work[j], work[i]];
    }
    for (let at = 0; at < work.length && Date.now() - started < timeBoundMs; at += 24) {
      await Promise.all(work.slice(at, at + 24).map((w) => w()));
    }
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(internals).toEqual([]);
    expect(total).toBeGreaterThanOrEqual(Math.min(work.length, 1000));
    await expectServingAndClean("fuzz");
  }, 90_000);

  it("survives garbage and half-open HTTP/2 connections on the gRPC port", async () => {
    const port = Number(t.broker.address.slice(t.broker.address.lastIndexOf(":") + 1));
    const random = prng(seed + 1);
    const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    const settings = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
    const frame = (type: number, flags: number, stream: number, payload: Buffer, claimedLength = payload.length) => {
      const header = Buffer.alloc(9);
      header.writeUIntBE(claimedLength, 0, 3);
      header[3] = type;
      header[4] = flags;
      header.writeUInt32BE(stream, 5);
      return Buffer.concat([header, payload]);
    };
    const openSockets: Socket[] = [];
    const open = async (data: Buffer, closeAfter: boolean) => {
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => undefined);
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("error", reject);
      });
      socket.write(data);
      if (closeAfter) socket.destroy();
      else openSockets.push(socket);
    };
    const cases: Record<string, () => Buffer> = {
      "tcp garbage": () => randomBytes(random, 4096),
      "http/1.1 request": () => Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
      "preface only": () => preface,
      "preface + partial frame header": () => Buffer.concat([preface, settings.subarray(0, 5)]),
      "preface + headers, garbage hpack": () => Buffer.concat([preface, settings, frame(0x1, 0x4, 1, randomBytes(random, 64))]),
      "preface + oversized frame length": () => Buffer.concat([preface, settings, frame(0x0, 0, 1, randomBytes(random, 16), 0xffffff)]),
      "preface + garbage": () => Buffer.concat([preface, randomBytes(random, 512)]),
      "preface + settings, mid-frame cut": () => Buffer.concat([preface, settings, frame(0x4, 0, 0, Buffer.alloc(6), 12).subarray(0, 13)]),
    };
    const connectionCounts: Record<string, number> = {};
    for (let round = 0; round < 10; round++) {
      for (const [name, make] of Object.entries(cases)) {
        await open(make(), round % 2 === 0); // even rounds close at once, odd rounds leave it open
        connectionCounts[name] = (connectionCounts[name] ?? 0) + 1;
      }
    }
    for (const [name, n] of Object.entries(connectionCounts)) counts[`connection: ${name}`] = n;
    // While 40 half-open connections sit there, the broker serves.
    await expectServingAndClean("sockets-open");
    for (const s of openSockets) s.destroy();
    await expectServingAndClean("sockets-closed");
  }, 60_000);
});
