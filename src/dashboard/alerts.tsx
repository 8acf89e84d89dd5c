import type { FC } from "hono/jsx";
import type { AlertActivity } from "../store/alert-activity";
import { ALERT_STATUSES, type AlertListRow } from "../store/alert-list";
import { AlertActivityList, AlertForms, AlertStatusCell } from "./alert-row";
import { Band, Layout, dateTime, type Notice } from "./layout";

export interface AlertsQuery {
  rule?: string | undefined;
  status?: string | undefined;
  owner?: string | undefined;
  offset: number;
}

export interface AlertsPageProps {
  csrf: string;
  notice?: Notice | null;
  q: AlertsQuery;
  rules: readonly string[];
  rows: AlertListRow[];
  more: boolean;
  pageSize: number;
  activity: Map<string, AlertActivity[]>;
}

/** This page's URL with the filters and an offset: links and the forms' way back. */
export function alertsHref(q: AlertsQuery, offset = q.offset): string {
  const p = new URLSearchParams();
  if (q.rule) p.set("rule", q.rule);
  if (q.status) p.set("status", q.status);
  if (q.owner) p.set("owner", q.owner);
  if (offset > 0) p.set("offset", String(offset));
  const s = p.toString();
  return s ? `/alerts?${s}` : "/alerts";
}

/** One width per column, the same in every account's table, so the tables line up. */
const COLUMN_WIDTHS = ["10%", "13%", "9%", "27%", "13%", "13%", "15%"];

/** Consecutive rows of one account (the query orders them so). */
function byAccount(rows: AlertListRow[]): AlertListRow[][] {
  const groups: AlertListRow[][] = [];
  for (const r of rows) {
    const last = groups.at(-1);
    if (last && last[0]!.customerId === r.customerId) last.push(r);
    else groups.push([r]);
  }
  return groups;
}

const Filters: FC<{ q: AlertsQuery; rules: readonly string[] }> = ({ q, rules }) => (
  <form method="get" action="/alerts" class="filters" role="search">
    <label>
      Rule
      <br />
      <select name="rule">
        <option value="">any</option>
        {rules.map((r) => (
          <option value={r} selected={q.rule === r}>
            {r}
          </option>
        ))}
      </select>
    </label>
    <label>
      Status
      <br />
      <select name="status">
        <option value="">any</option>
        {ALERT_STATUSES.map((s) => (
          <option value={s} selected={q.status === s}>
            {s}
          </option>
        ))}
      </select>
    </label>
    <label>
      Owner
      <br />
      <input name="owner" value={q.owner ?? ""} placeholder="owner email" maxlength={200} />
    </label>
    <button type="submit">Filter</button>
    {q.rule || q.status || q.owner ? <a href="/alerts">Clear</a> : null}
  </form>
);

export const AlertsPage: FC<AlertsPageProps> = ({ csrf, notice, q, rules, rows, more, pageSize, activity }) => {
  const back = alertsHref(q);
  return (
    <Layout title="Alerts" path="/alerts" csrf={csrf} notice={notice}>
      <p class="muted">Alerts Tenure sent to Slack, grouped by account. Acknowledging or snoozing here updates the Slack message, and a click in Slack shows here.</p>
      <Filters q={q} rules={rules} />
      {rows.length === 0 ? (
        <p class="muted">{q.rule || q.status || q.owner || q.offset ? "No alerts match these filters." : "No alerts yet."}</p>
      ) : (
        byAccount(rows).map((group) => {
          const first = group[0]!;
          const name = first.customerName ?? String(first.payload.customerName ?? first.customerId ?? "Unknown account");
          return (
            <section class="account" data-account={first.customerId ?? ""}>
              <h2>{first.customerId ? <a href={`/customers/${encodeURIComponent(first.customerId)}`}>{name}</a> : name}</h2>
              <table style="table-layout:fixed">
                <colgroup>
                  {COLUMN_WIDTHS.map((w) => (
                    <col style={`width:${w}`} />
                  ))}
                </colgroup>
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Rule</th>
                    <th class="num">Score</th>
                    <th>Alert</th>
                    <th>Status</th>
                    <th>Owner</th>
                    <th>Act</th>
                  </tr>
                </thead>
                <tbody>
                  {group.map((a) => {
                    const items = activity.get(a.id) ?? [];
                    return (
                      <tr data-action-id={a.id}>
                        <td>{dateTime(a.createdAt)}</td>
                        <td style="overflow-wrap:anywhere">{String(a.payload.rule ?? "")}</td>
                        <td class="num">
                          {String(a.payload.score ?? "–")} {a.payload.band ? <Band band={String(a.payload.band)} /> : null}
                        </td>
                        <td>
                          {String(a.payload.summary ?? "")}
                          <div class="muted" data-delivery={a.delivery}>
                            Slack: {a.deliveredTo ?? a.delivery}
                            {a.lastError && !a.deliveredTo ? ` (${a.lastError})` : ""}
                          </div>
                          <AlertActivityList items={items} />
                        </td>
                        <AlertStatusCell a={a} latest={items.find((i) => i.kind === "acknowledged" || i.kind === "snoozed")} />
                        <td style="overflow-wrap:anywhere">{a.owner ?? <span class="muted">unassigned</span>}</td>
                        <AlertForms id={a.id} csrf={csrf} back={back} status={a.status} />
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </section>
          );
        })
      )}
      <nav class="pager" aria-label="Pages">
        {q.offset > 0 ? <a href={alertsHref(q, Math.max(0, q.offset - pageSize))}>← Newer</a> : null} {more ? <a href={alertsHref(q, q.offset + pageSize)}>Older →</a> : null}
      </nav>
    </Layout>
  );
};
