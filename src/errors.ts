import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The one error type: a machine-readable code, an HTTP status, and whether a retry could succeed. */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly retry = false,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const notFound = (what: string) => new AppError(404, "not_found", `${what} not found`);
export const badRequest = (message: string, details: Record<string, unknown> = {}) => new AppError(400, "bad_request", message, details);
