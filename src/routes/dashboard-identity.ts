import type { Hono } from "hono";
import { z } from "zod";
import { requireRole, requireSession, type DashEnv } from "../dashboard/auth";
import { callApi, type ApiHost } from "../dashboard/internal-api";
import { render } from "../dashboard/render";
import { UnmatchedPage, type IdentityConflict, type UnmatchedEvent } from "../dashboard/unmatched";
import { AppError } from "../errors";

/** Dashboard screens of identity repair: unmatched events with "link to customer", and the customer page's merge and unlink forms. */

const linkForm = z.object({
  key: z.string().regex(/^(stripe|hubspot|segment_group|account|domain):.+$/, "Pick a key to link."),
  customer: z.string().trim().min(1, "Name a customer id.").max(200),
});
const mergeForm = z.object({ from: z.string().trim().min(1, "Name the customer to merge in.").max(200), confirm: z.literal("yes", "Tick the confirmation to merge.") });
const unlinkForm = z.object({ kind: z.string().min(1).max(40), value: z.string().min(1).max(255) });

const NOTICES: Record<string, { kind: "ok" | "error"; text: string }> = {
  linked: { kind: "ok", text: "Linked; the events waiting for that key are being applied." },
};

/** The API's refusal, shown as the page it would be: same status, its message (the reason it gives). */
function refused(res: { status: number; json: any }): never {
  const status = res.status >= 400 && res.status < 600 ? res.status : 500;
  throw new AppError(status as 400, res.json?.error?.code ?? "failed", res.json?.error?.message ?? "The request failed; nothing was changed.");
}

export function mountIdentityRoutes(d: Hono<DashEnv>, host: ApiHost): void {
  d.get("/unmatched", requireSession, async (c) => {
    const [events, conflicts] = await Promise.all([callApi(host, c, "GET", "/api/unmatched?limit=200"), callApi(host, c, "GET", "/api/identity-conflicts?limit=200")]);
    if (events.status !== 200) refused(events);
    if (conflicts.status !== 200) refused(conflicts);
    const code = c.req.query("notice");
    return render(c, UnmatchedPage, {
      csrf: c.get("session").csrf,
      notice: code ? (NOTICES[code] ?? null) : null,
      events: events.json.events as UnmatchedEvent[],
      conflicts: conflicts.json.conflicts as IdentityConflict[],
    });
  });

  d.post("/unmatched/link", requireRole("admin"), async (c) => {
    const f = linkForm.parse(c.get("form"));
    const at = f.key.indexOf(":");
    const res = await callApi(host, c, "POST", `/api/customers/${encodeURIComponent(f.customer)}/links`, { kind: f.key.slice(0, at), value: f.key.slice(at + 1) });
    if (res.status !== 201) refused(res);
    return c.redirect("/unmatched?notice=linked", 303);
  });

  d.post("/customers/:id/merge", requireRole("admin"), async (c) => {
    const id = c.req.param("id");
    const f = mergeForm.parse(c.get("form"));
    const res = await callApi(host, c, "POST", `/api/customers/${encodeURIComponent(id)}/merge`, { from: f.from });
    if (res.status !== 200) refused(res);
    return c.redirect(`/customers/${encodeURIComponent(res.json.id)}`, 303);
  });

  d.post("/customers/:id/unlink", requireRole("admin"), async (c) => {
    const id = c.req.param("id");
    const f = unlinkForm.parse(c.get("form"));
    const res = await callApi(host, c, "DELETE", `/api/customers/${encodeURIComponent(id)}/links/${encodeURIComponent(f.kind)}/${encodeURIComponent(f.value)}`);
    if (res.status !== 200) refused(res);
    return c.redirect(`/customers/${encodeURIComponent(id)}`, 303);
  });
}
