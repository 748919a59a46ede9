// One round of the end-to-end latency measurement against Tributary (the bench's latency
// phase and scripts/bench/latency-probe.ts): a Subscribe reader from "latest" and a paced
// writer on one connection, both using the TypeScript client's wire code, so that what is
// measured is the broker and our client, not protobuf-es's reflective codec:
// - requests go over ProduceStream, as the Producer sends them (a unary call per request
//   cost a new HTTP/2 stream each, whose objects outlived the client's scavenges: issue
//   15 §5, docs/PERFORMANCE.md "The low-rate latency tail"), encoded by the Producer's
//   RecordsEncoder with a producer id and growing sequence (idempotent, as it sends);
// - Subscribe messages are decoded by the Consumer's decoder (records-decoder.ts).
// Each record carries its send time (pace.ts), read back on arrival in the same process.
import { randomBytes } from "node:crypto";
import type { ServiceError } from "@grpc/grpc-js";
import { RecordsEncoder } from "../../clients/ts/produce-encoder.js";
import { decodeSubscribeResponse } from "../../clients/ts/records-decoder.js";
import { paced, readStamp, stamp } from "./pace.js";
import { forkHarness, rawClient, sleep, subscribeRequest, type RawClient } from "./util.js";
import type { RoundRequest, WorkerMessage } from "./latency-worker.js";
import type { LatencyClient } from "./peers.js";

export interface LatencyRound {
  /** Per record: receive time minus send time, ms. */
  readonly samples: number[];
  /** Produce requests sent (one per pacing tick with records due). */
  readonly requests: number;
  /** Subscribe messages that carried records. */
  readonly messages: number;
}

export interface LatencyOptions {
  /** Each record as it arrives: its offset, and send and receive times (performance.now()). */
  readonly onRecord?: (offset: bigint, sentMs: number, receivedMs: number) => void;
  /** Called between the reader's start and the first send (the probe starts counting there). */
  readonly beforeSending?: () => Promise<void>;
  /** Where a failure of either stream is reported. */
  readonly note?: (message: string) => void;
  /** The connection to use, kept across rounds as an application keeps its client (and
   * as the peers' rounds keep theirs); a new one, closed after the round, otherwise. */
  readonly client?: RawClient;
}

export async function latencyRound(address: string, topic: string, rate: number, seconds: number, options: LatencyOptions = {}): Promise<LatencyRound> {
  const client = options.client ?? rawClient(address);
  const samples: number[] = [];
  const total = Math.floor(rate * seconds);
  let messages = 0;
  const call = client.subscribe(subscribeRequest(topic, [0], "latest"));
  let delivered!: () => void;
  const all = new Promise<void>((resolve) => (delivered = resolve));
  call.on("data", (bytes: Buffer) => {
    const now = performance.now();
    const { event } = decodeSubscribeResponse(bytes);
    if (event.case !== "records") return;
    messages++;
    for (const record of event.value.records) {
      const sent = readStamp(record.value);
      samples.push(now - sent);
      options.onRecord?.(record.offset, sent, now);
    }
    if (samples.length >= total) delivered();
  });
  call.on("error", (err: ServiceError) => (err.code === 1 ? undefined : options.note?.(`latency subscriber: ${err.message}`)));
  await sleep(300); // the reader's "latest" is fixed before the first record
  await options.beforeSending?.();

  const stream = client.produceStream();
  const producerId = (randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn) | 1n;
  let sequence = 0n;
  let requests = 0;
  let answered = 0;
  let acked!: () => void;
  const allAcked = new Promise<void>((resolve) => (acked = resolve));
  let sending = true;
  stream.on("data", () => ++answered === requests && !sending && acked());
  stream.on("error", (err: ServiceError) => (err.code === 1 ? undefined : options.note?.(`latency producer: ${err.message}`)));
  await paced(rate, seconds, (n) => {
    const records = new RecordsEncoder(256);
    for (let i = 0; i < n; i++) records.add({ key: undefined, value: stamp(100), headers: [], timestampMs: 0 });
    requests++;
    stream.write(records.finish({ topic, partition: 0, acks: 0, producerId, sequence: sequence++ }));
  });
  sending = false;
  if (answered === requests) acked();
  await Promise.race([allAcked, sleep(5000)]);
  stream.end();
  await Promise.race([all, sleep(5000)]);
  call.cancel();
  if (options.client === undefined) client.close();
  if (samples.length < total) options.note?.(`latency ${rate}/s: tributary delivered ${samples.length} of ${total}`);
  return { samples, requests, messages };
}

/** Our rounds on `topic` as a LatencyClient, the shape of the peers' (the value size is
 * the round's own, 100 B). */
export function latencyClient(address: string, topic: string, note: (message: string) => void): LatencyClient {
  return {
    latency: async (rate, seconds) => (await latencyRound(address, topic, rate, seconds, { note })).samples,
    close: async () => undefined,
  };
}

/** A system's latency client in a process of its own: latency-worker.ts (it says why). */
export interface LatencyWorker {
  /** One round's samples (ms per record), measured in the worker's process. */
  round(rate: number, seconds: number, valueBytes: number): Promise<number[]>;
  stop(): Promise<void>;
}

/** Forks latency-worker.ts for one system; `args` are the worker's after SYSTEM (the
 * broker's address and topic for "tributary", the server's port for a peer). */
export async function latencyWorker(system: string, ...args: string[]): Promise<LatencyWorker> {
  const { child, exited } = forkHarness("latency-worker.ts", [system, ...args]);
  const waiting = new Map<number, { resolve: (samples: number[]) => void; reject: (err: Error) => void }>();
  let ready!: () => void;
  let failed!: (err: Error) => void;
  const started = new Promise<void>((resolve, reject) => ((ready = resolve), (failed = reject)));
  child.on("message", (m: WorkerMessage) => {
    if ("ready" in m) return ready();
    const w = waiting.get(m.id)!;
    waiting.delete(m.id);
    if ("error" in m) w.reject(new Error(`latency worker ${system}: ${m.error}`));
    else w.resolve(m.samples);
  });
  void exited.then((code) => {
    const err = new Error(`latency worker ${system} exited ${code}`);
    failed(err);
    for (const w of waiting.values()) w.reject(err);
  });
  await started;
  let next = 0;
  return {
    round: (rate, seconds, valueBytes) =>
      new Promise((resolve, reject) => {
        const id = ++next;
        waiting.set(id, { resolve, reject });
        child.send({ id, rate, seconds, valueBytes } satisfies RoundRequest);
      }),
    stop: async () => {
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}
