import { Hono, type Context } from "hono";
import { sources } from "../../webhooks/registry";
import { SignatureError } from "../../webhooks/signature";
import type { Delivery, WebhookSource } from "../../webhooks/source";
import { normalizedEventSchema, type SourceName } from "../core/events";
import { HOUR, timeProblems } from "../core/time";
import { loadConfig, type Config, type Env } from "../env";
import { AppError } from "../errors";
import { log } from "../log";
import { inboxRow } from "../store/inbox";
import { commitDeliveries, expectDelivery, type Arrival } from "../store/inbox-writer";
import { readLimited } from "../body";
import type { AppVars } from "../app";

export const MAX_BODY_BYTES = 256 * 1024;

type WebhookEnv = { Bindings: Env; Variables: AppVars };

export const webhooks = new Hono<WebhookEnv>();

webhooks.post("/:source", async (c) => {
  const name = c.req.param("source");
  const source = Object.hasOwn(sources, name) ? sources[name as SourceName] : undefined;
  if (!source) throw new AppError(404, "unknown_source", `No webhook source named "${name}". Known: ${Object.keys(sources).join(", ")}.`);
  const cfg = loadConfig(c.env);
  const secret = cfg[source.secret] as string | undefined;
  if (!secret) {
    throw new AppError(503, "source_not_configured", `The ${name} source is disabled: set the ${source.secret} secret to accept its webhooks.`, { secret: source.secret });
  }

  const arrival = expectDelivery(c.env.DB);
  try {
    return await accept(c, source, cfg, secret, arrival);
  } finally {
    arrival.release();
  }
});

/** Verifies, parses and durably stores one delivery; answers only once its rows are committed. */
async function accept(c: Context<WebhookEnv>, source: WebhookSource<unknown>, cfg: Config, secret: string, arrival: Arrival): Promise<Response> {
  const name = source.name;
  const raw = await readLimited(c.req.raw, MAX_BODY_BYTES);
  const now = Date.now();
  const url = new URL(c.req.url);
  const publicUrl = cfg.PUBLIC_URL ? `${cfg.PUBLIC_URL}${url.pathname}${url.search}` : c.req.url;
  try {
    await source.verify({ rawBody: raw, headers: c.req.raw.headers, method: c.req.method, url: publicUrl, now, secret });
  } catch (err) {
    if (err instanceof SignatureError) throw new AppError(401, "invalid_signature", err.message, { reason: err.reason });
    throw err;
  }

  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new AppError(400, "invalid_json", "The body is signed but is not valid JSON.");
  }
  const parsed = source.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    log("warn", "signed webhook failed its schema", { source: name, path: issue.path.join("."), requestId: c.get("requestId") });
    throw new AppError(400, "invalid_payload", `The ${name} payload does not match its schema at "${pathOf(issue.path)}": ${issue.message}`, {
      path: pathOf(issue.path),
    });
  }

  const deliveries = source.normalize(parsed.data, raw, { now });
  assertUsable(name, deliveries, now, cfg.MAX_EVENT_FUTURE_HOURS * HOUR);
  const rows = deliveries.map((d) => inboxRow(source.name, d, now, c.get("requestId")));
  const inserted = await commitDeliveries(
    {
      db: c.env.DB,
      // After the commit; a lost enqueue is recovered by the sweeper.
      enqueue: (ids) =>
        c.env.EVENTS.sendBatch(ids.map((eventId) => ({ body: { eventId } }))).catch((err: unknown) =>
          log("warn", "enqueue failed; the sweeper will pick these up", { count: ids.length, error: String(err) }),
        ),
      waitUntil: (p) => c.executionCtx.waitUntil(p),
    },
    rows,
    arrival,
  );
  log("info", "webhook accepted", { source: name, deliveries: rows.length, new: inserted.length, requestId: c.get("requestId") });
  return c.json({
    received: rows.length,
    duplicates: rows.length - inserted.length,
    ignored: rows.filter((r) => r.status === "ignored").length,
  });
}

/** Refuses the whole request (nothing is stored) when any normalized event breaks its schema or carries an implausible time. */
function assertUsable(name: SourceName, deliveries: Delivery[], now: number, maxFutureMs: number): void {
  for (const d of deliveries) {
    for (const ev of d.events) {
      // Times first, so that a negative or non-finite time is named as a time rather than as a schema mismatch.
      const [problem] = timeProblems(ev, now, maxFutureMs);
      if (problem) {
        throw new AppError(400, "time_out_of_range", `The ${name} payload has a time Tenure cannot use at "${problem.path}": ${problem.message}.`, { path: problem.path });
      }
      const ok = normalizedEventSchema.safeParse(ev);
      if (!ok.success) {
        const issue = ok.error.issues[0]!;
        throw new AppError(400, "invalid_payload", `The ${name} payload has a value Tenure cannot use at "${pathOf(issue.path)}": ${issue.message}`, { path: pathOf(issue.path) });
      }
    }
  }
}

function pathOf(path: PropertyKey[]): string {
  return path.length === 0 ? "(root)" : path.map(String).join(".");
}
