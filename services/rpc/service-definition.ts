import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import { fromBinary, toBinary, type DescMessage, type DescService } from "@bufbuild/protobuf";
import type { PipelineCodec, PipelinedStreams } from "./pipelined-stream.js";

/**
 * Per-method codec choice. Every request reaches the handler wrapper
 * (bind-service.ts) as its undecoded bytes: it is decoded there, after the call
 * is authenticated and checked against its method's limits (issue 14).
 */
export interface MethodCodec {
  /**
   * Parses the request bytes into what the handler gets instead of a
   * protobuf-es message: the hot methods walk protobuf at the wire level (one
   * walk, whose result the ACL check reads too). Throws TributaryErrors.
   */
  readonly request?: (bytes: Buffer) => unknown;
  /** "raw": the handler answers with the message bytes (or parts) already encoded. */
  readonly response?: "raw";
  /** A bidirectional method whose every request is a unary call of the handler, answered
   * in order through this codec (pipelined-stream.ts): ProduceStream. */
  readonly pipeline?: { readonly answers: PipelineCodec; readonly streams: PipelinedStreams };
}

/**
 * Turns a protobuf-es service descriptor into a grpc-js ServiceDefinition:
 * one entry per method, keyed by the method's local name (`produce`), at the
 * path `/tributary.v1.ProduceService/Produce`. The same definition serves
 * `server.addService` and `makeGenericClientConstructor`.
 */
export function createServiceDefinition(
  service: DescService,
  codecs: Readonly<Record<string, MethodCodec>> = {},
): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const codec = codecs[method.localName] ?? {};
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream:
        method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream:
        method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: serializer(method.input),
      // Decoding waits for the handler wrapper: grpc-js would run it before any check.
      requestDeserialize: passBuffer,
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
