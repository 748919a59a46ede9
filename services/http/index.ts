export { startHttpServer, type HttpEndpoints } from "./http-server.js";
