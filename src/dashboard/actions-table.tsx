import type { FC } from "hono/jsx";
import type { ActionRow } from "../store/dashboard";
import { CsrfField, dateTime } from "./layout";

const RETRYABLE = new Set(["failed", "dead", "skipped"]);

/** One line of what an action says, whatever its type. */
export function actionSummary(a: ActionRow): string {
  const p = a.payload;
  if (typeof p.summary === "string") return p.summary;
  if (p.type === "hubspot.properties") return `${Object.keys(p.properties ?? {}).length} properties on company ${p.companyId}`;
  if (typeof p.description === "string") return p.description;
  if (typeof p.customerName === "string") return `${p.customerName}`;
  return a.type;
}

/** Outbox rows with a Retry button (a form, so it works without JavaScript) on those that can be retried. */
export const ActionTable: FC<{ actions: ActionRow[]; csrf: string; back: string; names?: Map<string, string> }> = ({ actions, csrf, back, names }) =>
  actions.length === 0 ? (
    <p class="muted">No actions.</p>
  ) : (
    <table>
      <thead>
        <tr>
          <th>Created</th>
          {names ? <th>Customer</th> : null}
          <th>Type</th>
          <th>Status</th>
          <th class="num">Attempts</th>
          <th>What</th>
          <th>Last error</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {actions.map((a) => (
          <tr data-action-id={a.id} data-status={a.status}>
            <td>{dateTime(a.createdAt)}</td>
            {names ? <td>{a.customerId ? <a href={`/customers/${encodeURIComponent(a.customerId)}`}>{names.get(a.customerId) ?? a.customerId}</a> : "–"}</td> : null}
            <td>{a.type}</td>
            <td>{a.status}</td>
            <td class="num">{a.attempts}</td>
            <td>{actionSummary(a)}</td>
            <td>{a.lastError ?? ""}</td>
            <td>
              {RETRYABLE.has(a.status) ? (
                <form method="post" action={`/outbox/${encodeURIComponent(a.id)}/retry`} class="inline">
                  <CsrfField csrf={csrf} />
                  <input type="hidden" name="back" value={back} />
                  <button type="submit">Retry</button>
                </form>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
