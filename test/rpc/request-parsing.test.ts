/**
 * Issue 14, findings 1 and 2, against a real broker process with tokens and
 * ACLs on: authorization judges exactly what the handler acts on (one parse,
 * shared; tags the protobuf spec forbids are refused), and no request body is
 * read before the call is authenticated or decoded past its method's limits.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type ServiceClient } from "../../clients/ts/index.js";
import { hashToken } from "../../services/auth/tokens.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { startChildBroker, type ChildBroker } from "../helpers/child-broker.js";
import { memoryOf, MiB, resetPeakRss } from "../helpers/process-stats.js";
import { lenField, varint } from "../helpers/raw-call.js";
import { tempDir } from "../helpers/test-broker.js";
import { RawChannel } from "../reliability/raw-grpc.js";

const produce = "/tributary.v1.ProduceService/Produce";
const describeTopic = "/tributary.v1.AdminService/DescribeTopic";
const commit = "/tributary.v1.CommitService/Commit";
const paths = [produce, describeTopic, commit].map((path) => ({ path, streaming: false }));

const token = (principal: string) => `token-of-${principal}`;
const authTokens = ["setup", "writer", "committer"].map((principal) => ({ principal, sha256: hashToken(token(principal)) }));
const acls = [
  { principal: "setup", resource: { type: "topic" }, operations: ["create", "describe", "write"] },
  // The attacker of finding 1: may write a-* only.
  { principal: "writer", resource: { type: "topic", prefix: "a-" }, operations: ["write", "describe"] },
  { principal: "committer", resource: { type: "group", name: "g" }, operations: ["read"] },
  { principal: "committer", resource: { type: "topic" }, operations: ["read"] },
];

/** A ProduceRequest record field holding one record with value "x". */
const record = lenField(3, lenField(4, "x"));

describe("request parsing and limits (auth on)", () => {
  let dir: { path: string; remove(): Promise<void> };
  let broker: ChildBroker;
  let admin: ServiceClient<typeof AdminService.method>;
  const channels: RawChannel[] = [];
  const channel = (principal?: string) => {
    const c = new RawChannel(broker.address, paths, principal ? { token: token(principal) } : {});
    channels.push(c);
    return c;
  };
  const logEnd = async (topic: string) =>
    (await admin.describeTopic({ name: topic })).topic!.partitions.reduce((sum, p) => sum + p.logEndOffset, 0n);

  beforeAll(async () => {
    dir = await tempDir();
    const configFile = join(dir.path, "broker.json");
    await writeFile(configFile, JSON.stringify({ authTokens, acls }));
    broker = await startChildBroker(join(dir.path, "data"), ["--config", configFile]);
    admin = createClient(AdminService, broker.address, { token: token("setup") });
    await admin.createTopic({ name: "a-1", partitions: 1 });
    await admin.createTopic({ name: "b-1", partitions: 1 });
  }, 30_000);

  afterAll(async () => {
    for (const c of channels) c.close();
    admin?.close();
    if (broker && broker.process.exitCode === null) {
      broker.process.kill("SIGTERM");
      await broker.exited;
    }
    await dir?.remove();
  });

  it("refuses a Produce whose second topic hides behind a 6-byte tag (the ACL bypass)", async () => {
    const writer = channel("writer");
    const sixByteTag = Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x90, 0x00]); // field 1, wire type 2, padded past 5 bytes
    const attack = Buffer.concat([lenField(1, "a-1"), sixByteTag, varint(3), Buffer.from("b-1"), record]);
    expect(await writer.unary(produce, attack)).toMatchObject({ code: status.INVALID_ARGUMENT, reason: "MALFORMED_REQUEST" });
    expect(await logEnd("b-1")).toBe(0n);
    expect(await logEnd("a-1")).toBe(0n);
  });

  it("refuses tags the protobuf spec forbids and a repeated topic field, writing nowhere", async () => {
    const writer = channel("writer");
    const tags = {
      "field number 0": varint(2),
      "field number 2^29 (5-byte tag past the largest)": varint((2 ** 29) * 8 + 2),
      "field 1 in an 11-byte varint": Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
    };
    for (const [label, tag] of Object.entries(tags)) {
      const request = Buffer.concat([lenField(1, "a-1"), tag, varint(3), Buffer.from("b-1"), record]);
      expect(await writer.unary(produce, request), label).toMatchObject({ code: status.INVALID_ARGUMENT, reason: "MALFORMED_REQUEST" });
    }
    // Two plain topic fields: protobuf says the last wins; the broker refuses the ambiguity instead.
    const twice = Buffer.concat([lenField(1, "a-1"), lenField(1, "b-1"), record]);
    expect(await writer.unary(produce, twice)).toMatchObject({ code: status.INVALID_ARGUMENT, reason: "MALFORMED_REQUEST" });
    expect(await logEnd("b-1")).toBe(0n);
    expect(await logEnd("a-1")).toBe(0n);
    // A 5-byte (non-minimal but legal) tag for field 1 is the topic, for the ACL check and the handler alike.
    const padded = Buffer.from([0x8a, 0x80, 0x80, 0x80, 0x00]);
    const legal = Buffer.concat([padded, varint(3), Buffer.from("b-1"), record]);
    expect(await writer.unary(produce, legal)).toMatchObject({ code: status.PERMISSION_DENIED, reason: "NOT_AUTHORIZED" });
    const allowed = Buffer.concat([padded, varint(3), Buffer.from("a-1"), record]);
    expect(await writer.unary(produce, allowed)).toMatchObject({ code: status.OK });
    expect(await logEnd("a-1")).toBe(1n);
    expect(await logEnd("b-1")).toBe(0n);
  });

  it("answers an unauthenticated 60 MiB DescribeTopic of unknown fields UNAUTHENTICATED without reading it", async () => {
    const pid = broker.process.pid!;
    // Field 100, varint 0: three bytes per unknown field, 20M of them.
    const body = Buffer.alloc(60 * MiB);
    for (let i = 0; i + 3 <= body.length; i += 3) {
      body[i] = 0xa0;
      body[i + 1] = 0x06;
    }
    const before = (await memoryOf(pid)).rssBytes;
    const peakReset = await resetPeakRss(pid);
    const started = Date.now();
    const answer = await channel().unary(describeTopic, body, 20_000);
    const elapsedMs = Date.now() - started;
    const after = await memoryOf(pid);
    const growth = (peakReset ? after.peakRssBytes : after.rssBytes) - before;
    console.log(`60 MiB unauthenticated DescribeTopic: ${answer.code} in ${elapsedMs} ms, broker RSS +${(growth / MiB).toFixed(1)} MiB`);
    expect(answer).toMatchObject({ code: status.UNAUTHENTICATED, reason: "MISSING_CREDENTIALS" });
    expect(growth).toBeLessThan(100 * MiB);
    expect(broker.process.exitCode).toBeNull();
  }, 40_000);

  it("refuses a Commit of millions of empty entries from an authenticated principal, quickly and by its size", async () => {
    const committer = channel("committer");
    const pid = broker.process.pid!;
    const emptyEntries = (bytes: number) => {
      const body = Buffer.alloc(bytes);
      for (let i = 0; i + 2 <= body.length; i += 2) body[i] = 0x22; // field 4 (offsets), length 0
      return Buffer.concat([lenField(1, "g"), body]);
    };
    // 16 MiB (8M entries): over the Commit size limit.
    const bigBody = emptyEntries(16 * MiB);
    // Just under 1 MiB (half a million entries): within the size limit, over the entry limit.
    const manyBody = emptyEntries(MiB - 64);
    const before = (await memoryOf(pid)).rssBytes;
    const peakReset = await resetPeakRss(pid);
    const started = Date.now();
    const big = await committer.unary(commit, bigBody, 20_000);
    const many = await committer.unary(commit, manyBody, 20_000);
    const elapsedMs = Date.now() - started;
    const after = await memoryOf(pid);
    const growth = (peakReset ? after.peakRssBytes : after.rssBytes) - before;
    console.log(`Commit bombs: ${big.code}/${big.reason}, ${many.code}/${many.reason} in ${elapsedMs} ms, broker RSS +${(growth / MiB).toFixed(1)} MiB`);
    expect(big).toMatchObject({ code: status.RESOURCE_EXHAUSTED, reason: "REQUEST_TOO_LARGE" });
    expect(many).toMatchObject({ code: status.RESOURCE_EXHAUSTED, reason: "REQUEST_TOO_LARGE" });
    expect(elapsedMs).toBeLessThan(10_000); // 41 s before the fix, on this shared machine
    expect(growth).toBeLessThan(100 * MiB);
    // An ordinary commit still goes through.
    const commits = createClient(CommitService, broker.address, { token: token("committer") });
    try {
      await commits.commit({ groupId: "g", offsets: [{ topic: "a-1", partition: 0, offset: 0n }] });
    } finally {
      commits.close();
    }
  }, 40_000);
});
