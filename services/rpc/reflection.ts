import { readFileSync } from "node:fs";
import type { Server, ServiceDefinition, UntypedServiceImplementation } from "@grpc/grpc-js";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { ReflectionService } from "@grpc/reflection";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";

/**
 * Server reflection (v1 and v1alpha) over the descriptor set that
 * `npm run generate` builds with buf. Decoding the FileDescriptorSet and
 * re-encoding each file keeps source info, so `grpcurl describe` shows the
 * proto comments and JSON names (proto-loader's own loader drops both).
 * The health proto is added so that `grpcurl list` shows grpc.health.v1.
 */
export function addReflection(
  server: Server,
  descriptorSetPath: string,
  guard?: (implementation: UntypedServiceImplementation) => UntypedServiceImplementation,
): void {
  const set = fromBinary(FileDescriptorSetSchema, readFileSync(descriptorSetPath));
  const fileDescriptorProtos = set.file.map((file) => Buffer.from(toBinary(FileDescriptorProtoSchema, file)));
  const health = protoLoader.loadSync(healthProtoPath, { keepCase: true });
  const definition = { ...health, "tributary.v1": { fileDescriptorProtos } } as unknown as protoLoader.PackageDefinition;
  // With a guard (reflectionRequiresAuth), the handlers are wrapped as they are added.
  const target = guard
    ? ({
        addService: (service: ServiceDefinition, implementation: UntypedServiceImplementation) =>
          server.addService(service, guard(implementation)),
      } as unknown as Server)
    : server;
  new ReflectionService(definition).addToServer(target);
}
