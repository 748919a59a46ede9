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

/** How an RpcClient proves who it is and checks whom it talks to (issue 17). */
export interface RpcClientOptions {
  /** TLS: `ca` verifies the server's certificate (which must name the dialed host);
   * `cert` + `key` are a client certificate for mutual TLS. Default plaintext. */
  readonly tls?: { readonly ca: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  /** Sent as `authorization: Bearer <token>` on every call. Default none. */
  readonly token?: string;
  /** Grpc-js credentials given whole (tests); `tls` is ignored then. */
  readonly channelCredentials?: ChannelCredentials;
}

/**
 * A channel to one broker for inter-broker calls (ReplicaService, a coordinator's reads
 * from leaders): the one place outside services/server.ts besides bind-service.ts that
 * meets grpc-js. With `tls` it speaks TLS and verifies the peer, with `token` every
 * call carries the inter-broker bearer token (services/cluster/inter-broker.ts builds
 * both from the config). Each client has its own connection (not shared with other
 * clients of the same address), so closing it ends only its streams.
 */
export class RpcClient {
  private readonly client: Client;
  private readonly token: string | undefined;

  constructor(
    readonly address: string,
    options: RpcClientOptions = {},
  ) {
    const channel =
      options.channelCredentials ??
      (options.tls === undefined
        ? credentials.createInsecure()
        : credentials.createSsl(options.tls.ca, options.tls.key ?? null, options.tls.cert ?? null));
    this.token = options.token;
    this.client = new Client(address, channel, {
      "grpc.use_local_subchannel_pool": 1,
      "grpc.keepalive_time_ms": 10_000,
      "grpc.keepalive_timeout_ms": 5_000,
      "grpc.keepalive_permit_without_calls": 1,
    });
  }

  /** A call's metadata: the bearer token, when there is one. */
  private metadata(): Metadata {
    const metadata = new Metadata();
    if (this.token !== undefined) metadata.set("authorization", `Bearer ${this.token}`);
    return metadata;
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
      this.metadata(),
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
    const metadata = this.metadata();
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
