export { HTTP_STATUS, httpStatusOf, ServerError, type ServerErrorCode } from "./errors.js";
export { ErrorBody } from "./schemas.js";
export { type RateLimit, type ServerOptions, startServer, type ZkirisServer } from "./server.js";
export { WEB_PREFIX, type WebOptions } from "./web.js";
