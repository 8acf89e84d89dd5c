import type { FC } from "hono/jsx";
import type { ActionRow } from "../store/dashboard";
import { ActionTable } from "./actions-table";
import { CsrfField, Layout, type Notice } from "./layout";
import { RedriveEvents } from "./redrive";

export const outboxStatuses = ["pending", "failed", "dead", "skipped"] as const;

export interface OutboxProps {
  csrf: string;
  notice?: Notice | null;
  status: string | null;
  counts: Record<string, number>;
  actions: ActionRow[];
  names: Map<string, string>;
  /** Whether POST /api/actions/replay exists. */
  replay: boolean;
  /** Inbox events in `failed`, when POST /api/events/redrive exists (null otherwise). */
  failedEvents?: number | null;
}

export const OutboxPage: FC<OutboxProps> = ({ csrf, notice, status, counts, actions, names, replay, failedEvents }) => (
  <Layout title="Outbox" path="/outbox" csrf={csrf} notice={notice}>
    <p class="filters">
      <a href="/outbox" aria-current={status === null ? "page" : undefined}>needs attention</a>
      {outboxStatuses.map((s) => (
        <a href={`/outbox?status=${s}`} aria-current={status === s ? "page" : undefined}>
          {s} ({counts[s] ?? 0})
        </a>
      ))}
      <span class="muted">delivered: {counts.delivered ?? 0}</span>
    </p>
    <ActionTable actions={actions} csrf={csrf} back={status ? `/outbox?status=${status}` : "/outbox"} names={names} />
    {replay ? (
      <>
        <h2>Replay dead letters</h2>
        <form method="post" action="/outbox/replay" class="filters">
          <CsrfField csrf={csrf} />
          <label>
            Created from <input type="datetime-local" name="from" />
          </label>
          <label>
            to <input type="datetime-local" name="to" />
          </label>
          <label>
            Destination{" "}
            <select name="destination">
              <option value="">any</option>
              <option value="hubspot">hubspot</option>
              <option value="slack">slack</option>
              <option value="stripe">stripe</option>
            </select>
          </label>
          <label>
            Status{" "}
            <select name="status">
              <option value="">failed and dead</option>
              <option value="failed">failed</option>
              <option value="dead">dead</option>
            </select>
          </label>
          <button type="submit">Replay</button>
        </form>
        <p class="muted">Times are UTC. A delivered action is never sent twice.</p>
      </>
    ) : null}
    {failedEvents == null ? null : <RedriveEvents csrf={csrf} failed={failedEvents} />}
  </Layout>
);
