import { Hono, type Context } from "hono";
import { z } from "zod";
import { tenureConfig } from "../config";
import { leaderboardPeriods, periodStart } from "../core/rewards";
import { loadConfig, type Env } from "../env";
import { notFound } from "../errors";
import { enqueue } from "../queues";
import { recordActivity, enroll, redeem } from "../rewards/points";
import { attributeManually, createReferralCode } from "../rewards/referrals";
import { customerLoyalty, leaderboard, loyaltySummary, referralMetrics, referrersOverview } from "../store/loyalty-api";
import { requireAdmin } from "./auth";
import { loyaltyManage } from "./loyalty-manage";

/** The loyalty program's admin API: referral codes and attribution, points, redemption, leaderboards. */

export const loyalty = new Hono<{ Bindings: Env }>();
loyalty.use("*", requireAdmin);
loyalty.route("/", loyaltyManage);

const id = z.string().min(1).max(200);
const body = async <T>(req: { json: () => Promise<unknown> }, schema: z.ZodType<T>) => schema.parse(await req.json().catch(() => ({})));
const rulesOf = (env: Env) => tenureConfig(loadConfig(env).TENURE_CONFIG);
const later = (c: Context<{ Bindings: Env }>, ids: string[]) => {
  if (ids.length) c.executionCtx.waitUntil(enqueue(c.env.ACTIONS, ids.map((actionId) => ({ actionId }))));
};

loyalty.post("/referrals/codes", async (c) => {
  const { customerId } = await body(c.req, z.object({ customerId: id }));
  const { created, code } = await createReferralCode(c.env.DB, rulesOf(c.env), customerId, Date.now());
  if (created) later(c, [code.actionId]);
  return c.json(code, created ? 201 : 200);
});

loyalty.post("/referrals", async (c) => {
  const { referrerId, referredId } = await body(c.req, z.object({ referrerId: id, referredId: id }));
  const { referral, actionIds } = await attributeManually(c.env.DB, rulesOf(c.env), referrerId, referredId, Date.now());
  later(c, actionIds);
  return c.json({ referral }, 201);
});

loyalty.get("/referrals", async (c) => {
  const q = z.object({ referrerId: id.optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }).parse(c.req.query());
  if (q.referrerId) return c.json(await referralMetrics(c.env.DB, q.referrerId, q.limit));
  return c.json({ referrers: await referrersOverview(c.env.DB, q.limit) });
});

loyalty.post("/loyalty/events", async (c) => {
  const a = await body(c.req, z.object({ customerId: id, kind: z.string().min(1).max(64), ref: z.string().min(1).max(200) }));
  const r = await recordActivity(c.env.DB, rulesOf(c.env), a, Date.now());
  return c.json(r, r.created ? 201 : 200);
});

loyalty.post("/loyalty/enroll", async (c) => {
  const { customerId } = await body(c.req, z.object({ customerId: id }));
  const r = await enroll(c.env.DB, customerId, Date.now());
  return c.json(r, r.created ? 201 : 200);
});

loyalty.post("/loyalty/redeem", async (c) => {
  const req = await body(c.req, z.object({ customerId: id, points: z.number(), idempotencyKey: z.string().optional() }));
  const r = await redeem(c.env.DB, rulesOf(c.env), req, Date.now());
  if (r.created) later(c, [r.actionId]);
  return c.json(r, r.created ? 201 : 200);
});

loyalty.get("/loyalty/leaderboard", async (c) => {
  const q = z.object({ period: z.enum(leaderboardPeriods).default("month"), limit: z.coerce.number().int().min(1).max(100).default(10) }).parse(c.req.query());
  const now = Date.now();
  const since = periodStart(q.period, now);
  return c.json({ period: q.period, since, ...(await leaderboard(c.env.DB, since, q.limit)) });
});

loyalty.get("/loyalty/summary", async (c) => c.json(await loyaltySummary(c.env.DB)));

loyalty.get("/loyalty/customers/:id", async (c) => {
  const found = await customerLoyalty(c.env.DB, c.req.param("id"));
  if (!found) throw notFound(`Customer ${c.req.param("id")}`);
  return c.json(found);
});
