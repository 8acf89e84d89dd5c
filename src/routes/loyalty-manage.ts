import { Hono, type Context } from "hono";
import { z } from "zod";
import { tenureConfig } from "../config";
import { loadConfig, type Env } from "../env";
import { enqueue } from "../jobs/enqueue";
import { adjustBalance, redeemOnBehalf } from "../rewards/manage";
import { listAudit, loyaltyFunnels } from "../store/loyalty-manage";
import { requireAdmin } from "./auth";

/** The program manager's admin API: balance adjustments, redemptions on a member's behalf, funnels, the audit. */

export const loyaltyManage = new Hono<{ Bindings: Env }>();
loyaltyManage.use("*", requireAdmin);

/**
 * The dashboard's forms call this API in-process for a signed-in person; their actor (the Access email) rides
 * on the request object, which no outside caller can reach. A bearer-token caller is "admin token", with the
 * name it gives, since the token is one secret its holders share.
 */
const inProcessActors = new WeakMap<Request, string>();
export function actingAs(request: Request, actor: string): Request {
  inProcessActors.set(request, actor);
  return request;
}
const actorOf = (c: Context<{ Bindings: Env }>, named: string | undefined) => inProcessActors.get(c.req.raw) ?? (named ? `${named} via admin token` : "admin token");

const customerId = z.string().min(1).max(200);
const requestId = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, "requestId: 1–100 of letters, digits, _ . : -");
const actor = z.string().trim().min(1).max(200).optional();
export const adjustBodySchema = z.object({
  customerId,
  points: z.number().int().min(-1_000_000).max(1_000_000).refine((n) => n !== 0, "points: a non-zero whole number"),
  reason: z.string().trim().min(1, "reason: say why").max(500),
  requestId,
  actor,
});
export const redeemBodySchema = z.object({ customerId, rewardId: z.string().min(1).max(40), requestId, actor });
export const auditQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), customerId: customerId.optional() });

const body = async <T>(req: { json: () => Promise<unknown> }, schema: z.ZodType<T>) => schema.parse(await req.json().catch(() => ({})));
const rulesOf = (env: Env) => tenureConfig(loadConfig(env).TENURE_CONFIG);

loyaltyManage.post("/loyalty/adjustments", async (c) => {
  const req = await body(c.req, adjustBodySchema);
  const r = await adjustBalance(c.env.DB, rulesOf(c.env), req, actorOf(c, req.actor), Date.now());
  return c.json(r.body, r.created ? 201 : 200);
});

loyaltyManage.post("/loyalty/redemptions", async (c) => {
  const req = await body(c.req, redeemBodySchema);
  const r = await redeemOnBehalf(c.env.DB, rulesOf(c.env), req, actorOf(c, req.actor), Date.now());
  if (r.created) c.executionCtx.waitUntil(enqueue(c.env.ACTIONS, [{ actionId: r.body.redemptionId }]));
  return c.json(r.body, r.created ? 201 : 200);
});

loyaltyManage.get("/loyalty/funnels", async (c) => c.json(await loyaltyFunnels(c.env.DB)));

loyaltyManage.get("/loyalty/audit", async (c) => {
  const q = auditQuerySchema.parse(c.req.query());
  return c.json({ audit: await listAudit(c.env.DB, q.limit, q.customerId ?? null) });
});
