// The ceiling: a bare grpc-js server on the broker's method paths that only
// acknowledges Produce and each request of a ProduceStream with a fixed answer (no
// decoding, no storage; the stream's answers carry their request_index) and streams
// pre-encoded SubscribeResponse messages. Same message shapes and the same
// HTTP/2 window tuning as the broker. Logs {"msg":"broker listening","address"}.
// Subscribe: the value size comes from the topic name ("v100", "v1024"), the
// number of records wanted from start_position.offset (0 = stream forever). Each
// streamed message holds as many records as fit in MESSAGE_BYTES, the broker's
// default fetchMaxBytes unless given: the broker fills its Subscribe messages up to
// that size, and a ceiling sending smaller messages pays the per-message cost more
// often than the broker does (with 1000-record messages the broker beat it: 1.19x).
// Usage: node --import tsx scripts/bench/bare-server.ts [MESSAGE_BYTES]
import { Server, ServerCredentials, type ServerDuplexStream, type ServerWritableStream, type sendUnaryData } from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ProduceResponseSchema } from "../../gen/ts/tributary/v1/produce_pb.js";
import { SubscribeRequestSchema, SubscribeResponseSchema, type SubscribeRequest } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ConsumerRecordSchema } from "../../gen/ts/tributary/v1/record_pb.js";
import { defaultConfig } from "../../services/config.js";
import { WireWriter } from "../../services/wire/index.js";

const messageBytes = Number(process.argv[2] ?? defaultConfig.fetchMaxBytes);
const window = 8 * 1024 * 1024;

const ack = Buffer.from(
  toBinary(ProduceResponseSchema, create(ProduceResponseSchema, { results: [{ partition: 0, baseOffset: 0n, recordCount: 1 }] })),
);
const encoded = new Map<number, { message: Buffer; records: number }>();
function streamed(valueBytes: number): { message: Buffer; records: number } {
  let entry = encoded.get(valueBytes);
  if (entry === undefined) {
    const one = toBinary(ConsumerRecordSchema, create(ConsumerRecordSchema, { offset: 1n << 40n, timestampMs: BigInt(Date.now()), value: new Uint8Array(valueBytes) }));
    const perMessage = Math.max(1, Math.floor(messageBytes / (one.length + 4))); // + tag and length
    const message = Buffer.from(
      toBinary(
        SubscribeResponseSchema,
        create(SubscribeResponseSchema, {
          event: {
            case: "records",
            value: {
              topic: `v${valueBytes}`,
              partition: 0,
              highWatermark: 1n << 40n,
              records: Array.from({ length: perMessage }, (_, i) => ({
                offset: BigInt(i),
                timestampMs: BigInt(Date.now()),
                value: new Uint8Array(valueBytes),
              })),
            },
          },
        }),
      ),
    );
    entry = { message, records: perMessage };
    encoded.set(valueBytes, entry);
  }
  return entry;
}

const raw = (b: unknown) => b as Buffer;
const server = new Server({ "grpc.max_receive_message_length": 64 << 20 });
const internals = server as unknown as { commonServerOptions: { settings?: object } };
internals.commonServerOptions.settings = { ...internals.commonServerOptions.settings, initialWindowSize: window };
server.addService(
  {
    produce: {
      path: "/tributary.v1.ProduceService/Produce",
      requestStream: false,
      responseStream: false,
      requestDeserialize: raw,
      requestSerialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    },
    produceStream: {
      path: "/tributary.v1.ProduceService/ProduceStream",
      requestStream: true,
      responseStream: true,
      requestDeserialize: raw,
      requestSerialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    },
    subscribe: {
      path: "/tributary.v1.FetchService/Subscribe",
      requestStream: false,
      responseStream: true,
      requestDeserialize: (b: Buffer) => fromBinary(SubscribeRequestSchema, b),
      requestSerialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    },
  },
  {
    produce: (_call: unknown, callback: sendUnaryData<Buffer>) => callback(null, ack),
    produceStream: (call: ServerDuplexStream<Buffer, Buffer>) => {
      let index = 0;
      call.on("data", () => call.write(Buffer.concat([new WireWriter(16).varintField(1, index++).lengthPrefix(2, ack.length).finish(), ack])));
      call.on("end", () => call.end());
    },
    subscribe: (call: ServerWritableStream<SubscribeRequest, Buffer>) => {
      const valueBytes = Number(/^v(\d+)$/.exec(call.request.topic)?.[1] ?? 100);
      const { message, records } = streamed(valueBytes);
      const start = call.request.startPosition;
      const total = start.case === "offset" && start.value > 0n ? Number(start.value) : Infinity;
      let sent = 0;
      const pump = () => {
        while (sent < total && !call.cancelled) {
          sent += records;
          if (!call.write(message)) return void call.once("drain", pump);
        }
        if (!call.cancelled) call.end();
      };
      pump();
    },
  },
);
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  const http2 = (server as unknown as { http2Servers: Map<import("node:http2").Http2Server, unknown> }).http2Servers;
  for (const s of http2.keys()) s.on("session", (session) => session.setLocalWindowSize(window));
  console.log(JSON.stringify({ msg: "broker listening", address: `127.0.0.1:${port}` }));
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
