// A quick side-by-side throughput check (the real harness is `npm run bench`,
// a later issue): produce and subscribe against the broker and against a bare
// grpc-js server with the same messages, in the same run.
// Usage: npm run bench:quick [-- --seconds 2]
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { credentials, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient, defaultChannelOptions } from "../clients/ts/index.js";
import { AdminService } from "../gen/ts/tributary/v1/admin_pb.js";
import { ProduceRequestSchema } from "../gen/ts/tributary/v1/produce_pb.js";
import { SubscribeRequestSchema } from "../gen/ts/tributary/v1/fetch_pb.js";

const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1] || 2);
const inFlight = 4;
const root = fileURLToPath(new URL("..", import.meta.url));

async function startProcess(args: string[]) {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], cwd: root });
  const lines = createInterface({ input: child.stdout! });
  const address = await new Promise<string>((resolve, reject) => {
    lines.on("line", (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg === "broker listening" && entry.address) resolve(entry.address);
      } catch {
        /* not JSON */
      }
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}`)));
  });
  return { address, stop: () => new Promise<void>((r) => (child.once("exit", () => r()), child.kill("SIGTERM"))) };
}

const raw = (b: unknown) => b as Buffer;
function rawClient(address: string) {
  const Client = makeGenericClientConstructor(
    {
      produce: { path: "/tributary.v1.ProduceService/Produce", requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
      subscribe: { path: "/tributary.v1.FetchService/Subscribe", requestStream: false, responseStream: true, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
    },
    "Bench",
  );
  return new Client(address, credentials.createInsecure(), defaultChannelOptions) as unknown as {
    produce(req: Buffer, cb: (err: ServiceError | null) => void): void;
    subscribe(req: Buffer): NodeJS.EventEmitter & { cancel(): void };
    close(): void;
  };
}

function produceRequest(batch: number, valueBytes: number, partition: number): Buffer {
  const value = new Uint8Array(valueBytes).fill(97);
  return Buffer.from(
    toBinary(ProduceRequestSchema, create(ProduceRequestSchema, { topic: "bench", partition, records: Array.from({ length: batch }, () => ({ value })) })),
  );
}

async function produceRate(address: string, batch: number, valueBytes: number): Promise<number> {
  const client = rawClient(address);
  const requests = [0, 1, 2, 3].map((p) => produceRequest(batch, valueBytes, p));
  let records = 0;
  const end = Date.now() + seconds * 1000;
  const start = Date.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, lane) => {
      for (let n = lane; Date.now() < end; n++) {
        await new Promise<void>((resolve, reject) => client.produce(requests[n % 4], (err) => (err ? reject(err) : resolve())));
        records += batch;
      }
    }),
  );
  client.close();
  return records / ((Date.now() - start) / 1000);
}

/** Counts records in a SubscribeResponse at the wire level (PartitionRecords.records = 1). */
function countRecords(message: Buffer): number {
  let pos = 0;
  const varint = () => {
    let result = 0;
    for (let mul = 1; ; mul *= 128) {
      const b = message[pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
    }
  };
  const tag = varint();
  if (tag !== 0x0a) return 0;
  const end = varint() + pos;
  let count = 0;
  while (pos < end) {
    const t = varint();
    if ((t & 7) === 2) {
      const len = varint();
      pos += len;
      if (t >>> 3 === 1) count++;
    } else varint();
  }
  return count;
}

async function subscribeRate(address: string, total: number, request: Buffer): Promise<number> {
  const client = rawClient(address);
  const start = Date.now();
  await new Promise<void>((resolve, reject) => {
    let seen = 0;
    const call = client.subscribe(request);
    call.on("data", (m: Buffer) => {
      seen += countRecords(m);
      if (seen >= total) {
        call.cancel();
        resolve();
      }
    });
    call.on("error", (err: ServiceError) => (err.code === 1 ? undefined : reject(err)));
  });
  client.close();
  return total / ((Date.now() - start) / 1000);
}

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`);

async function main() {
  const rows: string[] = [];
  for (const valueBytes of [100, 1024]) {
    const dir = await mkdtemp(join(tmpdir(), "tributary-bench-"));
    const broker = await startProcess(["services/tributary.mjs", "serve", "--listen", "127.0.0.1:0", "--http", "off", "--data-dir", dir]);
    const bare = await startProcess(["--import", "tsx", "scripts/bare-server.ts", String(valueBytes), "1000"]);
    const admin = createClient(AdminService, broker.address);
    await admin.createTopic({ name: "bench", partitions: 4 });
    for (const batch of [1, 100, 1000]) {
      const ours = await produceRate(broker.address, batch, valueBytes);
      const ceiling = await produceRate(bare.address, batch, valueBytes);
      rows.push(`produce  ${String(valueBytes).padStart(4)} B × ${String(batch).padStart(4)}: broker ${fmt(ours)} rec/s (${((ours * valueBytes) / 1e6).toFixed(0)} MB/s), bare grpc-js ${fmt(ceiling)} rec/s, ratio ${(ours / ceiling).toFixed(2)}`);
      console.log(rows.at(-1));
    }
    // Subscribe: drain partition 0's backlog (written above) from the start.
    const described = await admin.describeTopic({ name: "bench" });
    const backlog = Number(described.topic!.partitions[0].logEndOffset);
    const total = Math.min(backlog, valueBytes === 100 ? 2_000_000 : 500_000);
    const ours = await subscribeRate(broker.address, total, Buffer.from(toBinary(SubscribeRequestSchema, create(SubscribeRequestSchema, { topic: "bench", partitions: [0], startPosition: { case: "earliest", value: true } }))));
    const ceiling = await subscribeRate(bare.address, total, Buffer.from(toBinary(SubscribeRequestSchema, create(SubscribeRequestSchema, { topic: "bench", startPosition: { case: "offset", value: BigInt(total) } }))));
    rows.push(`subscribe ${String(valueBytes).padStart(4)} B (${total} records backlog): broker ${fmt(ours)} rec/s (${((ours * valueBytes) / 1e6).toFixed(0)} MB/s), bare grpc-js ${fmt(ceiling)} rec/s, ratio ${(ours / ceiling).toFixed(2)}`);
    console.log(rows.at(-1));
    admin.close();
    await broker.stop();
    await bare.stop();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`\n${rows.join("\n")}`);
}

await main();
