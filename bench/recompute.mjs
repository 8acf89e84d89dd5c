// Recompute: the pure core (scoreCustomer) over 100,000 generated customer states, bundled for Node.
import { fileURLToPath } from "node:url";
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
 * `distinct` event logs of 20–60 events each (the property tests' arbitraries, fixed seed), reduced into
 * states. Scoring cycles through them: 100,000 live copies would measure the garbage collector instead.
 */
function buildStates(distinct) {
  const { fc } = core;
  const log = fc.uniqueArray(core.arbEvent, { selector: (e) => e.id, minLength: 20, maxLength: 60 });
  const logs = fc.sample(log, { numRuns: distinct, seed: 20261123 });
  const states = logs.map((events) => core.applyEvents(core.emptyState(), events));
  return { states, json: states.map((s) => JSON.stringify(s)), meanEvents: logs.reduce((n, l) => n + l.length, 0) / logs.length };
}

function timeScoring(customers, pick, now) {
  const trend = { d7: null, d30: null };
  let checksum = 0;
  const t0 = performance.now();
  for (let i = 0; i < customers; i++) checksum += core.scoreCustomer(pick(i), now, core.defaultConfig, undefined, trend).health.score;
  return { seconds: (performance.now() - t0) / 1000, checksum };
}

export async function benchRecompute({ customers = 100_000, distinct = 5_000 } = {}) {
  const { states, json, meanEvents } = buildStates(distinct);
  const now = core.T0 + 200 * core.DAY;
  timeScoring(2_000, (i) => states[i % distinct], now); // warm-up
  if (json.some((j, i) => JSON.stringify(states[i]) !== j)) throw new Error("scoreCustomer mutated a state: the core is not pure");
  const pure = timeScoring(customers, (i) => states[i % distinct], now);
  const withParse = timeScoring(customers, (i) => JSON.parse(json[i % distinct]), now);
  if (pure.checksum !== withParse.checksum) throw new Error("scores differ between a state and its JSON copy");
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
    distinctStates: distinct,
    meanEventsPerCustomer: round(meanEvents, 1),
    meanStateBytes: round(json.reduce((n, j) => n + j.length, 0) / json.length, 0),
    rows: [row("scoreCustomer(state)", pure), row("JSON.parse(state) + scoreCustomer", withParse)],
  };
}

// Run by bench/run.mjs in a process of its own, so the heap and timers of the other benchmarks cannot weigh on it.
if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(JSON.stringify(await benchRecompute()));
