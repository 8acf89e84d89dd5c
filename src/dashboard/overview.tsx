import type { FC } from "hono/jsx";
import type { Metric, MetricsReport } from "../core/metrics";
import type { Chart } from "./charts";
import { Figure, Layout, date, type Notice } from "./layout";

const cards: [keyof MetricsReport["metrics"], string][] = [
  ["nps", "NPS"],
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

export function formatMetric(m: Metric<unknown>): string {
  if (m.value === null || typeof m.value !== "number") return "–";
  switch (m.unit) {
    case "percent":
      return `${m.value}%`;
    case "minor_units":
      return (m.value / 100).toLocaleString("en-US", { maximumFractionDigits: 0 });
    case "hours":
      return `${m.value} h`;
    default:
      return String(m.value);
  }
}

export interface OverviewProps {
  csrf: string;
  notice?: Notice | null;
  report: MetricsReport;
  trend: MetricsReport;
  charts: Chart[];
}

export const OverviewPage: FC<OverviewProps> = ({ csrf, notice, report, trend, charts }) => {
  const topics = [...trend.metrics.topTicketTopics.value].reverse().filter((p) => p.tickets > 0).slice(0, 6);
  return (
    <Layout title="Overview" path="/overview" csrf={csrf} notice={notice}>
      <form method="get" action="/overview" class="filters">
        <label>
          From <input type="date" name="from" value={date(report.window.from)} />
        </label>
        <label>
          To <input type="date" name="to" value={date(report.window.to - 1)} />
        </label>
        <label>
          Trend by{" "}
          <select name="period">
            <option value="month" selected={report.window.period === "month"}>month</option>
            <option value="week" selected={report.window.period === "week"}>week</option>
          </select>
        </label>
        <button type="submit">Show</button>
      </form>
      <section class="cards" aria-label="Metrics">
        {cards.map(([key, label]) => {
          const m = report.metrics[key] as Metric<unknown>;
          return (
            <div class="card" data-metric={key}>
              <div>{label}</div>
              <div class="v">{formatMetric(m)}</div>
            </div>
          );
        })}
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
        </dl>
      </details>
      <h2>Charts</h2>
      <div class="grid">
        {charts.map((c) => (
          <Figure chart={c} />
        ))}
      </div>
      <h2>Top ticket topics (knowledge-base candidates)</h2>
      <p class="muted">{trend.metrics.topTicketTopics.definition}</p>
      {topics.length === 0 ? (
        <p class="muted">No tickets in the trend window.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Period</th>
              <th class="num">Tickets</th>
              <th>Topics (tickets)</th>
            </tr>
          </thead>
          <tbody>
            {topics.map((p) => (
              <tr>
                <td>{p.period}</td>
                <td class="num">{p.tickets}</td>
                <td>{p.topics.map((t) => `${t.topic} (${t.tickets})`).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
};
