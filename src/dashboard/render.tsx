import type { Context } from "hono";
import type { FC } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Person } from "./auth";
import { PersonContext } from "./layout";

/** Headers every dashboard page carries: nothing runs but our own markup, nothing is cached or framed. */
export function pageHeaders(c: Context): void {
  c.header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "same-origin");
  c.header("cache-control", "no-store");
}

/** Renders a page component with the dashboard's security headers. */
export function render<P extends object>(c: Context, Page: FC<P>, props: P, status: ContentfulStatusCode = 200) {
  pageHeaders(c);
  const person = (c.get("session") as { person?: Person } | undefined)?.person ?? null;
  return c.html(
    <PersonContext.Provider value={person}>
      <Page {...props} />
    </PersonContext.Provider>,
    status,
  );
}
