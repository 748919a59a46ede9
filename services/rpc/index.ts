export { bindService, rawRequest, type BoundService, type ServiceImpl } from "./bind-service.js";
export { createServiceDefinition, type RawCodec } from "./service-definition.js";
export { toServiceError, reasonMetadataKey } from "./status.js";
export { addReflection } from "./reflection.js";
export { PartsMessage, wireLength } from "./parts-message.js";
