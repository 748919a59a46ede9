import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A loopback TCP proxy in front of a broker, for injecting connection drops
 * where a real network would: `dropOnNextResponse()` cuts the connection when
 * the broker starts answering a call (its HTTP/2 HEADERS frame) or sends a
 * message on a call already answering (a DATA frame: the Producer's requests
 * share one ProduceStream) — the request has been handled, the client never
 * hears so — and `dropAll()` cuts every connection now.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private armed = false;
  /** How many connections were cut. */
  drops = 0;

  private constructor(
    private readonly server: Server,
    readonly address: string,
  ) {}

  /** Where new connections go (see `retarget`). */
  private target = "";

  static async start(target: string): Promise<TcpProxy> {
    let proxy!: TcpProxy;
    const server = createServer((client) => {
      const t = proxy.target;
      const upstream = connect(Number(t.slice(t.lastIndexOf(":") + 1)), t.slice(0, t.lastIndexOf(":")));
      proxy.track(client, upstream);
      client.pipe(upstream);
      // The server's side is HTTP/2 frames from its first byte (9-byte header:
      // length 3, type 1, flags 1, stream 4); follow their boundaries throughout.
      let skip = 0; // bytes of the current frame's payload still to pass
      let header = Buffer.alloc(0);
      upstream.on("data", (chunk: Buffer) => {
        let response = false;
        let at = 0;
        while (at < chunk.length) {
          if (skip > 0) {
            const n = Math.min(skip, chunk.length - at);
            skip -= n;
            at += n;
            continue;
          }
          const need = 9 - header.length;
          header = Buffer.concat([header, chunk.subarray(at, at + need)]);
          at += Math.min(need, chunk.length - at);
          if (header.length < 9) break;
          const type = header[3];
          const stream = header.readUInt32BE(5) & 0x7fffffff;
          skip = header.readUIntBE(0, 3);
          if ((type === 0x1 || (type === 0x0 && skip > 0)) && stream > 0) response = true;
          header = Buffer.alloc(0);
        }
        if (proxy.armed && response) {
          proxy.armed = false;
          proxy.drops++;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(chunk);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    proxy = new TcpProxy(server, `127.0.0.1:${(server.address() as AddressInfo).port}`);
    proxy.target = target;
    return proxy;
  }

  /** Sends new connections to `target` from now on (a broker restarted on another port). */
  retarget(target: string): void {
    this.target = target;
  }

  dropOnNextResponse(): void {
    this.armed = true;
  }

  dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.drops++;
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(...sockets: Socket[]): void {
    for (const socket of sockets) {
      this.sockets.add(socket);
      socket.on("error", () => socket.destroy());
      socket.on("close", () => {
        this.sockets.delete(socket);
        for (const other of sockets) other.destroy();
      });
    }
  }
}
