import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bytes, startTestBroker, type TestBroker } from "../../helpers/test-broker.js";

describe("console JSON API", () => {
  let t: TestBroker;
  let base: string;
  beforeEach(async () => {
    t = await startTestBroker({ http: "127.0.0.1:0" });
    base = `http://127.0.0.1:${t.broker.httpPort}/console/api/`;
  });
  afterEach(() => t.close());

  const call = async (method: string, path: string, body?: unknown, contentType = "application/json") => {
    const response = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { "content-type": contentType },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  it("creates, describes, changes and deletes a topic through the broker's AdminService", async () => {
    expect((await call("POST", "topics", { name: "orders", partitions: 2 })).status).toBe(201);
    expect((await t.admin.describeTopic({ name: "orders" })).topic!.partitions).toHaveLength(2);
    expect((await call("POST", "topics/orders/partitions", { totalCount: 3 })).body.partitions).toHaveLength(3);
    expect((await call("PATCH", "topics/orders/config", { retentionMs: "60000" })).body.config.retentionMs).toBe("60000");
    expect((await call("DELETE", "topics/orders", {})).status).toBe(200);
    expect((await call("GET", "topics/orders")).status).toBe(404);
  });

  it("maps the broker's errors to HTTP status, code and tributary-reason", async () => {
    await call("POST", "topics", { name: "orders", partitions: 1 });
    expect(await call("POST", "topics", { name: "orders", partitions: 1 })).toEqual({
      status: 409,
      body: { error: { code: "ALREADY_EXISTS", reason: "TOPIC_EXISTS", message: expect.any(String) } },
    });
    expect((await call("GET", "topics/nope")).body.error).toMatchObject({ code: "NOT_FOUND", reason: "UNKNOWN_TOPIC" });
    const outOfRange = await call("GET", "topics/orders/records?partition=0&offset=7");
    expect(outOfRange).toMatchObject({ status: 400, body: { error: { code: "OUT_OF_RANGE", reason: "OFFSET_OUT_OF_RANGE" } } });
    const invalid = await call("POST", "topics", { name: "bad name!", partitions: 1 });
    expect(invalid).toMatchObject({ status: 400, body: { error: { code: "INVALID_ARGUMENT" } } });
  });

  it("refuses bad requests before calling the broker", async () => {
    expect((await call("POST", "topics", "{not json")).body.error).toMatchObject({ reason: "INVALID_JSON" });
    expect((await call("POST", "topics", { name: "x", partitions: 1, bogus: 1 })).body.error).toMatchObject({ reason: "INVALID_BODY" });
    expect((await call("DELETE", "topics/x")).status).toBe(415); // no JSON body: no cross-site form posts
    expect((await call("POST", "topics", {}, "text/plain")).status).toBe(415);
    expect((await call("GET", "topics/x/records?offset=abc")).body.error).toMatchObject({ reason: "INVALID_PARAMETER" });
    expect((await call("GET", "nothing/here")).status).toBe(404);
  });

  it("reads records from an offset or a timestamp, with headers", async () => {
    await t.admin.createTopic({ name: "events", partitions: 1 });
    const answer = await t.produce.produce({
      topic: "events",
      records: [0, 1, 2].map((i) => ({ key: bytes(`k${i}`), value: bytes(`v${i}`), headers: [{ key: "n", value: bytes(String(i)) }] })),
    });
    const fromOffset = await call("GET", "topics/events/records?partition=0&offset=1&limit=1");
    expect(fromOffset.body.records).toEqual([
      { offset: "1", timestampMs: expect.any(String), key: btoa("k1"), value: btoa("v1"), headers: [{ key: "n", value: btoa("1") }] },
    ]);
    const appended = answer.results[0].logAppendTimeMs;
    const fromTime = await call("GET", `topics/events/records?partition=0&timestampMs=${appended}`);
    expect(fromTime.body.records.map((r: { offset: string }) => r.offset)).toEqual(["0", "1", "2"]);
  });

  // Issue 14: `limit=500` over 1 MB records took the broker to 4.4 GB. An answer holds at
  // most 1 MiB of record bytes (at least one record), values cut to 64 KiB.
  it("bounds a browse answer in bytes, always moving on by at least one record", async () => {
    await t.admin.createTopic({ name: "large", partitions: 1 });
    const big = new Uint8Array(1_000_000).fill(0x61);
    for (let i = 0; i < 6; i++) await t.produce.produce({ topic: "large", records: [{ key: bytes(`k${i}`), value: big }] });
    const response = await fetch(`${base}topics/large/records?partition=0&limit=500`);
    const body = (await response.json()) as Record<string, any>;
    expect(response.status).toBe(200);
    expect(Number(response.headers.get("content-length"))).toBeLessThan(256 * 1024);
    expect(body.records).toHaveLength(1);
    expect(body.records[0]).toMatchObject({ offset: "0", key: btoa("k0"), truncated: { value: 1_000_000 } });
    expect(atob(body.records[0].value)).toHaveLength(64 * 1024);
    expect(body.nextOffset).toBe("1");
    const next = await call("GET", `topics/large/records?partition=0&offset=${body.nextOffset}&limit=500`);
    expect(next.body.records.map((r: { offset: string }) => r.offset)).toEqual(["1"]);

    // Smaller records: as many as fit in 1 MiB, then the next page goes on from there.
    await t.admin.createTopic({ name: "medium", partitions: 1 });
    const value = new Uint8Array(10_000).fill(0x62);
    await t.produce.produce({ topic: "medium", records: Array.from({ length: 150 }, () => ({ value })) });
    const first = await call("GET", "topics/medium/records?partition=0&limit=500");
    const fit = Math.floor((1024 * 1024) / 10_000);
    expect(first.body.records).toHaveLength(fit);
    expect(first.body.records[0].truncated).toBeUndefined();
    expect(first.body.nextOffset).toBe(String(fit));
    const rest = await call("GET", `topics/medium/records?partition=0&offset=${first.body.nextOffset}&limit=500`);
    expect(rest.body.records).toHaveLength(150 - fit);
    expect(rest.body.nextOffset).toBe("150");
  });

  it("serves the prebuilt assets with their content types, and nothing else", async () => {
    const origin = `http://127.0.0.1:${t.broker.httpPort}`;
    const root = await fetch(`${origin}/`, { redirect: "manual" });
    expect([root.status, root.headers.get("location")]).toEqual([302, "/console/"]);
    for (const [path, type] of [
      ["/console/", "text/html; charset=utf-8"],
      ["/console/app.js", "text/javascript; charset=utf-8"],
      ["/console/style.css", "text/css; charset=utf-8"],
    ]) {
      const response = await fetch(origin + path);
      expect([response.status, response.headers.get("content-type")]).toEqual([200, type]);
    }
    expect((await fetch(`${origin}/console/%2e%2e%2fhttp-server.ts`)).status).toBe(404);
    expect((await fetch(`${origin}/console/build.mjs`)).status).toBe(404);
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
  });
});
