// The ceiling for the quick benchmark: a bare grpc-js server on the same
// method paths that only acknowledges Produce with a fixed answer and streams
// pre-encoded SubscribeResponse messages. Same message shapes, same HTTP/2
// window tuning as the broker; no storage. Prints its port on stdout.
// Usage: node --import tsx scripts/bare-server.ts VALUE_BYTES RECORDS_PER_MESSAGE
import { Server, ServerCredentials, type ServerWritableStream, type sendUnaryData } from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ProduceResponseSchema } from "../gen/ts/tributary/v1/produce_pb.js";
import { SubscribeRequestSchema, SubscribeResponseSchema } from "../gen/ts/tributary/v1/fetch_pb.js";

const valueBytes = Number(process.argv[2] ?? 100);
const perMessage = Number(process.argv[3] ?? 1000);
const window = 8 * 1024 * 1024;

const ack = Buffer.from(
  toBinary(ProduceResponseSchema, create(ProduceResponseSchema, { results: [{ partition: 0, baseOffset: 0n, recordCount: 1 }] })),
);
const streamed = Buffer.from(
  toBinary(
    SubscribeResponseSchema,
    create(SubscribeResponseSchema, {
      event: {
        case: "records",
        value: {
          topic: "bench",
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
    // The wanted record count travels in start_position.offset.
    subscribe: (call: ServerWritableStream<{ startPosition: { case?: string; value?: unknown } }, Buffer>) => {
      const total = Number(call.request.startPosition.value ?? 0n);
      let sent = 0;
      const pump = () => {
        while (sent < total && !call.cancelled) {
          sent += perMessage;
          if (!call.write(streamed)) return void call.once("drain", pump);
        }
        call.end();
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
