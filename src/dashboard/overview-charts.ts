import type { DailyScore, MetricsReport } from "../core/metrics";
import { samples } from "../core/metrics";
import { barChart, funnelChart, palette, type Chart } from "./charts";
import { moneyByCurrency } from "./money";
import { timeLineChart } from "./time-charts";
import type { TimeWindow } from "./time-axis";

const bandColors: Record<string, string> = { green: palette.green, yellow: palette.yellow, red: palette.red, unscored: palette.gray };

/** A point per period, at the middle of the period (clipped to the window). */
const mid = (p: { from: number; to: number }) => Math.floor((p.from + p.to) / 2);

/** The overview's six charts, every time axis spanning the chosen `window`; trends per period of `report`. */
export function overviewCharts(report: MetricsReport, scores: DailyScore[], window: TimeWindow): Chart[] {
  const dist = report.metrics.healthDistribution.value;
  const funnel = report.metrics.stageFunnel.value.filter((s) => s.stage !== "churned");
  const referral = report.metrics.referralFunnel.value;
  const series = report.series;
  const perPeriod = (key: "nps" | "retention" | "logoChurn" | "revenueChurn") =>
    series.map((p) => ({ at: mid(p), value: p.values[key], n: p.n[key] ?? 0, label: p.period }));
  return [
    barChart({
      id: "health-distribution",
      title: "Health distribution",
      desc: "Customers per current health band, with their MRR per currency.",
      bars: Object.entries(dist).map(([band, d]) => ({ label: band, value: d.customers, color: bandColors[band], note: moneyByCurrency(d.mrr) })),
      noteHead: "MRR",
    }),
    timeLineChart({
      id: "portfolio-score",
      title: "Portfolio score trend",
      desc: "Mean of every scored customer's latest health score at the end of each day of the window; n is the number of scored customers.",
      window,
      lines: [{ name: "Mean score", color: palette.blue, points: scores.map((s) => ({ at: Date.parse(`${s.day}T12:00:00Z`), value: s.average, n: s.customers, label: s.day })) }],
      min: 0,
      max: 100,
      minN: 3,
    }),
    funnelChart({
      id: "stage-funnel",
      title: "Stage funnel",
      desc: "Customers who reached each loyalty stage, and the conversion from the stage before.",
      steps: funnel.map((s) => ({ label: s.stage, value: s.reached, note: `${s.conversion === null ? "" : `${s.conversion}% · `}${s.current} now` })),
      noteHead: "Conversion · now",
    }),
    timeLineChart({
      id: "nps-trend",
      title: "NPS over time",
      desc: `Net Promoter Score of the survey responses received in each ${report.window.period}; n is the number of responses, and a point on fewer than ${samples.nps.min} is hollow.`,
      window,
      lines: [{ name: "NPS", color: palette.purple, points: perPeriod("nps") }],
      min: -100,
      max: 100,
      minN: samples.nps.min,
    }),
    timeLineChart({
      id: "churn-retention",
      title: "Churn and retention",
      desc: `Customer retention, logo churn and gross revenue churn per ${report.window.period}, in percent; n is the number of customers paying at the start of the ${report.window.period}.`,
      window,
      unit: "%",
      lines: [
        { name: "Retention", color: palette.green, points: perPeriod("retention") },
        { name: "Logo churn", color: palette.red, points: perPeriod("logoChurn") },
        { name: "Revenue churn", color: palette.yellow, points: perPeriod("revenueChurn") },
      ],
      min: 0,
      max: 100,
      minN: samples.retention.min,
    }),
    funnelChart({
      id: "referral-funnel",
      title: "Referral funnel",
      desc: referral ? "Referrals attributed, qualified and rewarded in the window." : "The loyalty tables do not exist yet.",
      steps: (referral ?? []).map((s) => ({ label: s.step, value: s.count })),
      color: palette.purple,
    }),
  ];
}
