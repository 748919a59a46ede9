export {
  bindService,
  parsedRequest,
  pipelinedRequests,
  type BoundService,
  type RawMessage,
  type ServiceImpl,
  type StreamHandler,
  type UnaryHandler,
} from "./bind-service.js";
export type { CallOrigin, HandlerContext, RequestHeaders, StreamSink } from "./context.js";
export { authenticateFirst } from "./authenticate-first.js";
export { beforeBodyInterceptor, http2ServersOf, setHttp2Settings } from "./grpc-internals.js";
export { createServiceDefinition, type MethodCodec } from "./service-definition.js";
export { methodRequestLimits, type RequestLimits } from "./request-limits.js";
export { scanRequest } from "./request-scan.js";
export { codeName, GrpcCode, toServiceError, reasonMetadataKey, type ServiceError } from "./status.js";
export { pipelineMaxInFlight, PipelinedStreams, type PipelineCodec, type PipelineError, type PipelineOutcome } from "./pipelined-stream.js";
export { addReflection } from "./reflection.js";
export { PartsMessage, wireLength } from "./parts-message.js";
export { RpcClient, type BidiEnd, type BidiStream, type RpcClientOptions } from "./bidi-client.js";
export type { BidiHandler } from "./bind-service.js";
