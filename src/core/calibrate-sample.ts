import type { CalibrationRow } from "./calibrate-split";
import { componentNames } from "./health";

/**
 * A bounded sample of calibration rows that does not depend on how the customers were paged: each row has a
 * key (a hash of its customer and time) and the sample is the CALIBRATION_SAMPLE rows with the smallest keys.
 * A paged calibration folds one page at a time, storing only the page's rows whose key is below the threshold
 * so far (the threshold only falls, so no row of the final sample is ever dropped), and fits on the sample.
 * Counts (rows, censored, customers) are over every row, sampled or not.
 */

/** Rows a calibration fits on at most: a fit of that many stays well inside one invocation's CPU. */
export const CALIBRATION_SAMPLE = 20_000;

export interface SampleState {
  /** The smallest keys seen so far, ascending, at most `cap` of them. */
  keys: number[];
  rows: number;
  censored: number;
  customers: number;
}

export const emptySample = (): SampleState => ({ keys: [], rows: 0, censored: 0, customers: 0 });

/** FNV-1a (32 bits) of "customer@time": a fixed, well-spread key per row. */
export function sampleKey(customerId: string, at: number): number {
  const s = `${customerId}@${at}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The largest key the sample holds once full; Infinity while it is not. */
export const sampleThreshold = (s: SampleState, cap = CALIBRATION_SAMPLE): number => threshold(s.keys, cap);
const threshold = (keys: readonly number[], cap: number): number => (keys.length >= cap ? keys[cap - 1]! : Infinity);

/** Folds one page into the sample: the new state, and the page's rows to store. */
export function foldSample(
  state: SampleState,
  page: { rows: readonly CalibrationRow[]; censored: number; customers: number },
  cap = CALIBRATION_SAMPLE,
): { state: SampleState; kept: CalibrationRow[] } {
  const keys = [...state.keys, ...page.rows.map((r) => sampleKey(r.customerId, r.at))].sort((a, b) => a - b).slice(0, cap);
  const limit = threshold(keys, cap);
  return {
    state: { keys, rows: state.rows + page.rows.length, censored: state.censored + page.censored, customers: state.customers + page.customers },
    kept: page.rows.filter((r) => sampleKey(r.customerId, r.at) <= limit),
  };
}

/** The sample out of every stored row, in one order (customer, then time) whatever the pages were. */
export function takeSample(stored: readonly CalibrationRow[], state: SampleState, cap = CALIBRATION_SAMPLE): CalibrationRow[] {
  const limit = threshold(state.keys, cap);
  return stored
    .filter((r) => sampleKey(r.customerId, r.at) <= limit)
    .sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : a.at - b.at));
}

/** A row as stored with its page: [customerId, at, score, churned (0/1), ...components in componentNames order]. */
export type StoredRow = [string, number, number, 0 | 1, ...(number | null)[]];

export const toStoredRow = (r: CalibrationRow): StoredRow => [r.customerId, r.at, r.score, r.churned ? 1 : 0, ...r.components];

export function fromStoredRow(s: readonly unknown[]): CalibrationRow | null {
  const [customerId, at, score, churned, ...components] = s;
  if (typeof customerId !== "string" || typeof at !== "number" || typeof score !== "number") return null;
  // Rows stored before a component existed have none for it.
  const values = componentNames.map((_, j) => (typeof components[j] === "number" ? (components[j] as number) : null));
  return { customerId, at, score, churned: churned === 1, components: values };
}
