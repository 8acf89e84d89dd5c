import { Hono } from "hono";
import { z } from "zod";
import { tenureConfig } from "../config";
import { loadConfig, type Env } from "../env";
import { approveClaim, rejectClaim } from "../member/claims";
import { approveBodySchema, claimsQuerySchema, rejectBodySchema } from "../member/schemas";
import { listClaims } from "../store/member-claims";
import { requireAdmin } from "./auth";

/** The program manager's side of member claims (admin API): list, approve, reject; each decision records its actor. */

export const memberClaimsAdmin = new Hono<{ Bindings: Env }>();
memberClaimsAdmin.use("*", requireAdmin);

/** The admin token is one secret shared by its holders; a caller may name the person acting, recorded with the token. */
const TOKEN_ACTOR = "admin (token)";
const actorOf = (named: string | undefined) => (named ? `${named} via ${TOKEN_ACTOR}` : TOKEN_ACTOR);

const claimId = z.string().regex(/^claim_[0-9a-f-]{36}$/, "not a claim id");

const body = async <T>(req: { json: () => Promise<unknown> }, schema: z.ZodType<T>) => schema.parse(await req.json().catch(() => ({})));

memberClaimsAdmin.get("/loyalty/claims", async (c) => c.json({ claims: await listClaims(c.env.DB, claimsQuerySchema.parse(c.req.query())) }));

memberClaimsAdmin.post("/loyalty/claims/:id/approve", async (c) => {
  const id = claimId.parse(c.req.param("id"));
  const { actor } = await body(c.req, approveBodySchema);
  const cfg = tenureConfig(loadConfig(c.env).TENURE_CONFIG);
  return c.json({ claim: await approveClaim(c.env.DB, cfg, id, actorOf(actor), Date.now()) });
});

memberClaimsAdmin.post("/loyalty/claims/:id/reject", async (c) => {
  const id = claimId.parse(c.req.param("id"));
  const { actor, reason } = await body(c.req, rejectBodySchema);
  return c.json({ claim: await rejectClaim(c.env.DB, id, actorOf(actor), reason, Date.now()) });
});
