import type { FC } from "hono/jsx";
import type { ActionRow } from "../store/dashboard";
import { Band, Layout, dateTime, type Notice } from "./layout";

export const AlertsPage: FC<{ csrf: string; notice?: Notice | null; alerts: ActionRow[] }> = ({ csrf, notice, alerts }) => (
  <Layout title="Alerts" path="/alerts" csrf={csrf} notice={notice}>
    <p class="muted">Slack alerts and recoveries Tenure planned, newest first, with their delivery status.</p>
    {alerts.length === 0 ? (
      <p class="muted">No alerts yet.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Customer</th>
            <th>Rule</th>
            <th class="num">Score</th>
            <th>Summary</th>
            <th>Delivery</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((a) => {
            const p = a.payload;
            return (
              <tr data-action-id={a.id}>
                <td>{dateTime(a.createdAt)}</td>
                <td>{a.customerId ? <a href={`/customers/${encodeURIComponent(a.customerId)}`}>{String(p.customerName ?? a.customerId)}</a> : "–"}</td>
                <td>{a.type === "slack.recovery" ? "recovery" : String(p.rule ?? "")}</td>
                <td class="num">
                  {String(p.score ?? "–")} {p.band ? <Band band={String(p.band)} /> : null}
                </td>
                <td>{String(p.summary ?? "")}</td>
                <td>
                  {a.status}
                  {a.lastError ? <span class="muted"> ({a.lastError})</span> : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    )}
  </Layout>
);
