import { connect as http2Connect, constants as http2Constants, type ClientHttp2Stream } from "node:http2";
import { connect as tcpConnect } from "node:net";
import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { LoadHarness, ownConnection } from "../helpers/load-harness.js";
import { memoryOf, mib, openFds } from "../helpers/process-stats.js";
import { StalledConnection, subscribeFrame } from "../helpers/stalled-subscriber.js";
import { bytes } from "../helpers/test-broker.js";

const load = new LoadHarness();
afterEach(() => load.cleanup());

/** Resolves once `stream` has the broker's response headers, or rejects if it closes first. */
function headersOf(stream: ClientHttp2Stream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once("response", () => resolve());
    stream.once("close", () => reject(new Error(`closed with RST_STREAM ${stream.rstCode}`)));
  });
}

describe("load: connections", () => {
  it("returns to its file-descriptor baseline after 500 connections open, call and close (some cut mid-stream)", async () => {
    const broker = await load.broker([]);
    const pid = broker.process.pid!;
    const keeper = load.client(AdminService, broker.address);
    const produce = load.client(ProduceService, broker.address);
    await keeper.createTopic({ name: "churn", partitions: 2 });
    for (const partition of [0, 1]) {
      await produce.produce({ topic: "churn", partition, records: [{ value: bytes("a") }, { value: bytes("b") }] });
    }
    const baseline = await openFds(pid);
    const rssBefore = (await memoryOf(pid)).rssBytes;

    // 400 gRPC connections through the TypeScript client, 25 at a time, each doing one call
    // (cluster metadata, a Fetch, or a Subscribe cancelled after its first records).
    const waves = 16;
    const perWave = 25;
    let peakFds = 0;
    for (let wave = 0; wave < waves; wave++) {
      const clients = Array.from({ length: perWave }, () => ({
        admin: createClient(AdminService, broker.address, ownConnection),
        fetch: createClient(FetchService, broker.address, ownConnection),
      }));
      await Promise.all(
        clients.map(async ({ admin, fetch }, i) => {
          if (i % 3 === 0) {
            expect((await admin.describeCluster({})).brokers.length).toBe(1);
          } else if (i % 3 === 1) {
            expect((await fetch.fetch({ topic: "churn", partition: i % 2, offset: 0n })).records.length).toBeGreaterThan(0);
          } else {
            const stream = fetch.subscribe({ topic: "churn", startPosition: { case: "earliest", value: true } });
            for await (const message of stream) if (message.event.case === "records") break; // break cancels the call
          }
        }),
      );
      peakFds = Math.max(peakFds, await openFds(pid));
      for (const { admin, fetch } of clients) {
        admin.close();
        fetch.close();
      }
    }

    // 50 connections cut without a goodbye while a Subscribe is open on each.
    for (let i = 0; i < 50; i++) {
      const connection = await StalledConnection.open(broker.address);
      await connection.subscribe({ topic: "churn", startPosition: { case: "earliest", value: true } });
      connection.cut();
    }
    // 50 TCP connections that never speak HTTP/2.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => new Promise<void>((resolve, reject) => {
        const socket = tcpConnect(Number(broker.address.slice(broker.address.lastIndexOf(":") + 1)), "127.0.0.1", () => {
          if (i % 2 === 0) socket.destroy();
          else socket.end("GET / HTTP/1.1\r\n\r\n");
        });
        socket.resume(); // read (and drop) the broker's SETTINGS and GOAWAY, so its close is seen
        socket.on("error", reject);
        socket.on("close", () => resolve());
      })),
    );

    await vi.waitFor(async () => expect(await openFds(pid)).toBeLessThanOrEqual(baseline + 2), { timeout: 20_000, interval: 100 });
    const after = await openFds(pid);
    expect((await keeper.describeCluster({})).brokers.length).toBe(1);
    const fresh = load.client(AdminService, broker.address);
    expect((await fresh.describeCluster({})).brokers.length).toBe(1);
    const { rssBytes } = await memoryOf(pid);
    console.info(
      `load: ${waves * perWave} gRPC connections + 50 cut mid-stream + 50 bare TCP opened and closed; broker fds ` +
        `${baseline} before, ${peakFds} at the busiest wave, ${after} after; RSS ${mib(rssBefore)} -> ${mib(rssBytes)}`,
    );
    expect(peakFds).toBeGreaterThanOrEqual(baseline + perWave); // the connections were really open at once
  }, 80_000);

  it("refuses a connection beyond maxConnections at once, logs it, and accepts again when one closes", async () => {
    const broker = await load.broker(["--max-connections", "8"]);
    const logs = broker.logs;
    const keeper = load.client(AdminService, broker.address);
    await keeper.describeCluster({});
    const held = await Promise.all(Array.from({ length: 7 }, () => StalledConnection.open(broker.address)));
    load.defer(() => Promise.all(held.map((c) => c.close())));

    // The 9th: closed by the broker before its HTTP/2 SETTINGS, for raw HTTP/2 and for grpc-js.
    expect(await StalledConnection.tryOpen(broker.address)).toBe("refused");
    const extra = createClient(AdminService, broker.address, ownConnection);
    load.defer(async () => extra.close());
    const started = performance.now();
    const err = await extra.describeCluster({}, { deadline: 10_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const refusedInMs = performance.now() - started;
    expect(err).toMatchObject({ code: status.UNAVAILABLE });
    expect(refusedInMs).toBeLessThan(5_000); // refused, not left to hang until the deadline
    await vi.waitFor(() =>
      expect(logs.some((e) => e.msg === "connection refused: maxConnections reached" && e.maxConnections === 8)).toBe(true),
    );

    // The ones held still work, and a slot freed is a slot to take.
    expect((await keeper.describeCluster({})).brokers.length).toBe(1);
    await held.pop()!.close();
    const again = await vi.waitFor(async () => {
      const connection = await StalledConnection.tryOpen(broker.address);
      if (connection === "refused") throw new Error("still refused");
      return connection;
    });
    await again.close();
    console.info(`load: connection 9 of maxConnections 8 refused in ${Math.round(refusedInMs)} ms (UNAVAILABLE), accepted once one closed`);
  }, 60_000);

  it("advertises maxStreamsPerConnection as SETTINGS_MAX_CONCURRENT_STREAMS: a client queues the next stream, one that ignores it is refused", async () => {
    const broker = await load.broker(["--max-streams-per-connection", "4"]);
    const admin = load.client(AdminService, broker.address);
    await admin.createTopic({ name: "tail", partitions: 1 });
    const subscribe = { topic: "tail", startPosition: { case: "latest" as const, value: true } };

    const connection = await StalledConnection.open(broker.address);
    load.defer(() => connection.close());
    expect(connection.session.remoteSettings.maxConcurrentStreams).toBe(4);
    const open = await Promise.all(Array.from({ length: 4 }, () => connection.subscribe(subscribe)));
    const fifth = connection.request(subscribe);
    let fifthAnswered = false;
    const fifthHeaders = headersOf(fifth).then(() => (fifthAnswered = true));
    // A PING round trip: the broker has seen everything the client sent before it.
    await new Promise<void>((resolve, reject) => connection.session.ping((err) => (err ? reject(err) : resolve())));
    expect((await admin.describeCluster({})).brokers.length).toBe(1);
    expect(fifthAnswered).toBe(false);
    open[0].close(http2Constants.NGHTTP2_CANCEL);
    await fifthHeaders; // went out as soon as a slot was free

    // grpc-js does the same: clients of one address share a connection, and a call beyond
    // the limit waits on the client until a stream ends.
    const sharedFetch = createClient(FetchService, broker.address);
    const sharedAdmin = createClient(AdminService, broker.address);
    load.defer(async () => [sharedFetch, sharedAdmin].forEach((c) => c.close()));
    const grpcStreams = Array.from({ length: 4 }, () => sharedFetch.subscribe(subscribe));
    await Promise.all(grpcStreams.map((s) => new Promise((resolve) => s.call.once("metadata", resolve))));
    let queuedAnswered = false;
    const queued = sharedAdmin.describeCluster({}).then(() => (queuedAnswered = true));
    expect((await admin.describeCluster({})).brokers.length).toBe(1); // another connection is served meanwhile
    expect(queuedAnswered).toBe(false);
    grpcStreams[0].cancel();
    await queued;
    for (const s of grpcStreams) s.cancel();

    // A client that sends before it has the broker's SETTINGS (allowed by HTTP/2) gets
    // RST_STREAM REFUSED_STREAM for the streams beyond the limit, which clients retry.
    const eager = http2Connect(`http://${broker.address}`);
    eager.on("error", () => undefined);
    load.defer(async () => eager.destroy());
    const eagerStreams = Array.from({ length: 6 }, () => {
      const stream = eager.request({
        ":method": "POST",
        ":path": "/tributary.v1.FetchService/Subscribe",
        "content-type": "application/grpc",
        te: "trailers",
      });
      stream.on("error", () => undefined);
      stream.end(subscribeFrame(subscribe));
      return stream;
    });
    const outcomes = await Promise.all(eagerStreams.map((stream) => headersOf(stream).then(() => "open", () => stream.rstCode)));
    console.info(`load: maxStreamsPerConnection 4: the 5th stream (raw HTTP/2, and a grpc-js call) waited for a free slot; an eager client's 6 streams: ${outcomes.join(", ")}`);
    expect(outcomes.filter((o) => o === "open").length).toBeLessThanOrEqual(4);
    expect(outcomes.filter((o) => o === http2Constants.NGHTTP2_REFUSED_STREAM).length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
