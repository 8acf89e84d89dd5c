import type { FC } from "hono/jsx";
import { definitions, sampleOf, type Metric, type MetricsReport } from "../core/metrics";
import type { TopicExample } from "../core/metrics";
import type { Topic } from "../core/topics";
import type { Chart } from "./charts";
import { Figure, Layout, date, type Notice } from "./layout";
import { formatMoney, moneyByCurrency } from "./money";
import { WINDOW_DAYS, type TimeWindow } from "./time-axis";

const cards: [keyof MetricsReport["metrics"], string][] = [
  ["nps", "NPS"],
  ["csat", "CSAT"],
  ["retention", "Customer retention"],
  ["logoChurn", "Logo churn"],
  ["revenueChurn", "Revenue churn"],
  ["netRevenueRetention", "Net revenue retention"],
  ["customerLifetimeValue", "Customer lifetime value"],
  ["newCustomers", "New customers"],
  ["activeAccounts", "Active accounts"],
  ["loyaltyEnrollment", "Loyalty enrollment"],
  ["referralRate", "Referral rate"],
  ["pointsEarned", "Points earned"],
  ["pointsRedeemed", "Points redeemed"],
  ["onboardingCompletion", "Onboarding completion"],
  ["timeToFirstValue", "Median time to first value"],
];

/** A metric's value as a card shows it; money always with its currency, one line per currency. */
export function formatMetric(m: Metric<unknown>): string {
  if (m.unit === "minor_units") {
    const by = m.byCurrency as Record<string, number | null> | undefined;
    if (by && Object.keys(by).length > 0) return moneyByCurrency(by);
    return typeof m.value === "number" ? formatMoney(m.value, m.currency as string | null) : "–";
  }
  if (m.value === null || typeof m.value !== "number") return "–";
  switch (m.unit) {
    case "percent":
      return `${m.value}%`;
    case "hours":
      return `${m.value} h`;
    default:
      return String(m.value);
  }
}

const MetricCard: FC<{ name: string; label: string; m: Metric<unknown> }> = ({ name, label, m }) => {
  const s = sampleOf(name, m);
  return (
    <div class={s?.tentative ? "card tentative" : "card"} data-metric={name}>
      <div>{label}</div>
      {m.unit === "minor_units" && Object.keys((m.byCurrency as object | undefined) ?? {}).length > 1 ? (
        // One line per currency: amounts in different currencies are never added.
        <div class="v" style="font-size:1.1rem">
          {formatMetric(m)
            .split(" · ")
            .map((line) => (
              <div>{line}</div>
            ))}
        </div>
      ) : (
        <div class="v">{formatMetric(m)}</div>
      )}
      {s ? (
        <p data-n={s.n}>
          n={s.n} {s.what}
          {s.tentative ? " · too few to trust" : ""}
        </p>
      ) : null}
      {name === "csat" && typeof m.cesResponses === "number" && m.cesResponses > 0 ? (
        <p data-ces={String(m.ces)} data-n={m.cesResponses}>
          CES {String(m.ces)} of 100 · n={m.cesResponses} responses
        </p>
      ) : null}
    </div>
  );
};

export interface OverviewProps {
  csrf: string;
  notice?: Notice | null;
  report: MetricsReport;
  charts: Chart[];
  topics: { tickets: number; read: number; topics: Topic<TopicExample>[] };
  days: number;
  custom: boolean;
  window: TimeWindow;
}

export const OverviewPage: FC<OverviewProps> = ({ csrf, notice, report, charts, topics, days, custom, window }) => (
  <Layout title="Overview" path="/overview" csrf={csrf} notice={notice}>
    <form method="get" action="/overview" class="filters">
      <label>
        Window{" "}
        <select name="days">
          {WINDOW_DAYS.map((d) => (
            <option value={String(d)} selected={d === days}>
              last {d} days
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Show</button>
    </form>
    <details class="filters-custom" open={custom}>
      <summary>Custom range</summary>
      <form method="get" action="/overview" class="filters">
        <label>
          From <input type="date" name="from" value={custom ? date(window.from) : ""} />
        </label>
        <label>
          To <input type="date" name="to" value={custom ? date(window.to - 1) : ""} />
        </label>
        <button type="submit">Show</button>
      </form>
    </details>
    <p class="muted">
      {date(window.from)} to {date(window.to - 1)} (UTC) · trends per {report.window.period}
    </p>
    <section class="cards" aria-label="Metrics">
      {cards.map(([key, label]) => (
        <MetricCard name={key} label={label} m={report.metrics[key] as Metric<unknown>} />
      ))}
    </section>
    <details class="definitions">
      <summary>How each metric is defined</summary>
      <dl>
        {cards.map(([key, label]) => (
          <>
            <dt>{label}</dt>
            <dd data-definition={key}>{(report.metrics[key] as Metric<unknown>).definition}</dd>
          </>
        ))}
        <dt>Top ticket topics</dt>
        <dd data-definition="topTicketTopics">{definitions.topTicketTopics}</dd>
      </dl>
    </details>
    <h2>Charts</h2>
    <div class="grid">
      {charts.map((c) => (
        <Figure chart={c} />
      ))}
    </div>
    <h2>Top ticket topics (knowledge-base candidates)</h2>
    <TopicTable {...topics} />
  </Layout>
);

const TopicTable: FC<{ tickets: number; read: number; topics: Topic<TopicExample>[] }> = ({ tickets, read, topics }) => {
  if (topics.length === 0) {
    return <p class="muted">{tickets === 0 ? "No tickets opened in this window." : `No phrase repeats across the ${tickets} tickets opened in this window.`}</p>;
  }
  return (
    <>
      {read < tickets ? <p class="muted">From the newest {read} of the {tickets} tickets opened in this window.</p> : null}
      <table class="topics">
        <thead>
          <tr>
            <th>Topic</th>
            <th class="num">Tickets</th>
            <th>Example tickets</th>
          </tr>
        </thead>
        <tbody>
          {topics.map((t) => (
            <tr data-topic={t.phrase}>
              <td>
                <strong>{t.phrase}</strong>
              </td>
              <td class="num">
                {t.tickets} <span class="muted">of {read}</span>
              </td>
              <td>
                <ul class="examples">
                  {t.examples.map((e) => (
                    <li>
                      {e.subject ?? "(no subject)"}{" "}
                      <span class="muted">
                        · <a href={`/customers/${encodeURIComponent(e.customerId)}`}>{e.customerName ?? e.customerId}</a> · {e.ticket} · {date(e.at)}
                      </span>
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
};
