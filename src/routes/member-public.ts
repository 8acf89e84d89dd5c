import { Hono, type Context } from "hono";
import { clickDay, normalizeCode, referralLanding } from "../core/member";
import { loadConfig, type Env } from "../env";
import { ReferralPage } from "../member/referral-page";
import { codeReferrer, countClickStmt } from "../store/member";
import { rewardsWidgetScript } from "../widget/rewards-widget";

/** Public, unauthenticated routes of the member program: referral links and the embeddable widget's script. */

export const memberPublic = new Hono<{ Bindings: Env }>();

const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

function page(c: Context<{ Bindings: Env }>, status: 404 | 503, title: string, message: string) {
  c.header("content-security-policy", PAGE_CSP);
  c.header("cache-control", "no-store");
  return c.html(ReferralPage({ title, message }) as string | Promise<string>, status);
}

memberPublic.get("/r/:code", async (c) => {
  const code = normalizeCode(c.req.param("code"));
  const referrerId = code ? await codeReferrer(c.env.DB, code) : null;
  if (!code || !referrerId) return page(c, 404, "Referral link not found", "This referral link is not valid. Check the link you were sent, or ask the person who shared it for a new one.");
  const landing = loadConfig(c.env).REFERRAL_LANDING_URL;
  if (!landing) return page(c, 503, "Referral links are not set up yet", "This referral link is valid, but its destination is not configured (REFERRAL_LANDING_URL).");
  await countClickStmt(c.env.DB, code, clickDay(Date.now())).run();
  c.header("cache-control", "no-store");
  c.header("referrer-policy", "no-referrer");
  return c.redirect(referralLanding(landing, code), 302);
});

memberPublic.get("/widget.js", (c) => {
  return c.body(rewardsWidgetScript, 200, {
    "content-type": "text/javascript; charset=utf-8",
    "cache-control": "public, max-age=300",
    "cross-origin-resource-policy": "cross-origin",
    "x-content-type-options": "nosniff",
  });
});
