import type { FC } from "hono/jsx";
import { CsrfField, Layout, dateTime, type Notice } from "./layout";

export interface UnmatchedEvent {
  id: string;
  source: string;
  vendorType: string;
  receivedAt: number;
  reason: string | null;
  waitingFor: string[];
}

export interface IdentityConflict {
  eventId: string;
  kind: string;
  value: string;
  customerId: string;
  held: string;
  reason: string;
  at: string;
}

const LINKABLE = new Set(["stripe", "hubspot", "segment_group", "account", "domain"]);

/** Events no customer matches yet, each with a "link to customer" form for one of the keys it waits for; and refused ids. */
export const UnmatchedPage: FC<{ csrf: string; notice?: Notice | null; events: UnmatchedEvent[]; conflicts: IdentityConflict[] }> = ({ csrf, notice, events, conflicts }) => (
  <Layout title="Unmatched events" path="/unmatched" csrf={csrf} notice={notice}>
    <p class="muted">Linking a key to a customer applies every event waiting for it.</p>
    {events.length === 0 ? <p class="muted">No unmatched events.</p> : (
      <table>
        <thead><tr><th>Received</th><th>Source</th><th>Event</th><th>Why</th><th>Link to customer</th></tr></thead>
        <tbody>
          {events.map((e) => {
            const keys = e.waitingFor.filter((k) => LINKABLE.has(k.slice(0, k.indexOf(":"))));
            return (
              <tr>
                <td>{dateTime(e.receivedAt)}</td>
                <td>{e.source}</td>
                <td>{e.vendorType}<br /><span class="muted">{e.id}</span></td>
                <td>{e.reason ?? ""}</td>
                <td>
                  {keys.length === 0 ? <span class="muted">no key to link</span> : (
                    <form method="post" action="/unmatched/link" class="inline">
                      <CsrfField csrf={csrf} />
                      <select name="key" aria-label={`Key of ${e.id}`}>
                        {keys.map((k) => <option value={k}>{k}</option>)}
                      </select>{" "}
                      <input name="customer" required maxlength={200} placeholder="cu_…" aria-label={`Customer for ${e.id}`} />{" "}
                      <button type="submit">Link</button>
                    </form>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    )}
    <h2>Refused ids</h2>
    {conflicts.length === 0 ? <p class="muted">No conflicting ids.</p> : (
      <table>
        <thead><tr><th>When</th><th>Key</th><th>Customer</th><th>Why</th></tr></thead>
        <tbody>
          {conflicts.map((x) => (
            <tr>
              <td>{dateTime(Date.parse(x.at))}</td>
              <td>{x.kind}: {x.value}</td>
              <td><a href={`/customers/${encodeURIComponent(x.customerId)}`}>{x.customerId}</a></td>
              <td>{x.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </Layout>
);
