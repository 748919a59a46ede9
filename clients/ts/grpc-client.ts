import {
  credentials as grpcCredentials,
  makeGenericClientConstructor,
  Metadata,
  type CallOptions,
  type Channel,
  type ChannelCredentials,
  type ChannelOptions,
  type Client as GrpcClient,
  type ClientDuplexStream,
  type ClientReadableStream,
  type MethodDefinition,
  type ServiceError,
} from "@grpc/grpc-js";
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";

/** Trailing-metadata key with the broker's stable error reason. */
export const reasonMetadataKey = "tributary-reason";

/** Trailing-metadata key naming the partition's leader ("host:port") with NOT_LEADER. */
export const leaderMetadataKey = "tributary-leader";

export interface CallSettings {
  /** Absolute deadline, or milliseconds from now. */
  readonly deadline?: Date | number;
  readonly metadata?: Metadata;
  readonly signal?: AbortSignal;
}

type MethodOf<M> = M extends { methodKind: "unary"; input: infer I extends DescMessage; output: infer O extends DescMessage }
  ? (request: MessageInitShape<I>, settings?: CallSettings) => Promise<MessageShape<O>>
  : M extends { methodKind: "server_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? (request: MessageInitShape<I>, settings?: CallSettings) => ServerStream<MessageShape<O>>
    : M extends { methodKind: "bidi_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
      ? (settings?: Omit<CallSettings, "signal">) => BidiStream<MessageInitShape<I> | Buffer, MessageShape<O>>
      : never;

/** A bidirectional stream: `write` requests (messages, or Buffers already encoded), read
 * the answers as they arrive (`onMessage`), `end` when done. `onStatus` runs once, with
 * the call's final status (an error, or null for OK). */
export interface BidiStream<I, O> {
  write(request: I): void;
  /** Half-closes: the server answers what it has, then ends the call. */
  end(): void;
  cancel(): void;
  onMessage(listener: (message: O) => void): void;
  onStatus(listener: (error: ServiceError | null) => void): void;
}

/** A promise-based client for one generated service. */
export type ServiceClient<T extends GenServiceMethods> = { [K in keyof T]: MethodOf<T[K]> } & {
  /** Closes the underlying channel. */
  close(): void;
  /** The underlying channel: its connectivity state tells when its connection ends. */
  getChannel(): Channel;
};

/** A server stream: async-iterable messages, cancellable. */
export interface ServerStream<T> extends AsyncIterable<T> {
  readonly call: ClientReadableStream<T>;
  cancel(): void;
}

export interface ClientOptions {
  /** Channel credentials: `credentials.createSsl(ca, key, cert)` for TLS and mutual TLS.
   * Default plaintext. */
  readonly credentials?: ChannelCredentials;
  /** TLS from PEM contents, when `credentials` is not given: `ca` verifies the broker (default
   * the system's roots), `cert` + `key` are a client certificate for mutual TLS, `serverName`
   * is the name the broker's certificate must carry when it is not the dialed host. */
  readonly tls?: TlsOptions;
  /** A bearer token, sent as `authorization: Bearer <token>` on every call (docs/security.md).
   * Use it over TLS: on a plaintext channel anyone on the path can read it. */
  readonly token?: string;
  readonly channelOptions?: ChannelOptions;
  /** Decoders that replace protobuf-es for a method's responses, by method name: the
   * Consumer decodes Subscribe's records at the wire level (records-decoder.ts). */
  readonly decoders?: Readonly<Record<string, (bytes: Buffer) => unknown>>;
}

export interface TlsOptions {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly serverName?: string;
}

/** Default channel options: large flow-control windows and message sizes for batches. */
export const defaultChannelOptions: ChannelOptions = {
  "grpc-node.flow_control_window": 8 * 1024 * 1024,
  "grpc.max_receive_message_length": 512 * 1024 * 1024,
  "grpc.max_send_message_length": 512 * 1024 * 1024,
};

/**
 * Creates a client for a protobuf-es service over grpc-js. Requests are
 * protobuf-es init shapes; answers are decoded messages. Errors are grpc-js
 * ServiceErrors: branch on `code` and on `errorReason(err)`.
 */
export function createClient<T extends GenServiceMethods>(
  service: GenService<T>,
  address: string,
  options: ClientOptions = {},
): ServiceClient<T> {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      // A Buffer is a request encoded already (the Producer writes its own, produce-encoder.ts).
      requestSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : Buffer.from(toBinary(method.input, value as never))),
      requestDeserialize: (bytes: Buffer) => fromBinary(method.input, bytes),
      responseSerialize: (value: unknown) => Buffer.from(toBinary(method.output, value as never)),
      responseDeserialize: options.decoders?.[method.localName] ?? ((bytes: Buffer) => fromBinary(method.output, bytes)),
    };
  }
  const Constructor = makeGenericClientConstructor(definition, service.typeName);
  const tls = options.tls;
  const grpc = new Constructor(address, options.credentials ?? tlsCredentials(tls) ?? grpcCredentials.createInsecure(), {
    ...defaultChannelOptions,
    ...(tls?.serverName ? { "grpc.ssl_target_name_override": tls.serverName, "grpc.default_authority": tls.serverName } : {}),
    ...options.channelOptions,
  }) as GrpcClient & Record<string, (...args: unknown[]) => unknown>;

  const token = options.token;
  const metadataOf = (settings: CallSettings): Metadata => {
    if (token === undefined) return settings.metadata ?? new Metadata();
    const metadata = settings.metadata?.clone() ?? new Metadata();
    if (metadata.get("authorization").length === 0) metadata.set("authorization", `Bearer ${token}`);
    return metadata;
  };
  const client: Record<string, unknown> = { close: () => grpc.close(), getChannel: () => grpc.getChannel() };
  for (const method of service.methods) {
    const invoke = grpc[method.localName].bind(grpc);
    if (method.methodKind === "unary") {
      client[method.localName] = (request: unknown, settings: CallSettings = {}) =>
        new Promise((resolve, reject) => {
          const { signal } = settings;
          const cancel = () => call.cancel();
          const call = invoke(
            Buffer.isBuffer(request) ? request : create(method.input, request as never),
            metadataOf(settings),
            callOptions(settings),
            (err: ServiceError | null, response: unknown) => {
              // A long-lived signal (a consumer's) serves many calls: each removes its listener.
              signal?.removeEventListener("abort", cancel);
              if (err) reject(err);
              else resolve(response);
            },
          ) as { cancel(): void };
          signal?.addEventListener("abort", cancel, { once: true });
        });
    } else if (method.methodKind === "server_streaming") {
      client[method.localName] = (request: unknown, settings: CallSettings = {}) => {
        const call = invoke(
          create(method.input, request as never),
          metadataOf(settings),
          callOptions(settings),
        ) as ClientReadableStream<unknown>;
        const { signal } = settings;
        const cancel = () => call.cancel();
        signal?.addEventListener("abort", cancel, { once: true });
        // Every call ends with one status, whatever the reader did: then the listener goes.
        call.once("status", () => signal?.removeEventListener("abort", cancel));
        // Listen from the start: a status that arrives before iteration begins must not be lost.
        const iterator = iterate(call);
        return { call, cancel: () => call.cancel(), [Symbol.asyncIterator]: () => iterator };
      };
    } else if (method.methodKind === "bidi_streaming") {
      client[method.localName] = (settings: CallSettings = {}): BidiStream<unknown, unknown> => {
        const call = invoke(metadataOf(settings), callOptions(settings)) as ClientDuplexStream<unknown, unknown>;
        let status: ((error: ServiceError | null) => void) | undefined;
        let error: ServiceError | null = null;
        let ended = false;
        // grpc-js emits a failed call's error before its status: the status event is the end.
        call.on("error", (err: ServiceError) => (error = err));
        call.on("status", () => {
          ended = true;
          status?.(error);
        });
        return {
          write: (request) => call.write(Buffer.isBuffer(request) ? request : create(method.input, request as never)),
          end: () => call.end(),
          cancel: () => call.cancel(),
          onMessage: (listener) => call.on("data", listener),
          onStatus: (listener) => {
            status = listener;
            if (ended) listener(error);
          },
        };
      };
    }
  }
  return client as ServiceClient<T>;
}

/**
 * Iterates a server stream until its status arrives. grpc-js ends the readable
 * side before it emits the error of a failed call, so Node's own stream
 * iterator can finish "cleanly" and lose the status; this one ends only on
 * the `status` event and throws a non-OK status. Reading pauses while more
 * than `highWater` messages wait, so a slow consumer applies backpressure.
 */
function iterate<T>(call: ClientReadableStream<T>, highWater = 16): AsyncIterator<T> {
  const queue: T[] = [];
  let error: unknown;
  let finished = false;
  let wake: (() => void) | undefined;
  call.on("data", (message: T) => {
    queue.push(message);
    if (queue.length >= highWater) call.pause();
    wake?.();
  });
  call.on("error", (err: unknown) => (error = err));
  call.on("status", () => {
    finished = true;
    wake?.();
  });
  return {
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        if (queue.length > 0) {
          const value = queue.shift()!;
          if (queue.length < highWater / 2 && call.isPaused()) call.resume();
          return { value, done: false };
        }
        if (finished) {
          if (error !== undefined) throw error;
          return { value: undefined, done: true };
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    },
    async return(): Promise<IteratorResult<T>> {
      call.cancel();
      return { value: undefined, done: true };
    },
  };
}

function tlsCredentials(tls: TlsOptions | undefined): ChannelCredentials | undefined {
  return tls === undefined ? undefined : grpcCredentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}

function callOptions(settings: CallSettings): CallOptions {
  const { deadline } = settings;
  return deadline === undefined ? {} : { deadline: typeof deadline === "number" ? Date.now() + deadline : deadline };
}

/** The broker's stable reason for a failed call, if it gave one. */
export function errorReason(err: unknown): string | undefined {
  const metadata = (err as Partial<ServiceError>).metadata;
  const value = metadata?.get(reasonMetadataKey)[0];
  return typeof value === "string" ? value : undefined;
}

/** The leader a broker named with NOT_LEADER (`tributary-leader`, "host:port"), if it knew one. */
export function errorLeader(err: unknown): string | undefined {
  const metadata = (err as Partial<ServiceError>).metadata;
  const value = metadata?.get(leaderMetadataKey)[0];
  return typeof value === "string" && value !== "" ? value : undefined;
}
