import type { FC } from "hono/jsx";
import { sourceNameSchema } from "../core/events";
import { CsrfField } from "./layout";

/** Inbox events that failed on every retry, and the form that re-drives them (POST /api/events/redrive). */
export const RedriveEvents: FC<{ csrf: string; failed: number }> = ({ csrf, failed }) => (
  <>
    <h2>Failed inbox events</h2>
    {failed === 0 ? (
      <p class="muted">No inbox event is waiting in failed.</p>
    ) : (
      <form method="post" action="/outbox/redrive-events" class="filters">
        <CsrfField csrf={csrf} />
        <span>{failed} failed on every retry.</span>
        <label>
          Source{" "}
          <select name="source">
            <option value="">any</option>
            {sourceNameSchema.options.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <button type="submit">Re-drive failed events</button>
      </form>
    )}
    <p class="muted">A re-drive applies up to 500 events at a time, oldest first; repeat it while some remain.</p>
  </>
);
