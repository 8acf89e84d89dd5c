import type { Context } from "hono";
import type { Env } from "../env";
import { admitInProcess } from "../routes/auth";

/** The app the dashboard is mounted in: its forms call the same admin API handlers a script would. */
export interface ApiHost {
  fetch: (request: Request, env: Env, ctx?: ExecutionContext) => Response | Promise<Response>;
  routes: readonly { method: string; path: string }[];
}

export function hasRoute(host: ApiHost, method: string, path: string): boolean {
  return host.routes.some((r) => r.method === method && r.path === path);
}

/**
 * Calls an admin API route in-process; the caller's guard already proved the session, its CSRF token and its
 * role, so the request is admitted without a token (Access deployments need no ADMIN_TOKEN for the dashboard).
 */
export async function callApi(
  host: ApiHost,
  c: Context<any>,
  method: string,
  path: string,
  body?: unknown,
  /** Marks the admitted request further, e.g. with the person acting (the loyalty audit's actor). */
  mark: (r: Request) => Request = (r) => r,
): Promise<{ status: number; json: any }> {
  const admitted = admitInProcess(
    new Request(new URL(path, c.req.url), {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
  const request = mark(admitted);
  let ctx: ExecutionContext | undefined;
  try {
    ctx = c.executionCtx as unknown as ExecutionContext;
  } catch {
    ctx = undefined;
  }
  const res = await host.fetch(request, c.env, ctx);
  return { status: res.status, json: await res.json().catch(() => null) };
}
