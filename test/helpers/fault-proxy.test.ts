import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";

/** A TCP server that records what each connection sent and answers "pong:<bytes>" to "ping". */
interface Target {
  readonly address: string;
  readonly sockets: Socket[];
  /** Everything received, per connection, in order. */
  readonly received: string[];
  close(): Promise<void>;
}

async function startTarget(): Promise<Target> {
  const sockets: Socket[] = [];
  const received: string[] = [];
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    const index = sockets.push(socket) - 1;
    received[index] = "";
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      received[index] += chunk.toString();
      if (chunk.toString().endsWith("ping")) socket.write(`pong${index}`);
    });
    // Answers a half-close after it: the proxy must carry both.
    socket.on("end", () => socket.end("bye"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    received,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A client connection through the proxy that records what it receives and how it ended. */
interface Client {
  readonly socket: Socket;
  readonly connected: Promise<void>;
  received: string;
  ended: boolean;
  error: NodeJS.ErrnoException | undefined;
  closed: boolean;
}

function connectClient(port: number): Client {
  const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
  const client: Client = {
    socket,
    connected: new Promise((resolve) => socket.once("connect", () => resolve())),
    received: "",
    ended: false,
    error: undefined,
    closed: false,
  };
  socket.on("data", (chunk: Buffer) => (client.received += chunk.toString()));
  socket.on("end", () => (client.ended = true));
  socket.on("error", (err) => (client.error = err));
  socket.on("close", () => (client.closed = true));
  return client;
}

describe("startFaultProxy", () => {
  let target: Target;
  let proxy: FaultProxy;
  const clients: Client[] = [];
  const client = () => {
    const c = connectClient(proxy.port);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    target = await startTarget();
    proxy = await startFaultProxy({ target: target.address });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy.close();
    await target.close();
  });

  it("passes bytes both ways, and a half-close and the answer after it", async () => {
    const c = client();
    c.socket.write("ping");
    await vi.waitFor(() => expect(c.received).toBe("pong0"));
    c.socket.end("last");
    await vi.waitFor(() => expect(c.ended).toBe(true));
    expect(c.received).toBe("pong0bye");
    expect(target.received[0]).toBe("pinglast");
    await vi.waitFor(() => expect(proxy.connections).toBe(0));
  });

  it("drop: holds an open connection's bytes both ways, and delivers them in order once healed", async () => {
    const c = client();
    c.socket.write("ping");
    await vi.waitFor(() => expect(c.received).toBe("pong0"));
    proxy.setMode("drop");
    c.socket.write("a");
    c.socket.write("b");
    target.sockets[0].write("from-target");
    await vi.waitFor(() => expect(proxy.heldBytes).toBe("ab".length + "from-target".length));
    // Held by the proxy: neither side has them, however long one waits.
    expect(target.received[0]).toBe("ping");
    expect(c.received).toBe("pong0");
    proxy.setMode("pass");
    await vi.waitFor(() => expect(target.received[0]).toBe("pingab"));
    await vi.waitFor(() => expect(c.received).toBe("pong0from-target"));
    expect(proxy.heldBytes).toBe(0);
  });

  it("drop: accepts new connections but reaches the target only once healed", async () => {
    proxy.setMode("drop");
    const c = client();
    await c.connected;
    c.socket.write("ping");
    await vi.waitFor(() => expect(proxy.heldBytes).toBe(4));
    expect(target.sockets).toHaveLength(0);
    proxy.setMode("pass");
    await vi.waitFor(() => expect(c.received).toBe("pong0"));
  });

  it("drop: holds a close too, and a dead target is refused only once healed", async () => {
    const deadAddress = target.address;
    await target.close();
    const other = await startFaultProxy({ target: deadAddress });
    try {
      other.setMode("drop");
      const c = connectClient(other.port);
      clients.push(c);
      await c.connected;
      c.socket.write("ping");
      await vi.waitFor(() => expect(other.heldBytes).toBe(4));
      expect(c.closed).toBe(false);
      other.setMode("pass");
      await vi.waitFor(() => expect(c.closed).toBe(true));
      expect(c.error?.code).toBe("ECONNRESET");
    } finally {
      await other.close();
      target = await startTarget(); // for afterEach
    }
  });

  it("reset: resets open connections and every new one", async () => {
    const c = client();
    c.socket.write("ping");
    await vi.waitFor(() => expect(c.received).toBe("pong0"));
    proxy.setMode("reset");
    await vi.waitFor(() => expect(c.closed).toBe(true));
    expect(c.error?.code).toBe("ECONNRESET");
    await vi.waitFor(() => expect(target.sockets[0].destroyed).toBe(true));
    expect(proxy.connections).toBe(0);

    const late = client();
    await vi.waitFor(() => expect(late.closed).toBe(true));
    expect(late.error?.code).toBe("ECONNRESET");
    expect(target.sockets).toHaveLength(1);

    proxy.setMode("pass");
    const healed = client();
    healed.socket.write("ping");
    await vi.waitFor(() => expect(healed.received).toBe("pong1"));
  });

  it("delay: forwards each chunk after the delay, in order, both ways", async () => {
    const c = client();
    c.socket.write("ping");
    await vi.waitFor(() => expect(c.received).toBe("pong0"));
    proxy.setMode("delay", { delayMs: 150 });
    const startedMs = Date.now();
    c.socket.write("ping");
    await vi.waitFor(() => expect(c.received).toBe("pong0pong0"));
    // There and back: at least one delay each way (timers never fire early).
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(2 * 150 - 2);

    // A shorter delay does not let later chunks overtake earlier ones.
    proxy.setMode("delay", { delayMs: 100 });
    for (let i = 0; i < 20; i++) {
      if (i === 10) proxy.setMode("delay", { delayMs: 0 });
      c.socket.write(`${String.fromCharCode(97 + i)}`);
    }
    await vi.waitFor(() => expect(target.received[0]).toBe("pingping" + "abcdefghijklmnopqrst"));
  });

  it("sends new connections to a new target after setTarget", async () => {
    const second = await startTarget();
    try {
      proxy.setTarget(second.address);
      const c = client();
      c.socket.write("ping");
      await vi.waitFor(() => expect(c.received).toBe("pong0"));
      expect(second.received[0]).toBe("ping");
      expect(target.sockets).toHaveLength(0);
    } finally {
      await second.close();
    }
  });
});
