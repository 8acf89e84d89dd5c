import { tenureConfig } from "../config";
import { loadConfig, type Env } from "../env";
import { customerPages } from "../history";
import { loadPreview, savePreviewPage } from "../store/model-previews";
import { loadVersion } from "../store/model-versions";
import { foldPreviewPage } from "../routes/model-replay";
import type { ModelPreviewJob } from "./messages";

/** Customers per page: the same page the replay reads (one query each for states and timelines). */
export const PREVIEW_PAGE = 100;

/**
 * One page of a paged preview: the next customers folded into the stored total. Idempotent: the total is
 * saved only if the stored cursor is still where this page started, so a retried page adds nothing twice.
 */
export async function modelPreviewPage(env: Env, job: ModelPreviewJob, now: number): Promise<ModelPreviewJob | null> {
  const preview = await loadPreview(env.DB, job.previewId);
  if (!preview || preview.status !== "running") return null;
  const base = tenureConfig(loadConfig(env).TENURE_CONFIG);
  const [candidate, active] = await Promise.all([loadVersion(env.DB, preview.versionId, base.health), loadVersion(env.DB, preview.activeId, base.health)]);
  if (!candidate || !active) return null;
  const from = preview.cursor;
  const ids = (await customerPages(env.DB, PREVIEW_PAGE, undefined, from).next()).value ?? [];
  if (ids.length > 0) await foldPreviewPage(env.DB, base, { active: active.model, candidate: candidate.model }, ids, preview.options, preview.tally);
  const done = ids.length < PREVIEW_PAGE;
  const saved = await savePreviewPage(env.DB, { ...preview, cursor: ids.at(-1) ?? from, status: done ? "done" : "running", updatedAt: now }, from);
  return saved && !done ? job : null;
}
