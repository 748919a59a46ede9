import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import { fromBinary, toBinary, type DescMessage, type DescService } from "@bufbuild/protobuf";

/**
 * Per-method codec choice. "raw" hands the handler (or takes from it) the
 * message bytes as a Buffer: the hot methods walk and build protobuf at the
 * wire level instead of paying protobuf-es's per-field decode and encode.
 */
export interface RawCodec {
  readonly request?: "raw";
  readonly response?: "raw";
}

/**
 * What a protobuf-es request deserializer produces for bytes that do not
 * decode. grpc-js answers INTERNAL when a deserializer throws; returning this
 * instead lets the handler wrapper answer INVALID_ARGUMENT, which is the truth.
 */
export class UndecodableRequest {
  constructor(readonly cause: unknown) {}
}

/**
 * Turns a protobuf-es service descriptor into a grpc-js ServiceDefinition:
 * one entry per method, keyed by the method's local name (`produce`), at the
 * path `/tributary.v1.ProduceService/Produce`. The same definition serves
 * `server.addService` and `makeGenericClientConstructor`.
 */
export function createServiceDefinition(
  service: DescService,
  raw: Readonly<Record<string, RawCodec>> = {},
): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const codec = raw[method.localName] ?? {};
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream:
        method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream:
        method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: serializer(method.input),
      requestDeserialize: codec.request === "raw" ? passBuffer : safeDeserializer(method.input),
      responseSerialize: codec.response === "raw" ? passBuffer : serializer(method.output),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
      originalName: method.localName,
    };
  }
  return definition;
}

function passBuffer(bytes: unknown): Buffer {
  return bytes as Buffer;
}

function serializer(schema: DescMessage) {
  return (message: unknown): Buffer => {
    // protobuf-es messages carry their $typeName; plain Buffers are already encoded
    // (a raw method's client side may send pre-encoded bytes).
    if (Buffer.isBuffer(message)) return message;
    const bytes = toBinary(schema, message as never);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function safeDeserializer(schema: DescMessage) {
  return (bytes: Buffer): unknown => {
    try {
      return fromBinary(schema, bytes);
    } catch (cause) {
      return new UndecodableRequest(cause);
    }
  };
}
