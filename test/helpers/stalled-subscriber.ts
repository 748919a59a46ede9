import { connect, type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { connect as tcpConnect, type Socket } from "node:net";
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { SubscribeRequestSchema } from "../../gen/ts/tributary/v1/fetch_pb.js";

/**
 * A gRPC client over bare node:http2 whose Subscribe streams never read: no
 * "data" listener, so Node stops taking DATA frames once a stream's small
 * readable buffer is full and never sends WINDOW_UPDATE. The client keeps the
 * HTTP/2 default windows (64 KiB per stream and per connection): past those,
 * everything the broker has to send waits in the broker, which is what a
 * reader that never reads costs it.
 */
export class StalledConnection {
  private constructor(
    readonly session: ClientHttp2Session,
    private readonly socket: Socket,
  ) {}

  /** Connects and waits for the broker's SETTINGS frame. */
  static async open(address: string): Promise<StalledConnection> {
    const connection = await StalledConnection.tryOpen(address);
    if (connection === "refused") throw new Error(`connection to ${address} closed before the broker's SETTINGS`);
    return connection;
  }

  /** Connects; "refused" when the broker closes the connection before sending its SETTINGS. */
  static async tryOpen(address: string): Promise<StalledConnection | "refused"> {
    const at = address.lastIndexOf(":");
    const socket = tcpConnect(Number(address.slice(at + 1)), address.slice(0, at).replace(/^\[|\]$/g, ""));
    const session = connect(`http://${address}`, { createConnection: () => socket });
    session.on("error", () => undefined); // a refused or cut connection shows as "close"
    return new Promise((resolve) => {
      session.once("remoteSettings", () => resolve(new StalledConnection(session, socket)));
      session.once("close", () => resolve("refused"));
    });
  }

  /** Sends a Subscribe request and returns its stream at once; never reads a message. */
  request(request: MessageInitShape<typeof SubscribeRequestSchema>): ClientHttp2Stream {
    const stream = this.session.request({
      ":method": "POST",
      ":path": "/tributary.v1.FetchService/Subscribe",
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.on("error", () => undefined); // seen as "close" with rstCode
    stream.end(subscribeFrame(request));
    return stream;
  }

  /** Opens a Subscribe and resolves once the broker answered its headers (the stream is
   * set up at its start offsets); never reads a message. */
  subscribe(request: MessageInitShape<typeof SubscribeRequestSchema>): Promise<ClientHttp2Stream> {
    const stream = this.request(request);
    return new Promise((resolve, reject) => {
      stream.once("response", (headers) => {
        if (headers["grpc-status"] !== undefined && headers["grpc-status"] !== "0") {
          reject(new Error(`Subscribe failed: grpc-status ${String(headers["grpc-status"])} ${String(headers["grpc-message"])}`));
        } else {
          resolve(stream);
        }
      });
      stream.once("close", () => reject(new Error(`stream closed before its headers (RST_STREAM code ${stream.rstCode})`)));
    });
  }

  /** Cuts the TCP connection with a reset: no GOAWAY, no stream ends, like a peer that vanished. */
  cut(): void {
    this.socket.resetAndDestroy();
  }

  /** Closes the connection (every stream on it). */
  close(): Promise<void> {
    if (this.session.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.session.once("close", () => resolve());
      this.session.destroy();
    });
  }
}

/** A SubscribeRequest as a gRPC length-prefixed message. */
export function subscribeFrame(request: MessageInitShape<typeof SubscribeRequestSchema>): Buffer {
  const body = toBinary(SubscribeRequestSchema, create(SubscribeRequestSchema, request));
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  return frame;
}
