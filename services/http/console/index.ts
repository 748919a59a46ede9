export { consoleCredentials, type ConsoleCredentials } from "./console-credentials.js";
export { createConsoleHandler, consolePrefix, consoleAssetsDir, type ConsoleHandler, type ConsoleHandlerOptions } from "./console-handler.js";
export { ConsoleApi, type ApiRequest, type ApiResponse } from "./console-api.js";
export { ConsoleRequestError, toHttpError, type ErrorBody } from "./http-error.js";
export { HostCheck, validateAllowedHosts } from "./host-check.js";
