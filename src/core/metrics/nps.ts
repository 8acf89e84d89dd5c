import { definitions } from "./definitions";
import { round, within, type Metric, type MetricCustomer, type Window } from "./types";

/** NPS over every survey response received in the window. */
export function nps(customers: readonly MetricCustomer[], w: Window): Metric {
  let promoters = 0;
  let passives = 0;
  let detractors = 0;
  for (const c of customers) {
    for (const r of Object.values(c.state.sentiment.responses)) {
      if (!within(r.at, w) || (r.kind !== undefined && r.kind !== "nps")) continue;
      if (r.score >= 9) promoters++;
      else if (r.score <= 6) detractors++;
      else passives++;
    }
  }
  const responses = promoters + passives + detractors;
  return {
    value: responses > 0 ? round(((promoters - detractors) / responses) * 100) : null,
    unit: "nps",
    definition: definitions.nps,
    responses,
    promoters,
    passives,
    detractors,
  };
}
