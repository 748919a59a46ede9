// One system's latency client in a process of its own (the bench's latency phase). The
// phase forks one per system and sends it rounds over IPC; each round's samples come back
// the same way. Why a process each: measured from the bench process itself, every
// system's records waited out that process's GC pauses, and its heap held what the other
// systems' rounds had left (NATS's 20k/s rounds: ~300 MB), so its scavenges took 7-13 ms
// around the start of a round, where a client on its own takes under 1 ms; at 1k
// records/s one such pause is a quarter of the records above p99 in a 4 s round. An
// application's client process holds only its own client, and so does this one
// (docs/PERFORMANCE.md, "A client process per system").
// Usage (latency-client.ts, latencyWorker): fork with args SYSTEM TARGET [TOPIC], where
// TARGET is the broker's address and TOPIC its topic for "tributary", and the server's port
// for "nats" and "redis".
import { latencyClient } from "./latency-client.js";
import { natsLatency, redisLatency, type LatencyClient } from "./peers.js";

export interface RoundRequest {
  readonly id: number;
  readonly rate: number;
  readonly seconds: number;
  readonly valueBytes: number;
}
export type WorkerMessage = { readonly ready: true } | { readonly id: number; readonly samples: number[] } | { readonly id: number; readonly error: string };

const [system, target, topic] = process.argv.slice(2);
const note = (message: string) => process.stderr.write(`note: ${message}\n`);
const client: LatencyClient =
  system === "tributary" ? latencyClient(target!, topic!, note)
  : system === "nats" ? await natsLatency(Number(target))
  : system === "redis" ? redisLatency(Number(target))
  : (() => { throw new Error(`latency-worker: unknown system ${system}`); })();

const send = (message: WorkerMessage) => process.send!(message);
process.on("message", (r: RoundRequest) => {
  client.latency(r.rate, r.seconds, r.valueBytes).then(
    (samples) => send({ id: r.id, samples }),
    (err: Error) => send({ id: r.id, error: err.stack ?? String(err) }),
  );
});
// The phase disconnects when it is done (or when the bench exits).
process.on("disconnect", () => void client.close().finally(() => process.exit(0)));
send({ ready: true });
