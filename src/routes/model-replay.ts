import type { TenureConfig } from "../core/config";
import type { Band, HealthModel } from "../core/health";
import { previewCustomer, type PreviewRow } from "../core/model-version-preview";
import { scoreTallyResult, tallyHistories, tallyRows, type PreviewTally } from "../core/model-version-tally";
import { historyFromState, historyFromTimeline, loadReplayPage, type ReplayedHistory } from "../history";
import type { PreviewOptions } from "../store/model-previews";

/**
 * One page of a preview, folded into its running total: each live customer's score now under both models,
 * and each model's backtest samples. The active model's past is read from the timeline where every point is
 * its own; the candidate is scored on the kept facts as they stood on each sample day. Writes nothing.
 */
export async function foldPreviewPage(
  db: D1Database,
  base: TenureConfig,
  models: { active: HealthModel; candidate: HealthModel },
  ids: string[],
  opts: PreviewOptions,
  tally: PreviewTally,
): Promise<void> {
  const rows: PreviewRow[] = [];
  const active: ReplayedHistory[] = [];
  const candidate: ReplayedHistory[] = [];
  const { customers, series } = await loadReplayPage(db, ids);
  for (const [id, c] of customers) {
    const name = c.state.profile.name?.value ?? c.state.profile.domain?.value ?? null;
    const row = previewCustomer(id, name, c.state, (c.health?.band as Band | undefined) ?? undefined, opts.at, base, models);
    if (row) rows.push(row);
    const points = series.get(id) ?? [];
    const own = points.length > 0 && points.every((p) => p.modelVersion === models.active.version);
    active.push(own ? historyFromTimeline(id, c.state, points, opts.at, opts.stepDays) : historyFromState(id, c.state, { ...base, health: models.active }, opts.at, opts.stepDays));
    candidate.push(historyFromState(id, c.state, { ...base, health: models.candidate }, opts.at, opts.stepDays));
  }
  tallyRows(tally, rows, customers.size, opts.limit);
  tallyHistories(tally.backtest.active, active, opts.horizonDays, opts.at);
  tallyHistories(tally.backtest.candidate, candidate, opts.horizonDays, opts.at);
}

/** The answer of a finished (or running) preview. */
export function previewAnswer(tally: PreviewTally, models: { active: HealthModel; candidate: HealthModel }) {
  return {
    customers: tally.customers,
    scored: tally.scored,
    moved: tally.moved,
    byBand: tally.byBand,
    moves: tally.moves,
    movesListed: tally.moves.length,
    backtest: {
      active: { modelVersion: models.active.version, ...scoreTallyResult(tally.backtest.active, models.active.bands) },
      candidate: { modelVersion: models.candidate.version, ...scoreTallyResult(tally.backtest.candidate, models.candidate.bands) },
    },
  };
}
