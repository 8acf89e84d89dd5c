import { stages } from "../lifecycle";
import { definitions } from "./definitions";
import { currencyOf, percent, type Metric, type MetricCustomer, type StageTransition } from "./types";

const bands = ["green", "yellow", "red"] as const;

/** MRR per band is kept per currency: amounts in different currencies are never added. */
export type Distribution = Record<(typeof bands)[number] | "unscored", { customers: number; mrr: Record<string, number> }>;

export function healthDistribution(customers: readonly MetricCustomer[]): Metric<Distribution> {
  const out: Distribution = { green: { customers: 0, mrr: {} }, yellow: { customers: 0, mrr: {} }, red: { customers: 0, mrr: {} }, unscored: { customers: 0, mrr: {} } };
  for (const c of customers) {
    const key = (bands as readonly string[]).includes(c.band ?? "") ? (c.band as (typeof bands)[number]) : "unscored";
    out[key].customers++;
    if (c.mrr !== 0) {
      const cur = currencyOf(c);
      out[key].mrr[cur] = (out[key].mrr[cur] ?? 0) + c.mrr;
    }
  }
  return { value: out, unit: "breakdown", definition: definitions.healthDistribution };
}

export interface FunnelStep {
  stage: string;
  /** Customers in this stage now. */
  current: number;
  /** Customers who ever reached this stage or a later one. */
  reached: number;
  /** reached ÷ reached of the previous stage × 100; null for the first stage. */
  conversion: number | null;
}

const funnelStages = stages.filter((s) => s !== "churned");

/** Current stage counts plus the funnel of the furthest stage each customer reached by `to`. */
export function stageFunnel(customers: readonly MetricCustomer[], transitions: readonly StageTransition[], to: number): Metric<FunnelStep[]> {
  const furthest = new Map<string, number>();
  const reach = (id: string, stage: string | null) => {
    const i = funnelStages.indexOf(stage as (typeof funnelStages)[number]);
    if (i >= 0) furthest.set(id, Math.max(furthest.get(id) ?? -1, i));
  };
  const ids = new Set(customers.map((c) => c.id));
  for (const c of customers) reach(c.id, c.stage);
  for (const t of transitions) if (t.at < to && ids.has(t.customerId)) (reach(t.customerId, t.to), reach(t.customerId, t.from));
  const reached = funnelStages.map((_, i) => [...furthest.values()].filter((f) => f >= i).length);
  const steps: FunnelStep[] = stages.map((stage) => {
    const i = funnelStages.indexOf(stage as (typeof funnelStages)[number]);
    return {
      stage,
      current: customers.filter((c) => c.stage === stage).length,
      reached: i >= 0 ? reached[i]! : customers.filter((c) => c.stage === stage).length,
      conversion: i > 0 ? percent(reached[i]!, reached[i - 1]!) : null,
    };
  });
  return { value: steps, unit: "breakdown", definition: definitions.stageFunnel };
}
