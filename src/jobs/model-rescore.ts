import { tenureConfig } from "../config";
import { loadConfig, type Env } from "../env";
import type { TimelineJob } from "../pipeline";
import { recomputePages } from "../recompute";
import { activeModel } from "../store/model-versions";
import type { ModelRescoreJob } from "./messages";

/**
 * One page of the re-score an activation starts: the next page of customers scored by the activated version.
 * No alert comes of the band changes this causes: each customer's previous score names the previous version,
 * and the planner treats that difference as the cause (src/core/alert-rules.ts, `modelChanged`). A newer
 * activation ends this chain (it started its own).
 */
export async function modelRescorePage(env: Env, job: ModelRescoreJob, now: number): Promise<{ next: ModelRescoreJob | null; timelineJobs: TimelineJob[]; count: number }> {
  const base = tenureConfig(loadConfig(env).TENURE_CONFIG);
  const active = await activeModel(env.DB, base.health);
  if (active.id !== job.versionId) return { next: null, timelineJobs: [], count: 0 };
  const { next, timelineJobs, count } = await recomputePages(env, { ...base, health: active.model }, now, { after: job.after, maxPages: 1 });
  return { next: next === null ? null : { ...job, after: next }, timelineJobs, count };
}
