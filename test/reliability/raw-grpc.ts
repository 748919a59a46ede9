import { credentials, makeGenericClientConstructor, Metadata, status, type ClientDuplexStream, type ClientReadableStream, type ServiceError } from "@grpc/grpc-js";
import { fromBinary, type DescMethod } from "@bufbuild/protobuf";
import { ProduceStreamResponseSchema } from "../../gen/ts/tributary/v1/produce_pb.js";

/** How a raw call ended: the answer's status code and reason (OK for a normal answer or a stream cut by us). */
export interface RawOutcome {
  code: status;
  reason: string;
  /** A stream delivered at least one message before it was cancelled. */
  events: number;
  /** The answer's bytes (a unary call's message, a stream's first message). */
  response?: Buffer;
}

const identity = (b: Buffer) => b;

/**
 * One channel for raw calls to any method path with arbitrary request bytes:
 * unary, server-streaming cancelled after its first message, its error, or
 * `streamMs` without either, or pipelined (ProduceStream: one request on a new
 * stream, whose answer's error is the request's outcome). Every call has a
 * deadline, so a long poll cannot hold the fuzzing up.
 */
export class RawChannel {
  private readonly client: Record<string, (...args: unknown[]) => unknown> & { close(): void };

  /** With `token`, every call carries `authorization: Bearer <token>`. */
  constructor(address: string, paths: Array<{ path: string; streaming: boolean; bidi?: boolean }>, options: { token?: string } = {}) {
    const definition: Record<string, unknown> = {};
    paths.forEach(({ path, streaming, bidi }, i) => {
      definition[`m${i}`] = {
        path,
        requestStream: bidi === true,
        responseStream: streaming || bidi === true,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      };
    });
    this.paths = paths.map((p) => p.path);
    const Client = makeGenericClientConstructor(definition as never, "Raw");
    this.client = new Client(address, credentials.createInsecure(), {
      "grpc.max_send_message_length": -1,
      "grpc.max_receive_message_length": -1,
    }) as never;
    this.token = options.token;
  }

  private readonly token: string | undefined;

  private metadata(): Metadata {
    const metadata = new Metadata();
    if (this.token !== undefined) metadata.set("authorization", `Bearer ${this.token}`);
    return metadata;
  }

  private readonly paths: string[];

  private method(path: string): string {
    const i = this.paths.indexOf(path);
    if (i < 0) throw new Error(`unknown path ${path}`);
    return `m${i}`;
  }

  unary(path: string, request: Buffer, deadlineMs = 3000): Promise<RawOutcome> {
    return new Promise((resolve) => {
      this.client[this.method(path)](request, this.metadata(), { deadline: Date.now() + deadlineMs }, (err: ServiceError | null, response?: Buffer) => {
        resolve(err ? outcome(err, 0) : { code: status.OK, reason: "", events: 0, response });
      });
    });
  }

  stream(path: string, request: Buffer, streamMs = 300): Promise<RawOutcome> {
    return new Promise((resolve) => {
      const call = this.client[this.method(path)](request, this.metadata(), { deadline: Date.now() + 5000 }) as ClientReadableStream<Buffer>;
      let events = 0;
      let done = false;
      const finish = (result: RawOutcome) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(result);
        call.cancel();
      };
      const timer = setTimeout(() => finish({ code: status.OK, reason: "", events }), streamMs);
      call.on("data", (message: Buffer) => {
        events++;
        finish({ code: status.OK, reason: "", events, response: message });
      });
      call.on("error", (err: ServiceError) => {
        if (!done) finish(outcome(err, events));
      });
      call.on("end", () => finish({ code: status.OK, reason: "", events }));
    });
  }

  /** One request on a new pipelined stream: the outcome is its answer's (OK, or its error's
   * code and reason), or the stream's status when it ended without an answer. */
  pipelined(path: string, request: Buffer, deadlineMs = 3000): Promise<RawOutcome> {
    return new Promise((resolve) => {
      const call = this.client[this.method(path)](this.metadata(), { deadline: Date.now() + deadlineMs }) as ClientDuplexStream<Buffer, Buffer>;
      let done = false;
      const finish = (result: RawOutcome) => {
        if (done) return;
        done = true;
        resolve(result);
        call.cancel();
      };
      call.on("data", (message: Buffer) => {
        const answer = fromBinary(ProduceStreamResponseSchema, message);
        if (answer.result.case === "error") finish({ code: answer.result.value.code, reason: answer.result.value.reason, events: 1 });
        else finish({ code: status.OK, reason: "", events: 1, response: message });
      });
      call.on("error", (err: ServiceError) => finish(outcome(err, 0)));
      call.on("end", () => finish({ code: status.UNKNOWN, reason: "no answer", events: 0 }));
      call.write(request);
      call.end();
    });
  }

  /** The call for `method`'s kind. */
  send(method: DescMethod, path: string, request: Buffer): Promise<RawOutcome> {
    if (method.methodKind === "bidi_streaming") return this.pipelined(path, request);
    return method.methodKind === "server_streaming" ? this.stream(path, request) : this.unary(path, request);
  }

  close(): void {
    this.client.close();
  }
}

/** RawChannel's path entry for a method. */
export function rawPath(method: DescMethod, path: string): { path: string; streaming: boolean; bidi: boolean } {
  return { path, streaming: method.methodKind === "server_streaming", bidi: method.methodKind === "bidi_streaming" };
}

function outcome(err: ServiceError, events: number): RawOutcome {
  const reason = err.metadata?.get("tributary-reason")[0];
  return { code: err.code, reason: typeof reason === "string" ? reason : "", events };
}
