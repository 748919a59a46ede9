// Peers measured in the same run: NATS JetStream (file storage, the `nats`
// client, async publish with bounded in-flight acks, an ordered push consumer)
// and Redis Streams (AOF everysec, ioredis pipelined XADD, XREADGROUP).
import { execFileSync } from "node:child_process";
import { connect, consumerOpts, StorageType, type NatsConnection, type JetStreamClient } from "nats";
import { Redis } from "ioredis";
import { freePort, startBinary, tempDir, removeDir, sleep, closedLoop, type Proc } from "./util.js";
import { paced, stamp, readStamp } from "./pace.js";

export interface Peer {
  readonly name: string;
  readonly label: string;
  /** The durability setting its figures were measured with. */
  readonly durability: string;
  /** The same, in a few words for column headers. */
  readonly short: string;
  readonly pid: number;
  /** Publishing one record at a time through the client's own pipelining; records/s. */
  publish(seconds: number, valueBytes: number): Promise<number>;
  prepareBacklog(name: string, count: number, valueBytes: number): Promise<void>;
  /** Reads `count` records of a prepared backlog; records/s. */
  drain(name: string, count: number): Promise<number>;
  /** Where its latency client connects (latency-worker.ts, in a process of its own). */
  readonly port: number;
  close(): Promise<void>;
}

/** A peer's end-to-end latency client, on its own connections (the latency phase runs it in
 * a process of its own: latency-worker.ts). */
export interface LatencyClient {
  /** End-to-end latencies in ms at a fixed rate. */
  latency(rate: number, seconds: number, valueBytes: number): Promise<number[]>;
  close(): Promise<void>;
}

export function which(bin: string): string | undefined {
  for (const dir of ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin", ...(process.env.PATH ?? "").split(":")]) {
    try {
      execFileSync("test", ["-x", `${dir}/${bin}`]);
      return `${dir}/${bin}`;
    } catch {
      /* not here */
    }
  }
  return undefined;
}
function version(bin: string, args: string[]): string {
  try {
    return execFileSync(bin, args, { encoding: "utf8" }).trim().split("\n")[0];
  } catch {
    return "?";
  }
}

export const install = "sudo apt-get install -y --no-install-recommends nats-server redis-server";

// ---------------- NATS JetStream ----------------

export async function startNats(publishWindow: number): Promise<Peer> {
  const bin = which("nats-server");
  if (!bin) throw new Error(`nats-server is not installed (${install})`);
  const dir = await tempDir("nats");
  const port = await freePort();
  const proc: Proc = await startBinary(bin, ["-js", "-sd", dir, "-a", "127.0.0.1", "-p", String(port)], port);
  const nc: NatsConnection = await connect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: 0 });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: "BENCH", subjects: ["bench.>"], storage: StorageType.File });
  const js: JetStreamClient = nc.jetstream();
  let seq = 0;

  const v = version(bin, ["--version"]);
  return {
    name: "nats",
    label: `NATS JetStream ${v.replace(/^nats-server:\s*/, "")}`,
    durability: "file storage; 2.9.10 fsyncs every 60 s (hard-coded), acks after write to the OS",
    short: "file, fsync/60 s",
    pid: proc.pid,
    port,
    async publish(seconds, valueBytes) {
      const value = new Uint8Array(valueBytes).fill(97);
      const subject = `bench.pub.${++seq}`;
      return closedLoop(seconds, publishWindow, async () => {
        await js.publish(subject, value);
        return 1;
      });
    },
    async prepareBacklog(name, count, valueBytes) {
      const value = new Uint8Array(valueBytes).fill(97);
      let sent = 0;
      await Promise.all(
        Array.from({ length: 1000 }, async () => {
          while (sent < count) {
            sent++;
            await js.publish(`bench.drain.${name}`, value);
          }
        }),
      );
    },
    async drain(name, count) {
      const start = performance.now();
      const { sub, done } = await readN(js, `bench.drain.${name}`, count);
      const n = await done;
      sub.unsubscribe();
      return n / ((performance.now() - start) / 1000);
    },
    async close() {
      await nc.close();
      await proc.stop();
      await removeDir(dir);
    },
  };
}

function readN(js: JetStreamClient, subject: string, count: number, onMessage?: (data: Uint8Array) => void, from: "all" | "new" = "all") {
  const opts = consumerOpts();
  opts.orderedConsumer();
  if (from === "all") opts.deliverAll();
  else opts.deliverNew();
  return js.subscribe(subject, opts).then((sub) => {
    const done = (async () => {
      let n = 0;
      for await (const m of sub) {
        onMessage?.(m.data);
        if (++n >= count) break;
      }
      return n;
    })();
    return { sub, done };
  });
}

/** NATS's latency client: individual async publishes, an ordered push consumer from new. */
export async function natsLatency(port: number): Promise<LatencyClient> {
  const nc = await connect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: 0 });
  const js = nc.jetstream();
  const prefix = `bench.lat.${process.pid}`;
  let seq = 0;
  return {
    async latency(rate, seconds, valueBytes) {
      const subject = `${prefix}.${++seq}`;
      const samples: number[] = [];
      const total = Math.floor(rate * seconds);
      const { sub, done } = await readN(js, subject, total, (data) => samples.push(performance.now() - readStamp(data)), "new");
      await sleep(100);
      const pending: Promise<unknown>[] = [];
      await paced(rate, seconds, (n) => {
        for (let i = 0; i < n; i++) {
          const ack = js.publish(subject, stamp(valueBytes));
          ack.catch(() => undefined); // counted below
          pending.push(ack);
        }
      });
      // On a saturated machine an ack can time out (NatsError TIMEOUT): those records are
      // missing from the samples and reported, instead of an unhandled rejection ending the run.
      const failed = (await Promise.allSettled(pending)).filter((r) => r.status === "rejected").length;
      if (failed > 0) process.stderr.write(`note: nats latency ${rate}/s: ${failed} of ${total} publishes failed (ack timeout)\n`);
      await Promise.race([done, sleep(5000)]);
      sub.unsubscribe();
      return samples;
    },
    close: () => nc.close(),
  };
}

// ---------------- Redis Streams ----------------

export async function startRedis(pipelineSize: number, pipelinesInFlight: number): Promise<Peer> {
  const bin = which("redis-server");
  if (!bin) throw new Error(`redis-server is not installed (${install})`);
  const dir = await tempDir("redis");
  const port = await freePort();
  const proc = await startBinary(
    bin,
    ["--port", String(port), "--bind", "127.0.0.1", "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--dir", dir],
    port,
  );
  const r = redisConnection(port);
  let seq = 0;
  const xadd = (key: string, values: Buffer[]) => xaddPipeline(r, key, values);

  const v = version(bin, ["--version"]);
  return {
    name: "redis",
    label: `Redis ${/v=(\S+)/.exec(v)?.[1] ?? ""} Streams`,
    durability: "appendonly yes, appendfsync everysec (fsync once a second)",
    short: "AOF, fsync/1 s",
    pid: proc.pid,
    port,
    async publish(seconds, valueBytes) {
      const value = Buffer.alloc(valueBytes, 97);
      const values = Array.from({ length: pipelineSize }, () => value);
      const key = `pub.${++seq}`;
      const rate = await closedLoop(seconds, pipelinesInFlight, async () => {
        await xadd(key, values);
        return pipelineSize;
      });
      await r.del(key);
      return rate;
    },
    async prepareBacklog(name, count, valueBytes) {
      const value = Buffer.alloc(valueBytes, 97);
      for (let sent = 0; sent < count; sent += pipelineSize) {
        await xadd(`drain.${name}`, Array.from({ length: Math.min(pipelineSize, count - sent) }, () => value));
      }
    },
    async drain(name, count) {
      const key = `drain.${name}`;
      const group = `g${++seq}`;
      await r.call("XGROUP", "CREATE", key, group, "0");
      const start = performance.now();
      let n = 0;
      while (n < count) {
        const answer = (await r.callBuffer("XREADGROUP", "GROUP", group, "c", "COUNT", "1000", "STREAMS", key, ">")) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
        if (!answer) break;
        for (const [, items] of answer) n += items.length;
      }
      const rate = n / ((performance.now() - start) / 1000);
      await r.call("XGROUP", "DESTROY", key, group);
      return rate;
    },
    async close() {
      r.disconnect();
      await proc.stop();
      await removeDir(dir);
    },
  };
}

const redisConnection = (port: number) =>
  new Redis({ host: "127.0.0.1", port, protocol: 2, maxRetriesPerRequest: 1, enableAutoPipelining: false });

async function xaddPipeline(r: Redis, key: string, values: Buffer[]) {
  const p = r.pipeline();
  for (const value of values) p.call("XADD", key, "*", "v", value);
  const results = await p.exec();
  for (const [err] of results ?? []) if (err) throw err;
}

/** Redis's latency client: each tick's records as one pipeline of XADDs, a reader on its
 * own connection blocking in XREAD. */
export function redisLatency(port: number): LatencyClient {
  const r = redisConnection(port);
  let seq = 0;
  return {
  async latency(rate, seconds, valueBytes) {
    const key = `lat.${process.pid}.${++seq}`;
    const reader = redisConnection(port);
    const samples: number[] = [];
    const total = Math.floor(rate * seconds);
    let stop = false;
    const reading = (async () => {
      let last = "$";
      while (!stop && samples.length < total) {
        const answer = (await reader.callBuffer("XREAD", "COUNT", "1000", "BLOCK", "200", "STREAMS", key, last)) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
        const now = performance.now();
        if (!Array.isArray(answer)) continue;
        for (const [, items] of answer) {
          if (!Array.isArray(items)) continue;
          for (const [id, fields] of items) {
            samples.push(now - readStamp(fields[1]));
            last = id.toString();
          }
        }
      }
    })();
    await sleep(100);
    const pending: Promise<unknown>[] = [];
    await paced(rate, seconds, (n) => {
      pending.push(xaddPipeline(r, key, Array.from({ length: n }, () => Buffer.from(stamp(valueBytes)))));
    });
    await Promise.all(pending);
    await Promise.race([reading, sleep(5000)]);
    stop = true;
    await reading;
    reader.disconnect();
    await r.del(key);
    return samples;
  },
    async close() {
      r.disconnect();
    },
  };
}
