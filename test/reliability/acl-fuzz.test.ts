/**
 * Mutations of VALID requests aimed at parser disagreement (issue 14, finding
 * 1), against every method with tokens and ACLs on. A tenant may do anything
 * to `a-*` topics and groups and nothing to the others; each request of it is
 * valid for its own resources, with another principal's name smuggled in:
 * a duplicate field, a tag padded past 5 bytes or to 5 (legal), a non-minimal
 * length, a field number of 0 or past 2^29-1, an unknown field, a nested
 * entry. Whatever the broker makes of it, every answer is a proper status
 * (never INTERNAL), no answer carries a byte of the other principal's data,
 * and afterwards the other principal's topic, records and group are untouched.
 */
import { status } from "@grpc/grpc-js";
import { create, ScalarType, toBinary, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type ServiceClient } from "../../clients/ts/index.js";
import { hashToken } from "../../services/auth/tokens.js";
import { startBroker, type Broker } from "../../services/server.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { prng } from "../../scripts/torture.js";
import { lenField, varint, varintField } from "../helpers/raw-call.js";
import { bytes, silentLogger, tempDir } from "../helpers/test-broker.js";
import { rawPath, RawChannel, type RawOutcome } from "./raw-grpc.js";

const methods: DescMethod[] = [ProduceService, FetchService, CommitService, AdminService].flatMap((s) => s.methods);
const pathOf = (m: DescMethod) => `/${m.parent.typeName}/${m.name}`;

// Long, distinctive names: a response that contains one leaked it (no binary field spells them by chance).
const mine = { topic: "a-fuzz-topic", group: "a-fuzz-group" };
const theirs = { topic: "b-secret-topic", group: "b-secret-group", value: "b-secret-value" };
const secrets = [theirs.topic, theirs.group, theirs.value].map((s) => Buffer.from(s));

const token = (principal: string) => `token-of-${principal}`;
const authTokens = ["setup", "tenant"].map((principal) => ({ principal, sha256: hashToken(token(principal)) }));
const everything = ["read", "write", "create", "delete", "alter", "describe"] as const;
const acls = [
  { principal: "setup", resource: { type: "topic" as const }, operations: [...everything] },
  { principal: "setup", resource: { type: "group" as const }, operations: [...everything] },
  { principal: "setup", resource: { type: "cluster" as const }, operations: ["describe" as const] },
  { principal: "tenant", resource: { type: "topic" as const, prefix: "a-" }, operations: [...everything] },
  { principal: "tenant", resource: { type: "group" as const, prefix: "a-" }, operations: [...everything] },
];

/** A valid request of the tenant's per method, on its own resources only. */
const validRequests: Record<string, Record<string, unknown>> = {
  Produce: { topic: mine.topic, records: [{ value: bytes("a-data") }] },
  ProduceStream: { topic: mine.topic, records: [{ value: bytes("a-data") }] },
  Fetch: { topic: mine.topic, partition: 0, offset: 0n, maxWaitMs: 0 },
  Subscribe: { topic: mine.topic, partitions: [0], startPosition: { case: "earliest", value: true } },
  Commit: { groupId: mine.group, offsets: [{ topic: mine.topic, partition: 0, offset: 1n }] },
  FetchCommitted: { groupId: mine.group, topic: mine.topic },
  CreateTopic: { name: "a-fuzz-new", partitions: 1 },
  DeleteTopic: { name: "a-fuzz-gone" },
  ListTopics: {},
  DescribeTopic: { name: mine.topic },
  CreatePartitions: { name: mine.topic, totalCount: 3 },
  UpdateTopicConfig: { name: mine.topic, config: { retentionMs: 86_400_000n } },
  ListOffsets: { topic: mine.topic, partition: 0, at: { case: "latest", value: true } },
  DeleteRecords: { topic: mine.topic, partition: 0, beforeOffset: 0n },
  DescribeCluster: {},
  ListGroups: {},
  DescribeGroup: { groupId: mine.group },
  ResetGroupOffsets: { groupId: mine.group, topic: mine.topic, to: { case: "earliest", value: true } },
  DeleteGroup: { groupId: "a-fuzz-gone-group" },
  FindCoordinator: { groupId: mine.group },
  // The security calls need rights on the cluster, which the tenant lacks: refused whatever they carry.
  ListAcls: {},
  CreateAcls: { acls: [{ principal: "tenant", resourceType: "topic", prefix: "a-", operations: ["read"] }] },
  DeleteAcls: { acls: [{ principal: "tenant", resourceType: "topic", prefix: "a-", operations: ["read"] }] },
  ListTokens: {},
  CreateToken: { principal: "tenant" },
  DeleteToken: { principal: "tenant" },
  ListQuotas: {},
  SetQuota: { quota: { principal: "tenant", produceBytesPerSecond: 1_000_000n } },
  DeleteQuota: { principal: "tenant" },
};

/** Methods that need a right on the cluster, which the tenant does not hold. */
const clusterMethods = new Set(["DescribeCluster", "ListAcls", "CreateAcls", "DeleteAcls", "ListTokens", "CreateToken", "DeleteToken", "ListQuotas", "SetQuota", "DeleteQuota"]);

/** The other principal's name a field would carry: groups for group fields, topics otherwise. */
const smuggled = (fieldName: string) => (/group/i.test(fieldName) ? theirs.group : theirs.topic);

/** A tag of `field`/`wireType` padded with continuation bytes to `size` bytes (legal up to 5). */
function paddedTag(field: number, wireType: number, size: number): Buffer {
  const minimal = varint(field * 8 + wireType);
  const out = Buffer.alloc(Math.max(size, minimal.length), 0x80);
  minimal.copy(out);
  out[minimal.length - 1]! |= 0x80;
  out[out.length - 1] = 0;
  return out;
}

/** The varint of `value`, stretched with zero continuation bytes to `size` bytes. */
function overlong(value: bigint, size: number): Buffer {
  const minimal = varint(value);
  if (minimal.length >= size) return minimal;
  const last = minimal[minimal.length - 1]! | 0x80;
  return Buffer.concat([minimal.subarray(0, -1), Buffer.from([last]), Buffer.alloc(size - minimal.length - 1, 0x80), Buffer.from([0])]);
}

/** Ways to encode "field `field` = `value`" that parsers may read differently. */
const disguises: Record<string, (field: number, value: string) => Buffer> = {
  duplicate: (field, value) => lenField(field, value),
  "tag padded to 5 bytes (legal)": (field, value) => Buffer.concat([paddedTag(field, 2, 5), varint(value.length), Buffer.from(value)]),
  "tag padded to 6 bytes": (field, value) => Buffer.concat([paddedTag(field, 2, 6), varint(value.length), Buffer.from(value)]),
  "tag padded to 10 bytes": (field, value) => Buffer.concat([paddedTag(field, 2, 10), varint(value.length), Buffer.from(value)]),
  // Issue 14's bypass: bit 32 set in a 6-byte tag (8a 80 80 80 90 00 is field 1): one parser read a
  // huge field number and skipped it, the other truncated it to field 1.
  "tag with bit 32 set, 6 bytes": (field, value) => Buffer.concat([overlong(2n ** 32n + BigInt(field * 8 + 2), 6), varint(value.length), Buffer.from(value)]),
  "tag with bit 63 set, 10 bytes": (field, value) => Buffer.concat([overlong(2n ** 63n + BigInt(field * 8 + 2), 10), varint(value.length), Buffer.from(value)]),
  "tag wrapping past 2^32": (field, value) =>
    Buffer.concat([varint(2n ** 32n + BigInt(field * 8 + 2)), varint(value.length), Buffer.from(value)]),
  "field number 2^29 + field": (field, value) => Buffer.concat([varint((2 ** 29 + field) * 8 + 2), varint(value.length), Buffer.from(value)]),
  "field number 2^29 - 1 (unknown)": (_field, value) => lenField(2 ** 29 - 1, value),
  "field number 0": (_field, value) => Buffer.concat([varint(2), varint(value.length), Buffer.from(value)]),
  "unknown field": (field, value) => lenField(field + 64, value),
  "non-minimal length": (field, value) =>
    Buffer.concat([varint(field * 8 + 2), Buffer.from([value.length | 0x80, 0x80, 0x00]), Buffer.from(value)]),
  "group wire type": (field, value) => Buffer.concat([varint(field * 8 + 3), lenField(field, value), varint(field * 8 + 4)]),
  "varint wire type": (field, value) => Buffer.concat([varintField(field, 1), lenField(field, value)]),
};

/** String fields naming a resource, at the top level and inside repeated entries (Commit's offsets). */
function nameFields(schema: DescMessage): Array<{ path: number[]; name: string }> {
  const found: Array<{ path: number[]; name: string }> = [];
  for (const field of schema.fields) {
    const isString = (field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar")) && field.scalar === ScalarType.STRING;
    if (isString && /topic|name|group/i.test(field.name)) found.push({ path: [field.number], name: field.name });
    if (field.fieldKind === "list" && field.listKind === "message") {
      for (const inner of nameFields(field.message)) found.push({ path: [field.number, ...inner.path], name: inner.name });
    }
  }
  return found;
}

/** The valid request with `injected` placed before or after it, at the field's depth. */
function inject(method: DescMethod, valid: Buffer, path: number[], injected: Buffer, before: boolean): Buffer {
  if (path.length === 1) return before ? Buffer.concat([injected, valid]) : Buffer.concat([valid, injected]);
  // A nested field: one more entry of the repeated message, holding the tenant's own name and the disguise.
  const entryField = method.input.fields.find((f) => f.number === path[0])!;
  const entrySchema = entryField.fieldKind === "list" && entryField.listKind === "message" ? entryField.message : undefined;
  const own = entrySchema ? Buffer.from(toBinary(entrySchema, create(entrySchema, { topic: mine.topic, partition: 0, offset: 1n } as never))) : Buffer.alloc(0);
  const entry = before ? Buffer.concat([injected, own]) : Buffer.concat([own, injected]);
  return Buffer.concat([valid, lenField(path[0]!, entry)]);
}

describe("parser disagreement under ACLs", () => {
  let broker: Broker;
  let dir: { path: string; remove(): Promise<void> };
  let setup: ServiceClient<typeof AdminService.method>;
  let setupCommit: ServiceClient<typeof CommitService.method>;
  let tenant: RawChannel;
  const codes: Record<string, number> = {};

  /** What an attack could have changed of the other principal's resources. */
  async function theirState() {
    const { topics } = await setup.listTopics({ includeInternal: false });
    const described = await setup.describeTopic({ name: theirs.topic });
    const committed = await setupCommit.fetchCommitted({ groupId: theirs.group, topic: theirs.topic });
    return {
      topics: topics.map((t) => t.name).filter((name) => !name.startsWith("a-")).sort(),
      config: described.topic!.config,
      partitions: described.topic!.partitions.map((p) => [p.partition, p.logStartOffset, p.logEndOffset]),
      committed: committed.offsets.map((o) => [o.topic, o.partition, o.offset]),
    };
  }

  beforeAll(async () => {
    dir = await tempDir();
    broker = await startBroker(
      { listen: "127.0.0.1:0", http: "off", logLevel: "silent", dataDir: dir.path, authTokens, acls, fetchMaxWaitMs: 100 },
      { logger: silentLogger },
    );
    setup = createClient(AdminService, broker.address, { token: token("setup") });
    setupCommit = createClient(CommitService, broker.address, { token: token("setup") });
    const produce = createClient(ProduceService, broker.address, { token: token("setup") });
    try {
      for (const name of [mine.topic, theirs.topic]) await setup.createTopic({ name, partitions: 2 });
      await produce.produce({ topic: theirs.topic, partition: 0, records: [{ value: bytes(theirs.value) }, { value: bytes(theirs.value) }] });
      await produce.produce({ topic: mine.topic, partition: 0, records: [{ value: bytes("a-data") }, { value: bytes("a-data") }] });
    } finally {
      produce.close();
    }
    await setup.resetGroupOffsets({ groupId: theirs.group, topic: theirs.topic, to: { case: "latest", value: true } });
    await setup.resetGroupOffsets({ groupId: mine.group, topic: mine.topic, to: { case: "earliest", value: true } });
    tenant = new RawChannel(
      broker.address,
      methods.map((m) => rawPath(m, pathOf(m))),
      { token: token("tenant") },
    );
  });

  afterAll(async () => {
    tenant?.close();
    setup?.close();
    setupCommit?.close();
    await broker?.close();
    await dir?.remove();
    console.log(`parser-disagreement fuzz status codes: ${JSON.stringify(codes)}`);
  });

  const send = (method: DescMethod, request: Buffer): Promise<RawOutcome> =>
    tenant.send(method, pathOf(method), request);

  it("has a valid tenant request for every method, and the valid ones are admitted", async () => {
    expect(Object.keys(validRequests).sort()).toEqual(methods.map((m) => m.name).sort());
    for (const method of methods) {
      const valid = Buffer.from(toBinary(method.input, create(method.input, validRequests[method.name] as never)));
      const answer = await send(method, valid);
      // The tenant holds no cluster right; everything else of its own is allowed.
      if (clusterMethods.has(method.name)) {
        expect(answer.code, `${method.name}: ${status[answer.code]} ${answer.reason}`).toBe(status.PERMISSION_DENIED);
        continue;
      }
      const refused = [status.PERMISSION_DENIED, status.UNAUTHENTICATED, status.INVALID_ARGUMENT];
      expect(refused, `${method.name}: ${status[answer.code]} ${answer.reason}`).not.toContain(answer.code);
    }
  });

  it("never lets a smuggled name act on another principal's resources, and never answers INTERNAL", async () => {
    const before = await theirState();
    const random = prng(0x14ac1);
    const failures: string[] = [];
    const work: Array<{ method: DescMethod; label: string; request: Buffer }> = [];
    for (const method of methods) {
      const valid = Buffer.from(toBinary(method.input, create(method.input, validRequests[method.name] as never)));
      const fields = nameFields(method.input);
      // Methods without a name field (listings, DescribeCluster) still get each disguise, as field 1.
      const targets = fields.length > 0 ? fields : [{ path: [1], name: "name" }];
      for (const target of targets) {
        const field = target.path[target.path.length - 1]!;
        for (const [kind, disguise] of Object.entries(disguises)) {
          for (const before of [false, true]) {
            const injected = disguise(field, smuggled(target.name));
            work.push({ method, label: `${kind} ${target.name} ${before ? "before" : "after"}`, request: inject(method, valid, target.path, injected, before) });
          }
        }
        // Two disguises at once, in random order around the valid request.
        const kinds = Object.keys(disguises);
        for (let i = 0; i < 6; i++) {
          const a = kinds[Math.floor(random() * kinds.length)]!;
          const b = kinds[Math.floor(random() * kinds.length)]!;
          const injected = Buffer.concat([disguises[a]!(field, smuggled(target.name)), disguises[b]!(field, smuggled(target.name))]);
          work.push({ method, label: `${a} + ${b} ${target.name}`, request: inject(method, valid, target.path, injected, random() < 0.5) });
        }
      }
    }
    const started = Date.now();
    for (let at = 0; at < work.length && Date.now() - started < 60_000; at += 16) {
      await Promise.all(
        work.slice(at, at + 16).map(async ({ method, label, request }) => {
          const answer = await send(method, request);
          codes[status[answer.code]] = (codes[status[answer.code]] ?? 0) + 1;
          if (answer.code === status.INTERNAL || answer.code === status.UNKNOWN) {
            failures.push(`${method.name} ${label}: ${status[answer.code]} ${answer.reason}`);
          }
          const leaked = answer.response !== undefined && secrets.some((secret) => answer.response!.includes(secret));
          if (leaked) failures.push(`${method.name} ${label}: the answer holds another principal's data`);
        }),
      );
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(Object.values(codes).reduce((a, b) => a + b, 0)).toBe(work.length);
    expect(await theirState()).toEqual(before);
  }, 120_000);
});
