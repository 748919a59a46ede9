import { Client, credentials, Metadata, type ChannelCredentials, type ClientDuplexStream, type ServiceError } from "@grpc/grpc-js";
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethodBiDiStreaming,
  type DescMethodUnary,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";

/** How a bidirectional stream opened by `openBidiStream` ended: `undefined` for an OK
 * status, else the error (a grpc-js ServiceError: `code`, `details`, `metadata`). */
export type BidiEnd = ServiceError | Error | undefined;

/** The caller's side of one bidirectional stream. */
export interface BidiStream<I extends DescMessage> {
  /** Sends one request (queued by the transport). */
  send(message: MessageInitShape<I>): void;
  /** Ends the stream from this side at once (a cancel); `onEnd` then runs with the error. */
  cancel(): void;
}

/**
 * A channel to one broker for inter-broker calls (ReplicaService, and Fetch from a
 * partition's leader for a group coordinator): the one place outside
 * services/server.ts besides bind-service.ts that meets grpc-js. Without TLS or auth for
 * now (cluster mode on a trusted network, issue 16); `channelCredentials` is the door for
 * TLS later. Each client has its own connection (not shared with other clients of the
 * same address), so closing it ends only its streams.
 */
export class RpcClient {
  private readonly client: Client;

  constructor(
    readonly address: string,
    options: { channelCredentials?: ChannelCredentials } = {},
  ) {
    this.client = new Client(address, options.channelCredentials ?? credentials.createInsecure(), {
      "grpc.use_local_subchannel_pool": 1,
      "grpc.keepalive_time_ms": 10_000,
      "grpc.keepalive_timeout_ms": 5_000,
      "grpc.keepalive_permit_without_calls": 1,
    });
  }

  /**
   * Opens a bidirectional-streaming `method` of `service` ("tributary.cluster.v1.ReplicaService").
   * `onMessage` gets each decoded response in order; `onEnd` runs once, when the stream
   * ends for any reason (the server's status, a transport failure, `cancel`, `close`).
   */
  openBidiStream<I extends DescMessage, O extends DescMessage>(
    serviceTypeName: string,
    method: DescMethodBiDiStreaming<I, O>,
    handlers: { onMessage(message: MessageShape<O>): void; onEnd(end: BidiEnd): void },
  ): BidiStream<I> {
    const call: ClientDuplexStream<MessageShape<I>, MessageShape<O>> = this.client.makeBidiStreamRequest(
      `/${serviceTypeName}/${method.name}`,
      (message: MessageShape<I>) => Buffer.from(toBinary(method.input, message)),
      (bytes: Buffer) => fromBinary(method.output, bytes),
    );
    let ended = false;
    const end = (result: BidiEnd): void => {
      if (ended) return;
      ended = true;
      handlers.onEnd(result);
    };
    call.on("data", (message: MessageShape<O>) => {
      if (!ended) handlers.onMessage(message);
    });
    call.on("error", (err: Error) => end(err));
    call.on("status", (status: { code: number }) => {
      if (status.code === 0) end(undefined);
    });
    return {
      send: (message) => {
        if (!ended) call.write(create(method.input, message));
      },
      cancel: () => call.cancel(),
    };
  }

  /**
   * Calls a unary `method` of `service` (a coordinator reading a partition from its
   * leader with FetchService.Fetch). Rejects with the grpc-js ServiceError (`code`,
   * `details`, `metadata`) on a non-OK status; `signal` cancels the call.
   */
  unary<I extends DescMessage, O extends DescMessage>(
    serviceTypeName: string,
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
    options: { signal?: AbortSignal; deadlineMs?: number; metadata?: Readonly<Record<string, string>> } = {},
  ): Promise<MessageShape<O>> {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        `/${serviceTypeName}/${method.name}`,
        (message: MessageShape<I>) => Buffer.from(toBinary(method.input, message)),
        (bytes: Buffer) => fromBinary(method.output, bytes),
        create(method.input, request),
        metadata,
        options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs },
        (err: ServiceError | null, value?: MessageShape<O>) => {
          options.signal?.removeEventListener("abort", cancel);
          if (err !== null || value === undefined) reject(err ?? new Error("empty answer"));
          else resolve(value);
        },
      );
      const cancel = () => call.cancel();
      if (options.signal?.aborted) call.cancel();
      else options.signal?.addEventListener("abort", cancel, { once: true });
    });
  }

  /** Closes the channel; its streams end. */
  close(): void {
    this.client.close();
  }
}
