export { startHttpServer } from "./http-server.js";
