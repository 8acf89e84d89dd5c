import { Hono } from "hono";
import { ZodError } from "zod";
import { ConfigError, loadConfig, secretValues, type Env } from "./env";
import { AppError } from "./errors";
import { configureLog, errorFields, log } from "./log";
import { admin } from "./routes/admin";
import { customersMerge } from "./routes/customers-merge";
import { loyalty } from "./routes/loyalty";
import { member } from "./routes/member";
import { memberClaimsAdmin } from "./routes/member-claims-admin";
import { memberPublic } from "./routes/member-public";
import { backfill } from "./routes/backfill";
import { dashboard } from "./routes/dashboard";
import { metrics } from "./routes/metrics";
import { alertsNoise } from "./routes/alerts-noise";
import { model } from "./routes/model";
import { setup } from "./routes/setup";
import { openapi } from "./routes/openapi";
import { plugins } from "./routes/plugins";
import { redrive } from "./routes/redrive";
import { status } from "./routes/status";
import { slack } from "./routes/slack";
import { webhooks } from "./routes/webhooks";

export type AppVars = { requestId: string };

export const app = new Hono<{ Bindings: Env; Variables: AppVars }>();

app.use("*", async (c, next) => {
  c.set("requestId", c.req.header("cf-ray") ?? crypto.randomUUID());
  const cfg = loadConfig(c.env);
  configureLog({ secrets: secretValues(cfg), level: cfg.LOG_LEVEL });
  await next();
  c.header("x-request-id", c.get("requestId"));
});

app.route("/", status);
app.route("/", openapi);
app.route("/webhooks", webhooks);
app.route("/slack", slack);
app.route("/api", admin);
app.route("/api", customersMerge);
app.route("/api", redrive);
app.route("/api", loyalty);
app.route("/api", memberClaimsAdmin);
app.route("/member", member);
app.route("/", memberPublic);
app.route("/api/backfill", backfill);
app.route("/api", model);
app.route("/api", setup);
app.route("/api", metrics);
app.route("/api", alertsNoise);
app.route("/api", plugins);
app.route("/", dashboard(app));

app.notFound((c) => c.json({ error: { code: "not_found", message: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));

/** The one place errors become HTTP responses. */
app.onError((err, c) => {
  const requestId = c.get("requestId");
  if (err instanceof AppError) {
    return c.json({ error: { code: err.code, message: err.message, ...err.details, requestId } }, err.status);
  }
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    return c.json({ error: { code: "bad_request", message: issue?.message ?? "invalid input", path: issue?.path.join(".") ?? "", requestId } }, 400);
  }
  if (err instanceof ConfigError) {
    log("error", "configuration error", { ...errorFields(err), requestId });
    return c.json({ error: { code: "config_error", message: err.message, requestId } }, 503);
  }
  log("error", "unhandled error", { ...errorFields(err), requestId, path: new URL(c.req.url).pathname });
  return c.json({ error: { code: "internal", message: "Tenure could not complete this request; it was logged.", requestId } }, 500);
});
