import { credentials, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";

/**
 * Sends arbitrary bytes as a unary request to a method path and returns the
 * raw answer or the error: how tests feed the broker malformed protobuf.
 */
export function rawUnary(address: string, path: string, request: Buffer): Promise<Buffer> {
  const Client = makeGenericClientConstructor(
    {
      call: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    "Raw",
  );
  const client = new Client(address, credentials.createInsecure()) as unknown as {
    call(req: Buffer, cb: (err: ServiceError | null, res: Buffer) => void): void;
    close(): void;
  };
  return new Promise<Buffer>((resolve, reject) =>
    client.call(request, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res);
    }),
  );
}

/** Protobuf wire-encoding helpers for hand-built test messages. */
export function varint(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

export function lenField(field: number, body: Buffer | string): Buffer {
  const data = typeof body === "string" ? Buffer.from(body) : body;
  return Buffer.concat([varint((field << 3) | 2), varint(data.length), data]);
}

export function varintField(field: number, value: number | bigint): Buffer {
  return Buffer.concat([varint(field << 3), varint(value)]);
}
