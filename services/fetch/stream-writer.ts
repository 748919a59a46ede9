import type { ServerWritableStream } from "@grpc/grpc-js";

/**
 * Writes pre-encoded messages to a server stream with a bound on the bytes
 * the broker holds for it. grpc-js buffers 16 messages per stream whatever
 * their size, so write()'s own answer would let a slow reader pin 16 full
 * messages per stream; this counts bytes handed over and not yet accepted by
 * the HTTP/2 stream, and makes writers wait while that is above `limitBytes`.
 * At most `limitBytes` plus one message is held per stream.
 */
export class StreamWriter {
  private pendingBytes = 0;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly call: ServerWritableStream<unknown, unknown>,
    private readonly limitBytes: number,
  ) {}

  /** Writes now; resolves when the stream can take more (or `signal` aborts). */
  async write(message: Buffer, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.call.destroyed) return;
    this.pendingBytes += message.length;
    this.call.write(message, () => {
      this.pendingBytes -= message.length;
      if (this.pendingBytes < this.limitBytes) this.wakeAll();
    });
    if (this.pendingBytes < this.limitBytes) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Releases every waiter (the stream ended). */
  close(): void {
    this.wakeAll();
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
