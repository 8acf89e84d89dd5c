import type { DailyScore, MetricsReport } from "../core/metrics";
import { barChart, funnelChart, lineChart, palette, type Chart } from "./charts";

const bandColors: Record<string, string> = { green: palette.green, yellow: palette.yellow, red: palette.red, unscored: palette.gray };

const money = (minor: number) => (minor / 100).toLocaleString("en-US", { maximumFractionDigits: 0 });

/** The overview's six charts: current portfolio (`now`) and trends over the periods of `trend`. */
export function overviewCharts(now: MetricsReport, trend: MetricsReport, scores: DailyScore[]): Chart[] {
  const dist = now.metrics.healthDistribution.value;
  const funnel = now.metrics.stageFunnel.value.filter((s) => s.stage !== "churned");
  const labels = trend.series.map((p) => p.period);
  const referral = trend.metrics.referralFunnel.value;
  return [
    barChart({
      id: "health-distribution",
      title: "Health distribution",
      desc: "Customers per current health band, with their MRR.",
      bars: Object.entries(dist).map(([band, d]) => ({ label: band, value: d.customers, color: bandColors[band], note: money(d.mrr) })),
      noteHead: "MRR",
    }),
    lineChart({
      id: "portfolio-score",
      title: "Portfolio score trend",
      desc: "Mean of every customer's latest health score at the end of each day.",
      labels: scores.map((s) => s.day.slice(5)),
      lines: [{ name: "Mean score", color: palette.blue, values: scores.map((s) => s.average) }],
      min: 0,
      max: 100,
    }),
    funnelChart({
      id: "stage-funnel",
      title: "Stage funnel",
      desc: "Customers who reached each loyalty stage, and the conversion from the stage before.",
      steps: funnel.map((s) => ({ label: s.stage, value: s.reached, note: `${s.conversion === null ? "" : `${s.conversion}% · `}${s.current} now` })),
      noteHead: "Conversion · now",
    }),
    lineChart({
      id: "nps-trend",
      title: "NPS over time",
      desc: "Net Promoter Score of the survey responses received in each period.",
      labels,
      lines: [{ name: "NPS", color: palette.purple, values: trend.series.map((p) => p.values.nps) }],
      min: -100,
      max: 100,
    }),
    lineChart({
      id: "churn-retention",
      title: "Churn and retention",
      desc: "Customer retention, logo churn and gross revenue churn per period, in percent.",
      labels,
      unit: "%",
      lines: [
        { name: "Retention", color: palette.green, values: trend.series.map((p) => p.values.retention) },
        { name: "Logo churn", color: palette.red, values: trend.series.map((p) => p.values.logoChurn) },
        { name: "Revenue churn", color: palette.yellow, values: trend.series.map((p) => p.values.revenueChurn) },
      ],
      min: 0,
    }),
    funnelChart({
      id: "referral-funnel",
      title: "Referral funnel",
      desc: referral ? "Referrals attributed, qualified and rewarded over the trend window." : "The loyalty tables do not exist yet.",
      steps: (referral ?? []).map((s) => ({ label: s.step, value: s.count })),
      color: palette.purple,
    }),
  ];
}
