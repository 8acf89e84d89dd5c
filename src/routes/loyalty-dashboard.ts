import type { Context, Hono } from "hono";
import { z } from "zod";
import { requireRole, requireSession, type DashEnv } from "../dashboard/auth";
import { callApi, type ApiHost } from "../dashboard/internal-api";
import type { Notice } from "../dashboard/layout";
import { LoyaltyPage } from "../dashboard/loyalty";
import { render } from "../dashboard/render";
import { tenureConfig } from "../config";
import { roleAllows } from "../core/roles";
import { loadConfig } from "../env";
import { AppError } from "../errors";
import { listAudit, loyaltyFunnels } from "../store/loyalty-manage";
import { loyaltyOverview } from "../store/loyalty-dashboard";
import { actingAs } from "./loyalty-manage";

/** The Loyalty page and its program manager forms, which post to the admin API in-process as the signed-in person. */

const requestId = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, "The form is stale; reload the page.");
const adjustForm = z.object({
  customer: z.string().trim().min(1, "Name a customer id.").max(200),
  points: z.string().trim().regex(/^[+-]?\d{1,7}$/, "Points: a whole number, negative to take points away."),
  reason: z.string().trim().min(1, "Say why.").max(500),
  requestId,
});
const redeemForm = z.object({ customer: z.string().trim().min(1, "Name a customer id.").max(200), reward: z.string().min(1).max(40), requestId });

/** Calls the admin API in-process, with the person as the audit's actor. */
const callAs = (host: ApiHost, c: Context<DashEnv>, path: string, body: unknown) =>
  callApi(host, c, "POST", path, body, (r) => actingAs(r, c.get("session").person.actor));

function refused(res: { status: number; json: any }): never {
  const status = res.status >= 400 && res.status < 600 ? res.status : 500;
  throw new AppError(status as 400, res.json?.error?.code ?? "failed", res.json?.error?.message ?? "The request failed; nothing was changed.");
}

/** The notice after a form: fixed codes in the URL, never free text. */
const NOTICES: Record<string, Notice> = {
  adjusted: { kind: "ok", text: "Balance adjusted; it is in the audit below." },
  redeemed: { kind: "ok", text: "Reward redeemed; the Stripe credit is queued." },
};

export function mountLoyaltyRoutes(d: Hono<DashEnv>, host: ApiHost): void {
  d.get("/loyalty", requireSession, async (c) => {
    const [data, funnels, audit] = await Promise.all([loyaltyOverview(c.env.DB), loyaltyFunnels(c.env.DB).catch(() => null), listAudit(c.env.DB, 50).catch(() => null)]);
    const session = c.get("session");
    return render(c, LoyaltyPage, {
      csrf: session.csrf,
      notice: NOTICES[c.req.query("notice") ?? ""] ?? null,
      data,
      manager: funnels && audit ? { funnels, audit, canAct: roleAllows(session.person.role, "admin"), requestId: crypto.randomUUID(), catalogue: tenureConfig(loadConfig(c.env).TENURE_CONFIG).rewards.catalogue } : null,
    });
  });

  d.post("/loyalty/adjust", requireRole("admin"), async (c) => {
    const f = adjustForm.parse(c.get("form"));
    const res = await callAs(host, c, "/api/loyalty/adjustments", { customerId: f.customer, points: Number(f.points), reason: f.reason, requestId: f.requestId });
    if (res.status !== 201 && res.status !== 200) refused(res);
    return c.redirect("/loyalty?notice=adjusted", 303);
  });

  d.post("/loyalty/redeem", requireRole("admin"), async (c) => {
    const f = redeemForm.parse(c.get("form"));
    const res = await callAs(host, c, "/api/loyalty/redemptions", { customerId: f.customer, rewardId: f.reward, requestId: f.requestId });
    if (res.status !== 201 && res.status !== 200) refused(res);
    return c.redirect("/loyalty?notice=redeemed", 303);
  });
}
