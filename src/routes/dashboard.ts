import { Hono, type Context } from "hono";
import { z, ZodError } from "zod";
import { tenureConfig } from "../config";
import { currentSession, login, logout, requireRole, requireSession, showLogin, type DashEnv } from "../dashboard/auth";
import { CustomerPage } from "../dashboard/customer";
import { ErrorPage } from "../dashboard/error";
import { customerCharts, customerWindowDays } from "../dashboard/customer-charts";
import { callApi, hasRoute, type ApiHost } from "../dashboard/internal-api";
import { noticeFrom, safeBack, withNotice } from "../dashboard/notices";
import { OutboxPage, outboxStatuses } from "../dashboard/outbox";
import { OverviewPage } from "../dashboard/overview";
import { loadOverview, overviewQuery } from "../dashboard/overview-load";
import { PortfolioPage } from "../dashboard/portfolio";
import { WorklistPage } from "../dashboard/worklist";
import { loadWorklist, worklistQuery } from "../dashboard/worklist-load";
import { render } from "../dashboard/render";
import { loadConfig } from "../env";
import { AppError, notFound } from "../errors";
import { errorFields, log } from "../log";
import { customerDetail, customerNames, outboxCounts, outboxRows, portfolioPage, portfolioSorts } from "../store/dashboard";
import { countFailed } from "../store/inbox";
import { customerRewards } from "../store/loyalty-dashboard";
import { mountAlertRoutes } from "./dashboard-alerts";
import { mountLoyaltyRoutes } from "./loyalty-dashboard";
import { mountIdentityRoutes } from "./dashboard-identity";
import { mergedInto } from "../store/merge";
import { mountModelRoutes } from "./model-dashboard";

const DAY = 86_400_000;

const cfgOf = (c: Context<DashEnv>) => tenureConfig(loadConfig(c.env).TENURE_CONFIG);
const notice = (c: Context<DashEnv>) => noticeFrom(c.req.query());

const portfolioQuery = z.object({
  sort: z.enum(portfolioSorts).catch("score").default("score"),
  dir: z.enum(["asc", "desc"]).catch("asc").default("asc"),
  band: z.enum(["green", "yellow", "red"]).optional().catch(undefined),
  stage: z.enum(["awareness", "conversion", "purchase", "onboarding", "renewal", "loyalty", "churned"]).optional().catch(undefined),
  offset: z.coerce.number().int().min(0).catch(0).default(0),
});

/** The server-rendered dashboard. `host` is the app it is mounted in: forms call its admin API in-process. */
export function dashboard(host: ApiHost) {
  const d = new Hono<DashEnv>();

  // People read these errors in a browser: the same statuses as the API, as a page.
  d.onError((err, c) => {
    const requestId = c.req.header("cf-ray") ?? undefined;
    if (err instanceof AppError) return render(c, ErrorPage, { status: err.status, message: err.message, requestId }, err.status);
    if (err instanceof ZodError) return render(c, ErrorPage, { status: 400, message: err.issues[0]?.message ?? "Invalid input.", requestId }, 400);
    log("error", "dashboard error", { ...errorFields(err), path: new URL(c.req.url).pathname });
    return render(c, ErrorPage, { status: 500, message: "The dashboard could not complete this request; it was logged.", requestId }, 500);
  });

  d.get("/", async (c) => {
    const session = await currentSession(c);
    if (!session) return showLogin(c);
    const data = await loadWorklist(c.env.DB, worklistQuery.parse(c.req.query()), cfgOf(c).health.relationship.ownerProperty, Date.now(), session.person.email);
    return render(c, WorklistPage, { csrf: session.csrf, notice: notice(c), ...data });
  });

  d.get("/overview", requireSession, async (c) => {
    const o = await loadOverview(c.env.DB, overviewQuery.parse(c.req.query()), cfgOf(c).lifecycle, Date.now());
    return render(c, OverviewPage, { csrf: c.get("session").csrf, notice: o.problem ? { kind: "error", text: o.problem } : notice(c), ...o });
  });

  d.post("/login", login);
  d.post("/logout", requireSession, logout);

  d.get("/portfolio", requireSession, async (c) => {
    const q = { ...portfolioQuery.parse(c.req.query()), limit: 100, ownerProperty: cfgOf(c).health.relationship.ownerProperty };
    const { rows, total } = await portfolioPage(c.env.DB, q);
    return render(c, PortfolioPage, { csrf: c.get("session").csrf, notice: notice(c), q, rows, total });
  });

  d.get("/customers/:id", requireSession, async (c) => {
    const now = Date.now();
    const detail = await customerDetail(c.env.DB, c.req.param("id"), now - 365 * DAY);
    if (!detail) {
      const merged = await mergedInto(c.env.DB, c.req.param("id"));
      if (merged) return c.redirect(`/customers/${encodeURIComponent(merged.survivorId)}`, 308);
      throw notFound(`Customer ${c.req.param("id")}`);
    }
    const rewards = await customerRewards(c.env.DB, detail.id);
    return render(c, CustomerPage, { csrf: c.get("session").csrf, notice: notice(c), c: detail, rewards, charts: customerCharts(detail, now, customerWindowDays(c.req.query("days"))) });
  });

  mountAlertRoutes(d);

  d.get("/outbox", requireSession, async (c) => {
    const status = (outboxStatuses as readonly string[]).includes(c.req.query("status") ?? "") ? c.req.query("status")! : null;
    const [actions, counts] = await Promise.all([outboxRows(c.env.DB, { statuses: status ? [status] : ["failed", "dead", "pending"], limit: 200 }), outboxCounts(c.env.DB)]);
    const names = await customerNames(c.env.DB, actions.flatMap((a) => (a.customerId ? [a.customerId] : [])));
    const failedEvents = hasRoute(host, "POST", "/api/events/redrive") ? await countFailed(c.env.DB) : null;
    return render(c, OutboxPage, { csrf: c.get("session").csrf, notice: notice(c), status, counts, actions, names, replay: hasRoute(host, "POST", "/api/actions/replay"), failedEvents });
  });

  d.post("/outbox/redrive-events", requireRole("admin"), async (c) => {
    if (!hasRoute(host, "POST", "/api/events/redrive")) throw notFound("Re-drive");
    const source = c.get("form").source || undefined;
    const res = await callApi(host, c, "POST", "/api/events/redrive", source ? { source } : {});
    const ok = res.status === 202;
    return c.redirect(withNotice("/outbox", ok ? { notice: "redriven", n: Number(res.json?.redriven ?? 0), more: res.json?.more ? 1 : 0 } : { notice: "failed" }), 303);
  });

  d.post("/outbox/:id/retry", requireRole("admin"), async (c) => {
    const id = c.req.param("id");
    const back = safeBack(c.get("form").back, "/outbox");
    const res = await callApi(host, c, "POST", `/api/actions/${encodeURIComponent(id)}/retry`);
    const code = res.status === 202 ? "requeued" : res.status === 409 ? "delivered" : res.status === 404 ? "missing" : "failed";
    return c.redirect(withNotice(back, { notice: code, id }), 303);
  });

  d.post("/outbox/replay", requireRole("admin"), async (c) => {
    if (!hasRoute(host, "POST", "/api/actions/replay")) throw notFound("Replay");
    const f = c.get("form");
    const utc = (v: string | undefined) => (v ? Date.parse(/Z$|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`) : undefined);
    const body = { from: utc(f.from), to: utc(f.to), destination: f.destination || undefined, status: f.status || undefined };
    const res = await callApi(host, c, "POST", "/api/actions/replay", body);
    return c.redirect(withNotice("/outbox", res.status === 202 ? { notice: "replayed", n: Number(res.json?.replayed ?? 0) } : { notice: "failed" }), 303);
  });

  mountLoyaltyRoutes(d, host);
  mountModelRoutes(d, host);
  mountIdentityRoutes(d, host);

  return d;
}
