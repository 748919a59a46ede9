import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";

/**
 * How the proxy treats traffic, switched at run time with `setMode`:
 * - "pass": forwards bytes both ways.
 * - "drop": a blackhole, as a network partition: connections are still accepted, but
 *   nothing is forwarded either way (nor a close); the bytes are held, as TCP would keep
 *   retransmitting them, and delivered in order when the mode changes back to "pass" or
 *   "delay" (a partition shorter than the connection's timeouts heals). New connections
 *   reach the target only when the mode changes, so a dead target looks the same.
 * - "reset": destroys every connection with a TCP RST, and each new one as it arrives,
 *   as a broker whose host rejects connections (the peers see ECONNRESET).
 * - "delay": forwards each chunk `delayMs` after it arrived, order kept both ways.
 */
export type FaultMode = "pass" | "drop" | "reset" | "delay";

export interface FaultProxy {
  /** Where clients connect: 127.0.0.1:PORT. */
  readonly address: string;
  readonly port: number;
  /** Open proxied connections (a client side and, once connected, its target side). */
  readonly connections: number;
  /** Bytes read and not yet forwarded, both ways (held by "drop", queued by "delay"). */
  readonly heldBytes: number;
  setMode(mode: "pass" | "drop" | "reset"): void;
  setMode(mode: "delay", options: { delayMs: number }): void;
  readonly mode: FaultMode;
  /** New connections go to `target` (HOST:PORT) from now on: the broker restarted on another port. */
  setTarget(target: string): void;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** A direction's queue may hold this much before its source is paused (kernel buffers take over). */
const maxHeldBytesPerDirection = 4 * 1024 * 1024;

/**
 * Starts a fault-injecting TCP proxy on a free loopback port in front of `target`
 * (HOST:PORT), in mode "pass". Put one in front of each link to cut (a broker's listener,
 * an etcd member's client URL): clients are given the proxy's address instead of the
 * target's. Unlike `iptables`, it needs no root, and unlike killing the target, the
 * target keeps running: the cheapest network partition (CLUSTER.md section 6).
 */
export async function startFaultProxy(options: { target: string }): Promise<FaultProxy> {
  const state: ProxyState = { mode: "pass", delayMs: 0, target: options.target, pairs: new Set() };
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    if (state.mode === "reset") {
      client.on("error", () => {});
      client.resetAndDestroy();
      return;
    }
    const pair = new ConnectionPair(client, state);
    state.pairs.add(pair);
    if (state.mode !== "drop") pair.connectUpstream();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  function setMode(mode: FaultMode, modeOptions?: { delayMs: number }): void {
    if (mode === "delay" && !(modeOptions && modeOptions.delayMs >= 0)) throw new Error("delay mode needs { delayMs }");
    state.mode = mode;
    state.delayMs = mode === "delay" ? modeOptions!.delayMs : 0;
    for (const pair of [...state.pairs]) pair.modeChanged();
  }

  return {
    address: `127.0.0.1:${port}`,
    port,
    get connections() {
      return state.pairs.size;
    },
    get heldBytes() {
      let total = 0;
      for (const pair of state.pairs) total += pair.heldBytes();
      return total;
    },
    get mode() {
      return state.mode;
    },
    setMode: setMode as FaultProxy["setMode"],
    setTarget(target: string) {
      state.target = target;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const pair of [...state.pairs]) pair.destroy(false);
      await closed;
    },
  };
}

interface ProxyState {
  mode: FaultMode;
  delayMs: number;
  target: string;
  readonly pairs: Set<ConnectionPair>;
}

/** What a direction carries: bytes, the source's FIN, or the source's abrupt close. */
type Item = { chunk: Buffer; dueAtMs: number } | { end: true; dueAtMs: number } | { reset: true; dueAtMs: number };

/**
 * One way of a connection: reads from `from`, writes to `to` through a queue that the
 * mode gates ("drop" holds it, "delay" dates each item). Ends and resets travel through
 * the same queue, so they arrive after the bytes before them, as on a real link.
 */
class Direction {
  private readonly queue: Item[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastDueAtMs = 0;
  private blocked = false;
  to: Socket | undefined;

  constructor(
    private readonly from: Socket,
    private readonly state: ProxyState,
    private readonly onReset: () => void,
  ) {
    from.on("data", (chunk: Buffer) => {
      this.queuedBytes += chunk.length;
      this.push({ chunk, dueAtMs: 0 });
      this.updateReading();
    });
    from.on("end", () => this.push({ end: true, dueAtMs: 0 }));
  }

  get heldBytes(): number {
    return this.queuedBytes;
  }

  /** The source closed with an error (or was reset): reset the other side, after what came before. */
  pushReset(): void {
    this.push({ reset: true, dueAtMs: 0 });
  }

  private push(item: Item): void {
    item.dueAtMs = Math.max(Date.now() + this.state.delayMs, this.lastDueAtMs);
    this.lastDueAtMs = item.dueAtMs;
    this.queue.push(item);
    this.pump();
  }

  /** Forwards every due item, unless the mode holds them or the target side is not connected yet. */
  pump(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const to = this.to;
    if (this.state.mode === "drop" || this.state.mode === "reset" || !to || to.connecting) return;
    while (this.queue.length > 0) {
      const head = this.queue[0];
      const waitMs = head.dueAtMs - Date.now();
      if (waitMs > 0) {
        this.timer = setTimeout(() => this.pump(), waitMs);
        return;
      }
      this.queue.shift();
      if ("chunk" in head) {
        this.queuedBytes -= head.chunk.length;
        if (!to.write(head.chunk) && !this.blocked) {
          this.blocked = true;
          to.once("drain", () => {
            this.blocked = false;
            this.updateReading();
          });
        }
      } else if ("end" in head) {
        to.end();
      } else {
        this.onReset();
        return;
      }
    }
    this.updateReading();
  }

  /** Reads while the queue is short and the target side keeps up (backpressure). */
  private updateReading(): void {
    if (this.blocked || this.queuedBytes > maxHeldBytesPerDirection) this.from.pause();
    else this.from.resume();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }
}

/** A client's connection and its connection to the target, with a Direction each way. */
class ConnectionPair {
  private upstream: Socket | undefined;
  private readonly toTarget: Direction;
  private toClient: Direction | undefined;
  private closed = false;

  constructor(
    private readonly client: Socket,
    private readonly state: ProxyState,
  ) {
    this.toTarget = new Direction(client, state, () => this.destroy(true));
    client.on("error", () => {});
    client.on("close", (hadError) => {
      if (hadError) this.toTarget.pushReset();
      else this.maybeClosed();
    });
  }

  connectUpstream(): void {
    if (this.upstream || this.closed) return;
    const target = this.state.target;
    const colon = target.lastIndexOf(":");
    const upstream = connect({ host: target.slice(0, colon), port: Number(target.slice(colon + 1)), allowHalfOpen: true });
    this.upstream = upstream;
    this.toClient = new Direction(upstream, this.state, () => this.destroy(true));
    this.toClient.to = this.client;
    this.toTarget.to = upstream;
    upstream.on("error", () => {});
    upstream.on("connect", () => this.toTarget.pump());
    upstream.on("close", (hadError) => {
      // Refused or reset by the target: the client hears a reset, after the bytes before it.
      if (hadError) this.toClient!.pushReset();
      else this.maybeClosed();
    });
  }

  heldBytes(): number {
    return this.toTarget.heldBytes + (this.toClient?.heldBytes ?? 0);
  }

  modeChanged(): void {
    if (this.state.mode === "reset") return this.destroy(true);
    if (this.state.mode === "drop") return;
    if (!this.upstream) this.connectUpstream();
    this.toTarget.pump();
    this.toClient?.pump();
  }

  /** Both sockets closed cleanly (each side ended): forget the pair. */
  private maybeClosed(): void {
    if (this.client.destroyed && (!this.upstream || this.upstream.destroyed)) this.destroy(false);
  }

  /** Closes both sides; `reset` sends RSTs (the peers see ECONNRESET). */
  destroy(reset: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.state.pairs.delete(this);
    this.toTarget.stop();
    this.toClient?.stop();
    for (const socket of [this.client, this.upstream]) {
      if (!socket || socket.destroyed) continue;
      if (reset && !socket.connecting) socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}
