import { csatPercent } from "../health/sentiment";
import { definitions } from "./definitions";
import { round, within, type Metric, type MetricCustomer, type Window } from "./types";

/** CSAT (share satisfied) and CES (mean effort) over the survey answers received in the window. */
export function csat(customers: readonly MetricCustomer[], w: Window): Metric {
  let responses = 0;
  let satisfied = 0;
  let cesResponses = 0;
  let cesTotal = 0;
  for (const c of customers) {
    for (const r of Object.values(c.state.sentiment.responses)) {
      if (!r.scale || !within(r.at, w)) continue;
      const pct = csatPercent(r.score, r.scale);
      if (r.kind === "csat") {
        responses++;
        if (pct >= 75) satisfied++;
      } else if (r.kind === "ces") {
        cesResponses++;
        cesTotal += pct;
      }
    }
  }
  return {
    value: responses > 0 ? round((satisfied / responses) * 100) : null,
    unit: "percent",
    definition: definitions.csat,
    responses,
    satisfied,
    ces: cesResponses > 0 ? round(cesTotal / cesResponses) : null,
    cesResponses,
  };
}
