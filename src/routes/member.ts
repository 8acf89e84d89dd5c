import { Hono, type Context } from "hono";
import { z } from "zod";
import { tenureConfig } from "../config";
import { rewardsFor } from "../core/member";
import { loadConfig, type Env } from "../env";
import { enqueue } from "../jobs/enqueue";
import { requireMember, type MemberVars } from "../member/auth";
import { submitMemberClaim } from "../member/claims";
import { memberCors } from "../member/cors";
import { claimBodySchema, historyQuerySchema, redemptionBodySchema } from "../member/schemas";
import { buildOverview } from "../member/overview";
import { redeemReward } from "../member/redeem";
import { memberHistory } from "../store/member";
import { listClaims } from "../store/member-claims";

/**
 * The member API (/member/*): what a customer's own users see of the loyalty program, called from the
 * SaaS's pages by the <tenure-rewards> widget with a member token. Every answer is about the token's account only.
 */

type Ctx = Context<{ Bindings: Env; Variables: MemberVars }>;

export const member = new Hono<{ Bindings: Env; Variables: MemberVars }>();
member.use("*", memberCors);
member.use("*", requireMember);

const rulesOf = (env: Env) => tenureConfig(loadConfig(env).TENURE_CONFIG);
const baseUrlOf = (c: Ctx) => loadConfig(c.env).PUBLIC_URL ?? new URL(c.req.url).origin;
const later = (c: Ctx, ids: string[]) => {
  if (ids.length) c.executionCtx.waitUntil(enqueue(c.env.ACTIONS, ids.map((actionId) => ({ actionId }))));
};
const body = async <T>(c: Ctx, schema: z.ZodType<T>) => schema.parse(await c.req.json().catch(() => ({})));

member.get("/me", async (c) => {
  const { account } = c.get("member");
  const { body: me, queued } = await buildOverview(c.env.DB, rulesOf(c.env), account, baseUrlOf(c), Date.now());
  later(c, queued);
  return c.json(me);
});

member.get("/history", async (c) => {
  const q = historyQuerySchema.parse(c.req.query());
  const dot = q.cursor?.indexOf(".") ?? -1;
  const after = q.cursor ? { at: Number(q.cursor.slice(0, dot)), id: q.cursor.slice(dot + 1) } : null;
  const entries = await memberHistory(c.env.DB, c.get("member").account.id, q.limit, after);
  const last = entries.length === q.limit ? entries.at(-1) : undefined;
  return c.json({ entries, next: last ? `${last.at}.${last.id}` : null });
});

member.get("/rewards", (c) => c.json({ rewards: rewardsFor(c.get("member").account.currency, rulesOf(c.env).rewards) }));

member.post("/redemptions", async (c) => {
  const req = await body(c, redemptionBodySchema);
  const r = await redeemReward(c.env.DB, rulesOf(c.env), c.get("member").account, req, Date.now());
  if (r.created) later(c, [r.body.redemptionId]);
  return c.json(r.body, r.created ? 201 : 200);
});

member.post("/claims", async (c) => {
  const req = await body(c, claimBodySchema);
  const { account, userId } = c.get("member");
  const r = await submitMemberClaim(c.env.DB, { customerId: account.id, userId, kind: req.kind, url: req.url }, Date.now());
  return c.json({ claim: publicClaim(r.claim) }, r.created ? 201 : 200);
});

member.get("/claims", async (c) => {
  const claims = await listClaims(c.env.DB, { customerId: c.get("member").account.id, limit: 50 });
  return c.json({ claims: claims.map(publicClaim) });
});

/** What a member sees of their claim: not who decided it. */
function publicClaim(c: { id: string; kind: string; url: string; status: string; reason: string | null; createdAt: number; decidedAt: number | null }) {
  return { id: c.id, kind: c.kind, url: c.url, status: c.status, reason: c.reason, createdAt: c.createdAt, decidedAt: c.decidedAt };
}
