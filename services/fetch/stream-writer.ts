import type { PartsMessage, RawMessage, StreamSink } from "../rpc/index.js";

/** The smallest read a stream is ever given, however many streams share the budget. */
export const minReadBytes = 64 * 1024;
const maxPooledLargeBuffers = 8;

interface Waiter {
  /** Grants the wait if it can go now; true when granted. */
  readonly tryGrant: () => boolean;
  readonly resolve: () => void;
}

/**
 * The broker-wide bound on Subscribe memory: bytes that streams have read for
 * sending, or handed to grpc-js and not yet accepted by the HTTP/2 stream; and
 * the stored batches Fetch reads whole while they are read (admitRead).
 * Without it each stream's own bound multiplies by the number of streams (100
 * readers of a backlog held gigabytes). Each stream's share is
 * `min(perStreamBytes, totalBytes / open streams)`, never below
 * `minReadBytes`, and a stream holding nothing may always read `minReadBytes`,
 * so a budget held by stalled readers slows the others but never starves them.
 * A stored batch larger than a read is read whole: within the budget when there
 * is room, else one such read at a time. Memory stays under `totalBytes` plus
 * `minReadBytes` per stream plus one stored batch.
 *
 * Every release re-tries every waiter (cheap arithmetic each); with thousands of
 * streams at full speed that scan is the cost to watch.
 */
export class StreamBudget {
  /** Bytes reserved or pending across all streams. */
  used = 0;
  /** A read beyond the budget is in progress (StreamWriter.admitLargeRead): one at a time. */
  overdrawn = false;
  /** Buffers for stored batches larger than a read: the records a message needs are
   * copied out of them, so they can be reused. With many small readers of big batches,
   * allocating one per read was most of the garbage (and of the RSS peak). */
  private readonly largeBuffers: Buffer[] = [];
  private streams = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly totalBytes: number,
    readonly perStreamBytes: number,
  ) {}

  /** A buffer of at least `bytes` for a large read: a pooled one if it fits. */
  takeLargeBuffer(bytes: number): Buffer {
    const i = this.largeBuffers.findIndex((b) => b.length >= bytes && b.length <= 2 * bytes);
    if (i >= 0) return this.largeBuffers.splice(i, 1)[0];
    return Buffer.allocUnsafeSlow(Math.ceil(bytes / minReadBytes) * minReadBytes);
  }

  /** Gives back a large-read buffer nothing points into any more. */
  giveLargeBuffer(buffer: Buffer): void {
    if (this.largeBuffers.length < maxPooledLargeBuffers) this.largeBuffers.push(buffer);
  }

  /** What one stream may hold now. */
  share(): number {
    return Math.max(minReadBytes, Math.min(this.perStreamBytes, Math.floor(this.totalBytes / Math.max(1, this.streams))));
  }

  open(): void {
    this.streams++;
  }

  close(): void {
    this.streams--;
    this.wake(); // every remaining share just grew
  }

  take(bytes: number): void {
    this.used += bytes;
  }

  give(bytes: number): void {
    this.used -= bytes;
    this.wake();
  }

  /**
   * A read of `bytes` that belongs to no stream (a Fetch reading a stored batch larger
   * than its answer, whole for its checksum): waits until the budget has room, or takes
   * the one overdraft, as a stream's large read does. Resolves with the function that
   * gives the bytes back (call it once the read's buffer is let go).
   * @throws ReadAbortedError when `signal` aborts first: the read must not happen
   */
  async admitRead(bytes: number, signal: AbortSignal): Promise<() => void> {
    let admitted = false;
    let overdraft = false;
    await this.wait(() => {
      if (signal.aborted) return true; // resolves unadmitted
      if (this.used + bytes > this.totalBytes) {
        if (this.overdrawn) return false;
        this.overdrawn = true;
        overdraft = true;
      }
      this.take(bytes);
      admitted = true;
      return true;
    }, signal);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (overdraft) this.overdrawn = false;
      this.give(bytes); // wakes the waiters, the next large read among them
    };
    if (!admitted) throw new ReadAbortedError("the call ended before the read");
    if (signal.aborted) {
      release();
      throw new ReadAbortedError("the call ended before the read");
    }
    return release;
  }

  /** Resolves once `tryGrant` succeeds (re-tried whenever bytes come back) or `signal` aborts. */
  wait(tryGrant: () => boolean, signal: AbortSignal): Promise<void> {
    if (tryGrant()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        tryGrant,
        resolve: () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Grants waiters in arrival order; one that cannot go yet does not hold up the others
   * (its own stream may be the full one). */
  private wake(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const waiter = this.waiters[i];
      if (waiter.tryGrant()) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      } else {
        i++;
      }
    }
  }
}

/**
 * A read's stream ended or its signal aborted before the read was admitted: the read
 * must not happen (StreamWriter.admitLargeRead). The pump gives its reservation back
 * and stops; nothing is reported to the client, whose stream is gone.
 */
export class ReadAbortedError extends Error {
  override name = "ReadAbortedError";
}

/**
 * Writes pre-encoded messages to one server stream within its share of the
 * StreamBudget. grpc-js buffers 16 messages per stream whatever their size,
 * so write()'s own answer would let a slow reader pin 16 full messages; this
 * counts bytes handed over and not yet accepted by the HTTP/2 stream.
 *
 * Readers reserve before they read (`reserve`), so a paused stream holds no
 * read buffers either: at most its share plus one read is held per stream.
 *
 * The budget holds in every state of a stream, cancellation included (issue 14:
 * cancelling 600 stalled streams at once spiked the RSS by 2 GB). A read is only
 * done under a reservation granted while the stream was live, and a large read only
 * once admitted; an aborted or ended stream is granted nothing and its admitted-late
 * reads throw ReadAbortedError instead of allocating. Bytes reserved by reads in
 * progress stay counted until the read gives them back (`send`/`unreserve`), even
 * after `close`, because the read's buffer exists until then; only bytes written to
 * grpc-js, which never calls back the writes of a cancelled stream, go back at `close`.
 */
export class StreamWriter {
  /** Written to grpc-js and not yet accepted by the HTTP/2 stream. */
  private pending = 0;
  /** Reserved by reads in progress (their reservations' bytes). */
  private reserved = 0;
  private closed = false;

  constructor(
    private readonly sink: StreamSink<RawMessage>,
    private readonly budget: StreamBudget,
  ) {
    budget.open();
  }

  /** Bytes this stream holds against its share. */
  private get held(): number {
    return this.pending + this.reserved;
  }

  /** True once nothing more may be read or written for this stream. */
  private ended(signal: AbortSignal): boolean {
    return signal.aborted || this.closed || this.sink.closed;
  }

  /**
   * Waits until this stream may read, and reserves the bytes for it: half the
   * stream's share (so one message is on the wire while the next is read), within
   * `maxBytes`. Resolves null when `signal` aborts or the stream ended. Every
   * reservation must be given back through `send` or `unreserve`.
   */
  async reserve(maxBytes: number, signal: AbortSignal): Promise<Reservation | null> {
    let granted = 0;
    await this.budget.wait(() => {
      if (this.ended(signal)) return true; // resolves with nothing granted
      const share = this.budget.share();
      let size = Math.max(1, Math.min(maxBytes, Math.max(minReadBytes, Math.floor(share / 2))));
      if (this.held + size > share || this.budget.used + size > this.budget.totalBytes) {
        if (this.held > 0) return false;
        // A stream holding nothing may always read a little: it cannot be starved by
        // others, and the overdraft is at most one small read per stream.
        size = Math.min(size, minReadBytes);
      }
      granted = size;
      this.reserved += size;
      this.budget.take(size);
      return true;
    }, signal);
    if (granted === 0) return null;
    const reservation = new Reservation(granted);
    if (this.ended(signal)) {
      this.unreserve(reservation);
      return null;
    }
    return reservation;
  }

  /**
   * A read under `reservation` is about to allocate `bytes` (a stored batch larger
   * than the reservation, read whole for its CRC). Takes the difference from the
   * budget; with no room there, overdraws it, but only one read at a time broker-wide
   * (the overdraft ends at `send` or `unreserve`), so large batches cannot multiply
   * memory by the number of streams, and readers stalled on full streams cannot
   * starve the others either.
   * @throws ReadAbortedError when the stream ended or `signal` aborted first: the
   *   read must not allocate (the caller gives the reservation back)
   */
  async admitLargeRead(reservation: Reservation, bytes: number, signal: AbortSignal): Promise<Buffer> {
    const budget = this.budget;
    await this.admitBytes(reservation, bytes, signal);
    const buffer = budget.takeLargeBuffer(bytes);
    reservation.largeBuffers.push(buffer);
    return buffer;
  }

  /** Gives a reservation's large-read buffers back for reuse, once the records a message
   * needs were copied out of them (or nothing was taken from them). */
  recycleLargeBuffers(reservation: Reservation): void {
    for (const buffer of reservation.largeBuffers) this.budget.giveLargeBuffer(buffer);
    reservation.largeBuffers.length = 0;
  }

  private async admitBytes(reservation: Reservation, bytes: number, signal: AbortSignal): Promise<void> {
    const extra = bytes - reservation.bytes;
    if (this.ended(signal)) throw new ReadAbortedError("the stream ended before the read");
    if (extra <= 0) return;
    const budget = this.budget;
    let admitted = false;
    await budget.wait(() => {
      if (this.ended(signal)) return true; // resolves unadmitted
      if (budget.used + extra > budget.totalBytes) {
        if (budget.overdrawn) return false;
        budget.overdrawn = true;
        reservation.overdraft = true;
      }
      this.reserved += extra;
      budget.take(extra);
      reservation.bytes += extra;
      admitted = true;
      return true;
    }, signal);
    // An abort resolves the wait without a grant: the read must not happen. Admitted
    // bytes stay on the reservation, which the caller gives back.
    if (!admitted || this.ended(signal)) throw new ReadAbortedError("the stream ended before the read");
  }

  /** Gives back a reservation that was not used (nothing to read, or the read failed). */
  unreserve(reservation: Reservation): void {
    this.reserved -= reservation.bytes;
    this.budget.give(reservation.bytes);
    reservation.bytes = 0;
    this.endOverdraft(reservation);
  }

  /** Writes a message read under `reservation`; the message's bytes stay held until the
   * HTTP/2 stream accepts them. */
  send(message: PartsMessage, reservation: Reservation): void {
    if (this.closed || this.sink.closed) {
      message.discard();
      this.unreserve(reservation);
      return;
    }
    const length = message.byteLength;
    this.holdPending(length);
    this.unreserve(reservation);
    this.sink.send(message, () => this.releasePending(length));
  }

  /** Writes a small control message (assignment, revocation, reset) now; resolves when
   * the stream is within its share again (or `signal` aborts). */
  async write(message: Buffer, signal: AbortSignal): Promise<void> {
    if (this.ended(signal)) return;
    this.holdPending(message.length);
    this.sink.send(message, () => this.releasePending(message.length));
    await this.budget.wait(() => this.ended(signal) || this.held < this.budget.share(), signal);
  }

  /** The stream ended: what it wrote goes back to the others at once (grpc-js does not
   * call back writes of a cancelled stream), and its waiters are released. Reads still
   * in progress keep their reservations until they give them back. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const written = this.pending;
    this.pending = 0;
    this.budget.give(written);
    this.budget.close();
  }

  private endOverdraft(reservation: Reservation): void {
    if (!reservation.overdraft) return;
    reservation.overdraft = false;
    this.budget.overdrawn = false;
    this.budget.give(0); // wakes the next large read
  }

  private holdPending(bytes: number): void {
    if (this.closed) return; // close() gave back everything written; nothing more is taken
    this.pending += bytes;
    this.budget.take(bytes);
  }

  private releasePending(bytes: number): void {
    if (this.closed) return; // close() gave back everything written
    this.pending -= bytes;
    this.budget.give(bytes);
  }
}

/** Bytes a read may use, from `StreamWriter.reserve` until `send` or `unreserve`. */
export class Reservation {
  /** Set while this read overdraws the budget (at most one read broker-wide). */
  overdraft = false;
  /** Pooled buffers the read went into (StreamWriter.admitLargeRead). */
  readonly largeBuffers: Buffer[] = [];

  constructor(public bytes: number) {}
}
