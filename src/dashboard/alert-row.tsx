import type { FC } from "hono/jsx";
import type { AlertActivity } from "../store/alert-activity";
import type { AlertListRow } from "../store/alert-list";
import { CsrfField, date, dateTime } from "./layout";

/** How an actor reads on the page: a Slack user id is marked as one. */
export const actorLabel = (actor: string, surface?: string) => (surface === "slack" || /^[UW][A-Z0-9]{2,}$/.test(actor) ? `${actor} (Slack)` : actor);

const STATUS_CLASS = { open: "red", acknowledged: "green", snoozed: "yellow", resolved: "" } as const;

export const AlertStatusCell: FC<{ a: AlertListRow; latest: AlertActivity | undefined }> = ({ a, latest }) => {
  const who = latest && (latest.kind === "acknowledged" || latest.kind === "snoozed") ? actorLabel(latest.actor, latest.surface) : a.by ? actorLabel(a.by) : null;
  return (
    <td data-status={a.status}>
      <span class={`badge ${STATUS_CLASS[a.status]}`}>{a.status}</span>
      {a.status === "snoozed" ? <span class="muted"> until {date(a.snoozedUntil)}</span> : null}
      {who ? (
        <div class="muted">
          by {who}, {dateTime(a.at)}
        </div>
      ) : null}
      {a.status === "resolved" ? <div class="muted">recovered {dateTime(a.resolvedAt)}</div> : null}
    </td>
  );
};

/** Acknowledge, snooze, assign and note: each a small POST form carrying the CSRF token and the way back. */
export const AlertForms: FC<{ id: string; csrf: string; back: string; status: string }> = ({ id, csrf, back, status }) => {
  const to = (verb: string) => `/alerts/${encodeURIComponent(id)}/${verb}`;
  return (
    <td class="alert-forms">
      {status === "open" || status === "snoozed" ? (
        <form method="post" action={to("acknowledge")} class="inline">
          <CsrfField csrf={csrf} />
          <input type="hidden" name="back" value={back} />
          <button type="submit">Acknowledge</button>
        </form>
      ) : null}{" "}
      {status !== "resolved" ? (
        <form method="post" action={to("snooze")} class="inline">
          <CsrfField csrf={csrf} />
          <input type="hidden" name="back" value={back} />
          <button type="submit" name="days" value="1">
            Snooze 1 day
          </button>{" "}
          <button type="submit" name="days" value="7">
            Snooze 1 week
          </button>
        </form>
      ) : null}
      <details>
        <summary>Assign or add a note</summary>
        <form method="post" action={to("assign")}>
          <CsrfField csrf={csrf} />
          <input type="hidden" name="back" value={back} />
          <input name="owner" placeholder="owner email" maxlength={200} required aria-label="Owner" style="width:100%" /> <button type="submit">Assign</button>
        </form>
        <form method="post" action={to("note")}>
          <CsrfField csrf={csrf} />
          <input type="hidden" name="back" value={back} />
          <input name="note" placeholder="note" maxlength={1000} required aria-label="Note" style="width:100%" /> <button type="submit">Add note</button>
        </form>
      </details>
    </td>
  );
};

const VERB = { acknowledged: "acknowledged", snoozed: "snoozed", assigned: "assigned to", note: "noted" } as const;

/** The alert's history, newest first. */
export const AlertActivityList: FC<{ items: AlertActivity[] }> = ({ items }) =>
  items.length === 0 ? null : (
    <ul class="activity muted">
      {items.map((i) => (
        <li>
          {dateTime(i.at)} · {actorLabel(i.actor, i.surface)} {VERB[i.kind]}
          {i.kind === "assigned" ? ` ${i.assignee ?? ""}` : i.kind === "snoozed" ? ` until ${date(i.snoozedUntil)}` : ""}
          {i.kind === "note" ? (
            <>
              {" "}
              <q>{i.note}</q>
            </>
          ) : null}
        </li>
      ))}
    </ul>
  );
