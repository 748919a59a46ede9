import { status, type ServiceError } from "@grpc/grpc-js";
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createClient, errorReason, Producer } from "../../clients/ts/index.js";
import type { BidiStream, ServiceClient } from "../../clients/ts/grpc-client.js";
import { hashToken } from "../../services/auth/tokens.js";
import { pipelineMaxInFlight } from "../../services/rpc/pipelined-stream.js";
import { startBroker, type Broker } from "../../services/server.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import {
  Acks,
  ProduceRequestSchema,
  ProduceService,
  type ProduceResponse,
  type ProduceStreamResponse,
} from "../../gen/ts/tributary/v1/produce_pb.js";
import { bytes, silentLogger, startTestBroker, tempDir, text, type TestBroker } from "../helpers/test-broker.js";

type ProduceClient = ServiceClient<typeof ProduceService.method>;
type ProduceInit = MessageInitShape<typeof ProduceRequestSchema>;

const streamMethod = "tributary.v1.ProduceService/ProduceStream";

/**
 * One ProduceStream as a test reads it: every answer in arrival order, then the
 * status, with `events` recording which came first (an answer after the status
 * would be a lost answer to the Producer).
 */
function openStream(client: ProduceClient) {
  const stream = client.produceStream() as BidiStream<ProduceInit | Buffer, ProduceStreamResponse>;
  const answers: ProduceStreamResponse[] = [];
  const events: string[] = [];
  let waiters: Array<() => void> = [];
  let ended = false;
  const wake = () => {
    const woken = waiters;
    waiters = [];
    woken.forEach((w) => w());
  };
  stream.onMessage((answer) => {
    answers.push(answer);
    events.push("answer");
    wake();
  });
  const statusOf = new Promise<ServiceError | null>((resolve) =>
    stream.onStatus((err) => {
      ended = true;
      events.push("status");
      resolve(err);
      wake();
    }),
  );
  return {
    stream,
    answers,
    events,
    /** The stream's status: null for OK. */
    status: statusOf,
    /** Resolves once `count` answers arrived; rejects if the stream ends first. */
    async answered(count: number): Promise<ProduceStreamResponse[]> {
      while (answers.length < count) {
        if (ended) throw new Error(`stream ended after ${answers.length} of ${count} answers`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      return answers.slice(0, count);
    },
  };
}

/** The response of an answer that must have succeeded. */
function responseOf(answer: ProduceStreamResponse): ProduceResponse {
  if (answer.result.case !== "response") throw new Error(`request ${answer.requestIndex} failed: ${JSON.stringify(answer.result.value)}`);
  return answer.result.value;
}

/** Every record value of partition 0 of `topic`, from offset 0 to the log end, with its offset. */
async function readAll(fetch: ServiceClient<typeof FetchService.method>, topic: string): Promise<Array<{ offset: bigint; value: string }>> {
  const records: Array<{ offset: bigint; value: string }> = [];
  let offset = 0n;
  for (;;) {
    const answer = await fetch.fetch({ topic, partition: 0, offset, maxBytes: 1 << 20 });
    for (const r of answer.records) records.push({ offset: r.offset, value: text(r.value) });
    if (answer.records.length === 0 || answer.nextOffset >= answer.highWatermark) return records;
    offset = answer.nextOffset;
  }
}

/** A counter or gauge from the broker's /metrics (Prometheus text), 0 when absent. */
async function metricValue(httpPort: number, name: string, labels: Record<string, string>): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of body.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = (match[2] ?? "").split(",");
    if (wanted.every((w) => have.includes(w))) total += Number(match[3]);
  }
  return total;
}

describe("ProduceService.ProduceStream", () => {
  let t: TestBroker;
  beforeEach(async () => {
    t = await startTestBroker();
  });
  afterEach(async () => {
    await t.close();
  });

  it("answers thousands of pipelined requests in request order and appends them at consecutive offsets", async () => {
    await t.admin.createTopic({ name: "pipelined", partitions: 1 });
    // More than pipelineMaxInFlight, all written at once. A broker this fast answers as they
    // arrive and need not pause: the bound itself is shown with answers a quota holds back.
    const count = 3 * pipelineMaxInFlight;
    const s = openStream(t.produce);
    for (let i = 0; i < count; i++) s.stream.write({ topic: "pipelined", partition: 0, records: [{ value: bytes(`v${i}`) }] });
    const answers = await s.answered(count);
    expect(answers.map((a) => a.requestIndex)).toEqual(Array.from({ length: count }, (_, i) => BigInt(i)));
    for (const [i, answer] of answers.entries()) {
      expect(responseOf(answer).results).toMatchObject([{ partition: 0, baseOffset: BigInt(i), recordCount: 1, duplicate: false }]);
    }
    s.stream.end();
    expect(await s.status).toBeNull();

    const records = await readAll(t.fetch, "pipelined");
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: count }, (_, i) => BigInt(i)));
    expect(records.map((r) => r.value)).toEqual(Array.from({ length: count }, (_, i) => `v${i}`));
  });

  it("answers a failed request with its error at its index and goes on with the next", async () => {
    await t.admin.createTopic({ name: "mixed", partitions: 1, config: { maxRecordBytes: 100 } });
    const valid = (value: string): ProduceInit => ({ topic: "mixed", partition: 0, records: [{ value: bytes(value) }] });
    // Field 1 (topic) declared 127 bytes long, with two bytes after it: not a ProduceRequest.
    const garbage = Buffer.from([0x0a, 0x7f, 0xff, 0xfe]);
    const requests: Array<ProduceInit | Buffer> = [
      valid("a"),
      { topic: "no-such-topic", partition: 0, records: [{ value: bytes("x") }] },
      valid("b"),
      { ...valid("y"), acks: 99 as Acks },
      garbage,
      valid("c"),
      { topic: "mixed", partition: 0, records: [{ value: new Uint8Array(200) }] },
      valid("d"),
    ];
    const expected: Array<{ code: status; reason: string } | string> = [
      "a",
      { code: status.NOT_FOUND, reason: "UNKNOWN_TOPIC" },
      "b",
      { code: status.INVALID_ARGUMENT, reason: "INVALID_ACKS" },
      { code: status.INVALID_ARGUMENT, reason: "MALFORMED_REQUEST" },
      "c",
      { code: status.RESOURCE_EXHAUSTED, reason: "RECORD_TOO_LARGE" },
      "d",
    ];
    const s = openStream(t.produce);
    for (const request of requests) s.stream.write(request);
    const answers = await s.answered(requests.length);
    let nextOffset = 0n;
    for (const [i, answer] of answers.entries()) {
      expect(answer.requestIndex).toBe(BigInt(i));
      const want = expected[i];
      if (typeof want === "string") {
        expect(responseOf(answer).results[0]).toMatchObject({ baseOffset: nextOffset++, recordCount: 1 });
      } else {
        expect(answer.result.case).toBe("error");
        const error = answer.result.value as { code: number; reason: string; metadata: Record<string, string> };
        expect({ code: error.code, reason: error.reason }).toEqual(want);
        expect(error.metadata["tributary-reason"]).toBe(want.reason);
      }
    }
    // The stream is still open: one more request after the failures is appended.
    s.stream.write(valid("e"));
    expect(responseOf((await s.answered(requests.length + 1))[requests.length]).results[0].baseOffset).toBe(4n);
    s.stream.end();
    expect(await s.status).toBeNull();
    expect((await readAll(t.fetch, "mixed")).map((r) => r.value)).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("answers a repeated (producer_id, sequence) as a duplicate with the original offsets, on the same stream and a new one", async () => {
    await t.admin.createTopic({ name: "idem", partitions: 1 });
    const first: ProduceInit = { topic: "idem", partition: 0, producerId: 77n, sequence: 1n, records: [{ value: bytes("x") }, { value: bytes("y") }] };
    const second: ProduceInit = { topic: "idem", partition: 0, producerId: 77n, sequence: 2n, records: [{ value: bytes("z") }] };
    const one = openStream(t.produce);
    one.stream.write(first);
    one.stream.write(first);
    one.stream.write(second);
    one.stream.end();
    const answers = (await one.answered(3)).map((a) => responseOf(a).results[0]);
    expect(answers[0]).toMatchObject({ baseOffset: 0n, recordCount: 2, duplicate: false });
    expect(answers[1]).toMatchObject({ baseOffset: 0n, recordCount: 2, duplicate: true });
    expect(answers[2]).toMatchObject({ baseOffset: 2n, recordCount: 1, duplicate: false });
    expect(await one.status).toBeNull();

    const two = openStream(t.produce);
    two.stream.write(first);
    two.stream.end();
    const [again] = await two.answered(1);
    expect(again.requestIndex).toBe(0n);
    expect(responseOf(again).results[0]).toMatchObject({ baseOffset: 0n, recordCount: 2, duplicate: true });
    expect(await two.status).toBeNull();
    expect((await readAll(t.fetch, "idem")).map((r) => r.value)).toEqual(["x", "y", "z"]);
  });

  it("answers acks=NONE requests and appends them", async () => {
    await t.admin.createTopic({ name: "fire", partitions: 1 });
    const s = openStream(t.produce);
    for (let i = 0; i < 10; i++) s.stream.write({ topic: "fire", partition: 0, acks: Acks.NONE, records: [{ value: bytes(`f${i}`) }] });
    s.stream.end();
    const answers = await s.answered(10);
    expect(answers.map((a) => a.requestIndex)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));
    // Answered OK. The answer carries the offsets taken, as a unary Produce with acks=NONE
    // does, though the proto's ACKS_NONE says "reports no offsets": not asserted either way.
    for (const answer of answers) expect(answer.result.case).toBe("response");
    expect(await s.status).toBeNull();
    expect((await readAll(t.fetch, "fire")).map((r) => r.value)).toEqual(Array.from({ length: 10 }, (_, i) => `f${i}`));
  });

  it("after the client's half-close answers every request, then ends with OK", async () => {
    await t.admin.createTopic({ name: "half", partitions: 1 });
    const s = openStream(t.produce);
    for (let i = 0; i < 200; i++) s.stream.write({ topic: "half", partition: 0, records: [{ value: bytes(`h${i}`) }] });
    s.stream.end();
    expect(await s.status).toBeNull();
    expect(s.answers.map((a) => a.requestIndex)).toEqual(Array.from({ length: 200 }, (_, i) => BigInt(i)));
    expect(s.events).toEqual([...Array<string>(200).fill("answer"), "status"]);
    expect((await readAll(t.fetch, "half")).map((r) => r.value)).toEqual(Array.from({ length: 200 }, (_, i) => `h${i}`));
  });

  it("ends an idle stream with UNAVAILABLE/SHUTTING_DOWN when the broker closes, without waiting out the shutdown grace", async () => {
    await t.admin.createTopic({ name: "idle", partitions: 1 });
    const s = openStream(t.produce);
    s.stream.write({ topic: "idle", partition: 0, records: [{ value: bytes("before") }] });
    await s.answered(1);
    const started = performance.now();
    await t.broker.close();
    const closeMs = performance.now() - started;
    // grpc-js's tryShutdown would wait 5 s for the open stream.
    expect(closeMs).toBeLessThan(3000);
    const err = await s.status;
    expect(err).toMatchObject({ code: status.UNAVAILABLE });
    expect(errorReason(err)).toBe("SHUTTING_DOWN");
    expect(s.events).toEqual(["answer", "status"]);
  });

  it("answers what it read before the broker closed, then ends; every appended request was answered", async () => {
    await t.admin.createTopic({ name: "closing", partitions: 1 });
    const s = openStream(t.produce);
    const count = 2000;
    for (let i = 0; i < count; i++) s.stream.write({ topic: "closing", partition: 0, records: [{ value: bytes(`c${i}`) }] });
    // Some requests answered: the broker closes with others read or on their way.
    await s.answered(500);
    const started = performance.now();
    await t.broker.close();
    expect(performance.now() - started).toBeLessThan(3000);
    const err = await s.status;
    expect(err).toMatchObject({ code: status.UNAVAILABLE });
    expect(errorReason(err)).toBe("SHUTTING_DOWN");
    // Answers in order, all before the status; those the broker read late are refused.
    expect(s.events.at(-1)).toBe("status");
    expect(s.events.filter((e) => e === "status")).toHaveLength(1);
    expect(s.answers.map((a) => a.requestIndex)).toEqual(s.answers.map((_, i) => BigInt(i)));
    const ok = s.answers.filter((a) => a.result.case === "response");
    for (const [i, answer] of ok.entries()) expect(responseOf(answer).results[0].baseOffset).toBe(BigInt(i));
    for (const answer of s.answers.slice(ok.length)) {
      expect(answer.result.case).toBe("error");
      expect((answer.result.value as { reason: string }).reason).toBe("SHUTTING_DOWN");
    }
    // The log holds exactly the requests answered OK: none appended without its answer.
    await t.restart();
    expect((await readAll(t.fetch, "closing")).map((r) => r.value)).toEqual(ok.map((_, i) => `c${i}`));
  });

  it("is what the Producer sends over", async () => {
    await t.close();
    t = await startTestBroker({ http: "127.0.0.1:0" });
    await t.admin.createTopic({ name: "producer", partitions: 1 });
    const httpPort = t.broker.httpPort!;
    const count = (code?: string) => metricValue(httpPort, "tributary_rpc_requests_total", { method: streamMethod, ...(code === undefined ? {} : { code }) });
    const producer = new Producer({ broker: t.broker.address, lingerMs: 1 });
    const rounds = 5;
    const perRound = 60;
    let requests: number;
    try {
      // Each round waits for its answers, so each is at least one request of its own.
      for (let round = 0; round < rounds; round++) {
        const sent = await Promise.all(
          Array.from({ length: perRound }, (_, i) => producer.send({ topic: "producer", partition: 0, value: `p${round * perRound + i}` })),
        );
        expect(sent.map((m) => m.offset)).toEqual(Array.from({ length: perRound }, (_, i) => BigInt(round * perRound + i)));
      }
      // Answered on one stream, still open, and no unary Produce was made.
      requests = await count("OK");
      expect(requests).toBeGreaterThanOrEqual(rounds);
      expect(await metricValue(httpPort, "tributary_rpc_active_streams", { method: streamMethod })).toBe(1);
      expect(await metricValue(httpPort, "tributary_rpc_requests_total", { method: "tributary.v1.ProduceService/Produce" })).toBe(0);
    } finally {
      await producer.close();
    }
    // close() half-closes the stream: the broker ends it (its requests were counted one by
    // one; the stream itself only leaves the active-streams gauge, docs/metrics.md).
    await vi.waitFor(async () => expect(await metricValue(httpPort, "tributary_rpc_active_streams", { method: streamMethod })).toBe(0), { timeout: 5000 });
    expect(await count("OK")).toBe(requests);
    expect(await count()).toBe(requests);
    expect((await readAll(t.fetch, "producer")).map((r) => r.value)).toEqual(Array.from({ length: rounds * perRound }, (_, i) => `p${i}`));
  });
});

describe("ProduceService.ProduceStream with authentication and quotas", () => {
  const rate = 20_000;
  const bulkRate = 100_000;
  let broker: Broker;
  let dir: { path: string; remove(): Promise<void> };
  const clients: Array<{ close(): void }> = [];
  const connect = (token?: string): ProduceClient => {
    const client = createClient(ProduceService, broker.address, token === undefined ? {} : { token });
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    dir = await tempDir();
    broker = await startBroker(
      {
        listen: "127.0.0.1:0",
        http: "off",
        logLevel: "silent",
        dataDir: dir.path,
        authTokens: [
          { principal: "admin", sha256: hashToken("admin-token") },
          { principal: "writer", sha256: hashToken("writer-token") },
          { principal: "slow", sha256: hashToken("slow-token") },
          { principal: "bulk", sha256: hashToken("bulk-token") },
        ],
        acls: [
          { principal: "admin", resource: { type: "topic", prefix: "" }, operations: ["create", "describe", "read", "write"] },
          { principal: "writer", resource: { type: "topic", prefix: "open." }, operations: ["write"] },
          { principal: "slow", resource: { type: "topic", prefix: "" }, operations: ["write"] },
          { principal: "bulk", resource: { type: "topic", prefix: "" }, operations: ["write"] },
        ],
        quotas: [
          { principal: "slow", produceBytesPerSecond: rate },
          { principal: "bulk", produceBytesPerSecond: bulkRate },
        ],
      },
      { logger: silentLogger },
    );
    const admin = createClient(AdminService, broker.address, { token: "admin-token" });
    clients.push(admin);
    for (const name of ["open.a", "closed.a", "metered"]) await admin.createTopic({ name, partitions: 1 });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await broker.close();
    await dir.remove();
  });

  const readAllAsAdmin = (topic: string) => {
    const fetch = createClient(FetchService, broker.address, { token: "admin-token" });
    clients.push(fetch);
    return readAll(fetch, topic);
  };

  it("refuses a request to a topic the principal may not write and appends the next on the same stream", async () => {
    const s = openStream(connect("writer-token"));
    s.stream.write({ topic: "closed.a", partition: 0, records: [{ value: bytes("no") }] });
    s.stream.write({ topic: "open.a", partition: 0, records: [{ value: bytes("yes") }] });
    s.stream.end();
    const [denied, allowed] = await s.answered(2);
    expect(denied.result.case).toBe("error");
    expect(denied.result.value).toMatchObject({ code: status.PERMISSION_DENIED, reason: "NOT_AUTHORIZED" });
    expect(responseOf(allowed).results[0]).toMatchObject({ baseOffset: 0n, recordCount: 1 });
    expect(await s.status).toBeNull();
    expect((await readAllAsAdmin("open.a")).map((r) => r.value)).toEqual(["yes"]);
    expect(await readAllAsAdmin("closed.a")).toEqual([]);
  });

  it("ends a stream without a token with UNAUTHENTICATED", async () => {
    const s = openStream(connect());
    s.stream.write({ topic: "open.a", partition: 0, records: [{ value: bytes("anon") }] });
    const err = await s.status;
    expect(err).toMatchObject({ code: status.UNAUTHENTICATED });
    expect(errorReason(err)).toBe("MISSING_CREDENTIALS");
    expect(s.answers).toHaveLength(0);
    expect(await readAllAsAdmin("open.a")).toEqual([]);
  });

  it("holds a metered principal's answers back for the debt its bytes make, in order", async () => {
    // Requests encoded here, so the bytes charged are known: ~3 seconds' worth at `rate`,
    // one second of it the bucket's burst, so under the 5 s maxDelayMs that would refuse.
    const requests = Array.from({ length: 60 }, (_, i) =>
      Buffer.from(toBinary(ProduceRequestSchema, create(ProduceRequestSchema, { topic: "metered", partition: 0, records: [{ value: new Uint8Array(1000).fill(i) }] }))),
    );
    const totalBytes = requests.reduce((sum, r) => sum + r.length, 0);
    const minimumMs = ((totalBytes - rate) / rate) * 1000;
    expect(minimumMs).toBeGreaterThan(1500);
    const s = openStream(connect("slow-token"));
    const started = performance.now();
    for (const request of requests) s.stream.write(request);
    const answers = await s.answered(requests.length);
    const elapsedMs = performance.now() - started;
    // The last request's debt is (totalBytes - rate) less what refilled since the first.
    expect(elapsedMs).toBeGreaterThanOrEqual(minimumMs - 20);
    expect(answers.map((a) => a.requestIndex)).toEqual(requests.map((_, i) => BigInt(i)));
    for (const [i, answer] of answers.entries()) expect(responseOf(answer).results[0].baseOffset).toBe(BigInt(i));
    s.stream.end();
    expect(await s.status).toBeNull();
  }, 20_000);

  it("reads no further than the in-flight bound while the oldest request is unanswered", async () => {
    const admin = createClient(AdminService, broker.address, { token: "admin-token" });
    clients.push(admin);
    const logEnd = async () => (await admin.listOffsets({ topic: "metered", partition: 0 })).offset;
    const s = openStream(connect("bulk-token"));
    // 2.5 seconds of debt past the burst: this answer, and so every one behind it, waits.
    s.stream.write({ topic: "metered", partition: 0, records: [{ value: new Uint8Array(3.5 * bulkRate) }] });
    const count = pipelineMaxInFlight + 500;
    for (let i = 1; i < count; i++) s.stream.write({ topic: "metered", partition: 0, records: [{ value: bytes(`m${i}`) }] });
    // Each request read is appended at once: the log end counts what the broker read.
    await vi.waitFor(async () => expect(await logEnd()).toBeGreaterThanOrEqual(BigInt(pipelineMaxInFlight)), { timeout: 10_000, interval: 20 });
    const read = await logEnd();
    expect(s.answers).toHaveLength(0);
    expect(read).toBe(BigInt(pipelineMaxInFlight));
    // The debt repaid, the answers go out and the broker reads the rest.
    const answers = await s.answered(count);
    expect(answers.map((a) => a.requestIndex)).toEqual(answers.map((_, i) => BigInt(i)));
    for (const [i, answer] of answers.entries()) expect(responseOf(answer).results[0].baseOffset).toBe(BigInt(i));
    s.stream.end();
    expect(await s.status).toBeNull();
    expect(await logEnd()).toBe(BigInt(count));
  }, 20_000);

  it("answers a request held by its quota debt before ending the stream at broker close", async () => {
    const s = openStream(connect("slow-token"));
    // Two seconds of debt past the burst: appended at once, answered ~2 s later.
    s.stream.write({ topic: "metered", partition: 0, records: [{ value: new Uint8Array(3 * rate) }] });
    const admin = createClient(AdminService, broker.address, { token: "admin-token" });
    clients.push(admin);
    await vi.waitFor(async () => expect((await admin.listOffsets({ topic: "metered", partition: 0 })).offset).toBe(1n), { timeout: 5000 });
    expect(s.answers).toHaveLength(0);
    await broker.close();
    const err = await s.status;
    expect(s.events).toEqual(["answer", "status"]);
    expect(responseOf(s.answers[0]).results[0].baseOffset).toBe(0n);
    expect(err).toMatchObject({ code: status.UNAVAILABLE });
    expect(errorReason(err)).toBe("SHUTTING_DOWN");
  }, 20_000);
});
