import type { Hono } from "hono";
import { z } from "zod";
import { slackAlertSchema, type Action } from "../core/actions";
import { AlertsPage } from "../dashboard/alerts";
import { requireRole, requireSession, type DashEnv } from "../dashboard/auth";
import { safeBack, noticeFrom, withNotice } from "../dashboard/notices";
import { render } from "../dashboard/render";
import { enqueue } from "../jobs/enqueue";
import { activityFor, NOTE_MAX } from "../store/alert-activity";
import { ALERT_STATUSES, listAlerts } from "../store/alert-list";
import { recordAlertRemark, recordAlertResponse, type StoredAlert } from "../store/alerts";
import { insertActionStmts } from "../store/outbox";

const DAY = 86_400_000;
const PAGE_SIZE = 50;

const blankToUndefined = (v: string | undefined) => (v ? v : undefined);

const alertsQuery = z.object({
  rule: slackAlertSchema.shape.rule.optional().catch(undefined),
  status: z.enum(ALERT_STATUSES).optional().catch(undefined),
  owner: z.string().trim().max(200).optional().transform(blankToUndefined).catch(undefined),
  offset: z.coerce.number().int().min(0).max(1_000_000).catch(0).default(0),
});

const snoozeForm = z.object({ days: z.enum(["1", "7"]).transform(Number) });
const assignForm = z.object({ owner: z.string().trim().min(1, "Name an owner.").max(200) });
const noteForm = z.object({ note: z.string().trim().min(1, "Write a note.").max(NOTE_MAX, `A note is at most ${NOTE_MAX} characters.`) });

/**
 * The outbox row that rewrites the posted Slack message, keyed by the activity so a replay adds nothing.
 * An alert that failed to post has no message to update. `queued` says whether the row was written.
 */
function slackUpdate(db: D1Database, alertId: string, activityId: string, actor: string, snoozedUntil: number | null, now: number) {
  const update = {
    id: `slack.alert_update:${activityId}`,
    queued: false,
    stmts(alert: StoredAlert): D1PreparedStatement[] {
      if (alert.delivery !== "pending" && alert.delivery !== "delivered") return [];
      const parsed = slackAlertSchema.safeParse(parseJson(alert.payload));
      if (!parsed.success) return [];
      const action: Action = {
        id: update.id,
        customerId: alert.customerId,
        payload: { type: "slack.alert_update", alertActionId: alertId, actor, snoozedUntil, alert: parsed.data },
      };
      update.queued = true;
      return insertActionStmts(db, [action], now);
    },
  };
  return update;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

/** GET /alerts and its forms: acknowledge, snooze, assign, note. */
export function mountAlertRoutes(d: Hono<DashEnv>) {
  d.get("/alerts", requireSession, async (c) => {
    const q = alertsQuery.parse(c.req.query());
    const { rows, more } = await listAlerts(c.env.DB, { ...q, limit: PAGE_SIZE }, Date.now());
    const activity = await activityFor(c.env.DB, rows.map((r) => r.id));
    const props = { csrf: c.get("session").csrf, notice: noticeFrom(c.req.query()), q, rules: slackAlertSchema.shape.rule.options, rows, more, pageSize: PAGE_SIZE, activity };
    return render(c, AlertsPage, props);
  });

  const respond = (snooze: boolean) =>
    d.post(`/alerts/:id/${snooze ? "snooze" : "acknowledge"}`, requireRole("csm"), async (c) => {
      const id = c.req.param("id");
      const form = c.get("form");
      const back = safeBack(form.back, "/alerts");
      const now = Date.now();
      const snoozedUntil = snooze ? now + snoozeForm.parse(form).days * DAY : null;
      const activityId = crypto.randomUUID();
      const { actor } = c.get("session").person;
      const update = slackUpdate(c.env.DB, id, activityId, actor, snoozedUntil, now);
      const alert = await recordAlertResponse(c.env.DB, { actionId: id, activityId, actor, surface: "dashboard", snoozedUntil, now }, (a) => update.stmts(a));
      if (!alert) return c.redirect(withNotice(back, { notice: "missing", id }), 303);
      if (update.queued) await enqueue(c.env.ACTIONS, [{ actionId: update.id }]);
      return c.redirect(back, 303);
    });
  respond(false);
  respond(true);

  d.post("/alerts/:id/assign", requireRole("csm"), async (c) => {
    const id = c.req.param("id");
    const form = c.get("form");
    const { owner } = assignForm.parse(form);
    const ok = await recordAlertRemark(c.env.DB, { kind: "assigned", actionId: id, activityId: crypto.randomUUID(), actor: c.get("session").person.actor, now: Date.now(), assignee: owner });
    const back = safeBack(form.back, "/alerts");
    return c.redirect(ok ? back : withNotice(back, { notice: "missing", id }), 303);
  });

  d.post("/alerts/:id/note", requireRole("csm"), async (c) => {
    const id = c.req.param("id");
    const form = c.get("form");
    const { note } = noteForm.parse(form);
    const ok = await recordAlertRemark(c.env.DB, { kind: "note", actionId: id, activityId: crypto.randomUUID(), actor: c.get("session").person.actor, now: Date.now(), note });
    const back = safeBack(form.back, "/alerts");
    return c.redirect(ok ? back : withNotice(back, { notice: "missing", id }), 303);
  });
}
