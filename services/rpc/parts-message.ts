/**
 * A response message made of parts (header, stored record entries, trailer) that
 * is never joined into one buffer of its own.
 *
 * grpc-js frames a response by calling the method's serializer and then, in the
 * same synchronous step, reading `.byteLength` of the result and copying it into
 * the frame with `.copy(frame, 5)` (services/rpc/grpc-internals.ts, point 3). A
 * raw method's serializer passes this object through, so the parts are copied
 * once, straight into the frame: joining them first (Buffer.concat) cost a second
 * full copy and allocation per message, which on a read-heavy broker was most of
 * the garbage. If grpc-js ever used the object any other way, every Subscribe and
 * Fetch would fail loudly (it is not a Buffer), not send wrong bytes.
 */
export class PartsMessage {
  readonly byteLength: number;
  private copied = false;

  constructor(private parts: readonly Buffer[]) {
    let length = 0;
    for (const part of parts) length += part.length;
    this.byteLength = length;
  }

  /** Buffer.copy's shape, for the whole message. Copies once: the parts are let go
   * afterwards. */
  copy(target: Uint8Array, targetStart = 0): number {
    if (this.copied) throw new Error("PartsMessage copied twice: its parts were let go after the first copy");
    this.copied = true;
    let at = targetStart;
    for (const part of this.parts) at += part.copy(target, at);
    this.parts = []; // whoever still holds this object must not hold the read buffers
    return at - targetStart;
  }

  /** The message was never handed over (the stream ended first): release its buffers. */
  discard(): void {
    if (this.copied) return;
    this.copied = true;
    this.parts = [];
  }
}

/** Bytes of a raw message (for quotas and metrics); 0 for anything else. */
export function wireLength(message: unknown): number {
  if (Buffer.isBuffer(message)) return message.length;
  if (message instanceof PartsMessage) return message.byteLength;
  return 0;
}
