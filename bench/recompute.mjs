// Recompute: the pure core (scoreCustomer) over 100,000 generated customer states, bundled for Node.
import { round } from "./lib.mjs";
import { importBundled } from "./node-bundle.mjs";

const core = await importBundled(
  "recompute",
  `export { arbEvent, T0, DAY } from "./test/core/arbitraries";
   export { applyEvents } from "./src/core/reduce";
   export { emptyState } from "./src/core/state";
   export { scoreCustomer } from "./src/core/snapshot";
   export { defaultConfig } from "./src/core/config";
   export { default as fc } from "fast-check";`,
);

const GOAL_S = 10;

/**
 * `distinct` event logs of 20–60 events each (the property tests' arbitraries, fixed seed) are reduced
 * into states, then copied up to `customers` so every customer is its own object.
 */
function buildStates(customers, distinct) {
  const { fc } = core;
  const log = fc.uniqueArray(core.arbEvent, { selector: (e) => e.id, minLength: 20, maxLength: 60 });
  const logs = fc.sample(log, { numRuns: distinct, seed: 20261123 });
  const json = logs.map((events) => JSON.stringify(core.applyEvents(core.emptyState(), events)));
  const states = [];
  for (let i = 0; i < customers; i++) states.push(JSON.parse(json[i % json.length]));
  return { states, json, meanEvents: logs.reduce((s, l) => s + l.length, 0) / logs.length };
}

function timeScoring(states, now, fromJson) {
  const trend = { d7: null, d30: null };
  let checksum = 0;
  const t0 = performance.now();
  for (let i = 0; i < states.length; i++) {
    const state = fromJson ? JSON.parse(states[i]) : states[i];
    checksum += core.scoreCustomer(state, now, core.defaultConfig, undefined, trend).health.score;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, checksum };
}

export async function benchRecompute({ customers = 100_000, distinct = 5_000 } = {}) {
  const { states, json, meanEvents } = buildStates(customers, distinct);
  const now = core.T0 + 200 * core.DAY;
  timeScoring(states.slice(0, 2_000), now, false); // warm-up
  const pure = timeScoring(states, now, false);
  const texts = states.map((_, i) => json[i % json.length]);
  const withParse = timeScoring(texts, now, true);
  const row = (name, r) => ({
    name,
    customers,
    seconds: round(r.seconds, 2),
    perSecond: round(customers / r.seconds, 0),
    projected100kSeconds: round((100_000 / customers) * r.seconds, 2),
    withinGoal: (100_000 / customers) * r.seconds <= GOAL_S,
  });
  return {
    goalSeconds: GOAL_S,
    meanEventsPerCustomer: round(meanEvents, 1),
    meanStateBytes: round(json.reduce((s, j) => s + j.length, 0) / json.length, 0),
    rows: [row("scoreCustomer(state)", pure), row("JSON.parse(state) + scoreCustomer", withParse)],
  };
}
