import { tenureConfig } from "../config";
import { loadConfig, type Env } from "../env";
import { AppError, notFound } from "../errors";
import { errorFields, log } from "../log";
import { activateVersion, activeVersionId, loadVersion } from "../store/model-versions";
import { sendJobs } from "./enqueue";

export interface ActivationResult {
  active: string;
  previous: string;
  /** False when the version already was the active one (nothing changed, nothing re-scored). */
  changed: boolean;
  /** The re-score's first page is on the queue; false if sending it failed (the daily re-score still applies the model). */
  rescoreQueued: boolean;
}

/**
 * Activates a version (rolling back is activating an older one): from the next read on, every scorer uses it.
 * Current customers are re-scored by a paged job on the events queue (src/jobs/model-rescore.ts), never here.
 */
export async function activateModelVersion(env: Env, id: string, actor: string, now: number): Promise<ActivationResult> {
  const deploymentDefault = tenureConfig(loadConfig(env).TENURE_CONFIG).health;
  if (!(await loadVersion(env.DB, id, deploymentDefault))) throw notFound(`Model version ${id}`);
  const previous = await activeVersionId(env.DB);
  if (previous === id) return { active: id, previous, changed: false, rescoreQueued: false };
  if (!(await activateVersion(env.DB, { versionId: id, previousId: previous, at: now, actor }))) {
    throw new AppError(409, "conflict", "Another activation happened at the same time; reload the versions and try again.", {}, true);
  }
  let rescoreQueued = true;
  try {
    await sendJobs(env.EVENTS, [{ job: "model-rescore", versionId: id, after: "" }]);
  } catch (err) {
    rescoreQueued = false;
    log("warn", "model re-score could not be queued; the daily re-score applies the new model", { versionId: id, ...errorFields(err) });
  }
  return { active: id, previous, changed: true, rescoreQueued };
}
