import type { FC } from "hono/jsx";
import { csat } from "../core/metrics/csat";
import { nps } from "../core/metrics/nps";
import type { MetricCustomer } from "../core/metrics/types";
import type { CustomerState } from "../core/state";
import type { CustomerDetail } from "../store/dashboard";
import { ticketCsat } from "../core/health/support";
import { ticketViews } from "../core/tickets";
import { money } from "./layout";
import { moneyByCurrency } from "./money";

/** Every answer the customer's state keeps (the newest 200, at most 400 days old). */
const ON_RECORD = { from: 0, to: Number.MAX_SAFE_INTEGER };

/** NPS, CSAT and CES of one customer, each with its sample size: the same arithmetic as the overview's metrics. */
export function customerSurveys(state: CustomerState) {
  // A row stored before surveys were kept has no sentiment: no answers.
  const withAnswers = state.sentiment ? state : { ...state, sentiment: { responses: {} } };
  const one: MetricCustomer[] = [{ id: "", name: null, band: null, stage: null, mrr: 0, segments: [], state: withAnswers }];
  const n = nps(one, ON_RECORD);
  const c = csat(one, ON_RECORD);
  return {
    nps: { value: n.value, n: n.responses as number },
    csat: { value: c.value, n: c.responses as number },
    ces: { value: c.ces as number | null, n: c.cesResponses as number },
    tickets: ticketCsatOnRecord(state),
  };
}

/** Satisfaction rated on the desk's tickets (0–100), every rating on record: the support driver reads the same ratings over its lookback. */
function ticketCsatOnRecord(state: CustomerState): { value: number | null; n: number } {
  const { avg, n } = ticketCsat(ticketViews(state), 0);
  return { value: avg === null ? null : Math.round(avg), n };
}

const Score: FC<{ name: string; label: string; value: number | null; n: number; suffix?: string }> = ({ name, label, value, n, suffix = "" }) => (
  <span data-survey={name} data-n={n}>
    {label} <strong>{value === null ? "–" : `${value}${suffix}`}</strong> <span class="muted">(n={n})</span>
  </span>
);

/** The "Surveys" row of the customer summary: NPS beside CSAT, and CES when any effort answer arrived. */
export const SurveyRow: FC<{ state: CustomerState }> = ({ state }) => {
  const s = customerSurveys(state);
  return (
    <tr>
      <th>Surveys</th>
      <td>
        <Score name="nps" label="NPS" value={s.nps.value} n={s.nps.n} /> · <Score name="csat" label="CSAT" value={s.csat.value} n={s.csat.n} suffix="%" />
        {s.ces.n > 0 ? (
          <>
            {" "}
            · <Score name="ces" label="CES" value={s.ces.value} n={s.ces.n} />
          </>
        ) : null}{" "}
        <span class="muted">answers on record</span>
        {s.tickets.n > 0 ? (
          <>
            {" "}
            · <Score name="ticket-csat" label="Ticket CSAT" value={s.tickets.value} n={s.tickets.n} suffix="/100" />
          </>
        ) : null}
      </td>
    </tr>
  );
};

/** MRR per currency (never added across currencies), and the items Tenure could not price, visibly left out. */
export const MrrRow: FC<{ c: CustomerDetail }> = ({ c }) => {
  const snapshot = (c.health?.snapshot ?? {}) as { mrrByCurrency?: Record<string, number>; mrrUnknownItems?: number };
  const by = snapshot.mrrByCurrency ?? {};
  const unknown = snapshot.mrrUnknownItems ?? 0;
  return (
    <tr>
      <th>MRR</th>
      <td>
        {Object.keys(by).length > 1 ? moneyByCurrency(by) : money(c.mrr, c.currency)}
        {unknown > 0 ? (
          <p class="notice" data-mrr-unknown-items={unknown}>
            {unknown === 1 ? "1 subscription item has" : `${unknown} subscription items have`} no price Tenure can read (metered with no usage invoiced yet, or
            a tiered price): {unknown === 1 ? "it is" : "they are"} left out of MRR, not counted as 0.
          </p>
        ) : null}
      </td>
    </tr>
  );
};
