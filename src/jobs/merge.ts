import type { Action } from "../core/actions";
import { mergeStates } from "../core/merge-state";
import type { AlertLog } from "../core/plan";
import { dayKey } from "../core/state";
import type { PipelineDeps, TimelineJob, scoreStep } from "../pipeline";
import { loadCustomers, type StoredCustomer } from "../store/customers";
import { dropUnusedCodeStmt, mergedInto, moveStmts, recordMovedStmt, referralConflict, retireStmts } from "../store/merge";
import { firstValueStmts } from "../store/first-value";
import { loadTimelines } from "../store/timeline";
import { log } from "../log";

/**
 * Merges one customer into another in ONE D1 batch (one transaction): every row of the loser moves to the
 * survivor, the survivor is re-scored from the join of both states (src/core/merge-state.ts), and the loser
 * leaves a pointer. The batch is a constant number of set-based statements whatever the customers' size, so a
 * merge never comes near an invocation's 1,000-query budget and always completes inline; only the survivor's
 * older timeline days are recomputed afterwards, by the existing paged timeline job. Both customers' versions
 * guard the batch: an event step that commits on either in between rolls the merge back, and it runs again
 * from fresh state. An event step that loses against the merge is retried, re-resolves its keys (now the
 * survivor's) and is applied there: every fact reaches the survivor exactly once.
 */
export type MergeOutcome =
  | { status: "merged"; survivorId: string; loserId: string; moved: Record<string, number>; actionIds: string[]; timelineJob: TimelineJob | null }
  | { status: "already_merged"; survivorId: string; loserId: string }
  | { status: "refused"; code: "same_customer" | "not_found" | "merged_customer" | "referral_conflict"; message: string; survivorId?: string };

/** scoreStep of src/pipeline.ts, passed in so that this module and the pipeline do not import each other. */
export type Rescore = typeof scoreStep;

const ATTEMPTS = 4;

export async function mergeCustomers(
  deps: PipelineDeps,
  rescore: Rescore,
  p: { survivorId: string; loserId: string; via: "admin" | "auto"; reason?: string },
): Promise<MergeOutcome> {
  const { survivorId, loserId } = p;
  if (survivorId === loserId) return { status: "refused", code: "same_customer", message: "A customer cannot be merged into itself." };
  const [loserPointer, survivorPointer] = await Promise.all([mergedInto(deps.db, loserId), mergedInto(deps.db, survivorId)]);
  if (survivorPointer) {
    return {
      status: "refused",
      code: "merged_customer",
      message: `Customer ${survivorId} was itself merged into ${survivorPointer.survivorId}; merge into that one.`,
      survivorId: survivorPointer.survivorId,
    };
  }
  if (loserPointer) {
    if (loserPointer.survivorId === survivorId) return { status: "already_merged", survivorId, loserId };
    return { status: "refused", code: "merged_customer", message: `Customer ${loserId} was already merged into ${loserPointer.survivorId}.`, survivorId: loserPointer.survivorId };
  }
  const codes = await referralConflict(deps.db, survivorId, loserId);
  if ("conflict" in codes) return { status: "refused", code: "referral_conflict", message: `Cannot merge ${loserId} into ${survivorId}: ${codes.conflict}.` };

  for (let attempt = 1; ; attempt++) {
    const stored = await loadCustomers(deps.db, [survivorId, loserId]);
    const survivor = stored.get(survivorId);
    const loser = stored.get(loserId);
    if (!survivor || !loser) {
      // Lost a race with another merge of the same pair: report what it did.
      const again = await mergedInto(deps.db, loserId);
      if (again?.survivorId === survivorId) return { status: "already_merged", survivorId, loserId };
      return { status: "refused", code: "not_found", message: `Customer ${!survivor ? survivorId : loserId} not found.` };
    }
    try {
      return await commitMerge(deps, rescore, survivor, loser, { ...p, dropCode: codes.drop });
    } catch (err) {
      if (attempt >= ATTEMPTS) throw err;
      log("info", "merge raced a concurrent write; retrying from fresh state", { survivorId, loserId, attempt });
    }
  }
}

async function commitMerge(
  deps: PipelineDeps,
  rescore: Rescore,
  survivor: StoredCustomer,
  loser: StoredCustomer,
  p: { via: "admin" | "auto"; reason?: string; dropCode: string | null },
): Promise<MergeOutcome> {
  const { db, now } = deps;
  const state = mergeStates(survivor.state, loser.state);
  const externalIds = structuredClone(survivor.externalIds);
  for (const [kind, values] of Object.entries(loser.externalIds)) for (const v of values) if (!externalIds[kind]?.includes(v)) (externalIds[kind] ??= []).push(v);
  const merged: StoredCustomer = { ...survivor, state, alerts: mergeAlerts(survivor.alerts, loser.alerts) };
  const history = (await loadTimelines(db, [{ id: survivor.id, since: now - 31 * 86_400_000 }])).get(survivor.id) ?? [];
  const { moves, helpers } = moveStmts(db, survivor.id, loser.id);
  const scored = rescore(deps, survivor.id, merged, [], history, externalIds);
  const stmts = [
    ...helpers,
    // A customer holds one referral code: of two, the unused one goes first (its rows would collide in the move).
    ...(p.dropCode ? [dropUnusedCodeStmt(db, p.dropCode)] : []),
    ...moves.map((m) => m.stmt),
    ...scored.stmts,
    // scoreStep saw the merged state as "before": the first-value deadline is compared with the survivor's own.
    ...firstValueStmts(db, deps.cfg.lifecycle, survivor.id, survivor.state, state, now),
    ...retireStmts(db, { survivorId: survivor.id, loserId: loser.id, loserVersion: loser.version, via: p.via, reason: p.reason ?? null, now }),
  ];
  const results = await db.batch(stmts);
  const moved: Record<string, number> = {};
  const offset = helpers.length + (p.dropCode ? 1 : 0);
  if (p.dropCode && (results[helpers.length]?.meta.changes ?? 0) > 0) moved["referral_codes.dropped"] = 1;
  moves.forEach((m, i) => {
    const n = results[offset + i]?.meta.changes ?? 0;
    if (n > 0) moved[m.table] = (moved[m.table] ?? 0) + n;
  });
  await recordMovedStmt(db, loser.id, moved).run();
  // The merged history reaches back to the older customer's first fact: recompute it all from the merged state.
  const first = state.profile.firstSeenAt;
  const timelineJob = first === undefined ? null : { customerId: survivor.id, from: dayKey(first), to: dayKey(now) };
  return { status: "merged", survivorId: survivor.id, loserId: loser.id, moved, actionIds: scored.actions.map((a: Action) => a.id), timelineJob };
}

/** Per alert rule the later entry (cooldowns hold for the account as a whole); a snooze lasts the longer. */
function mergeAlerts(a: AlertLog, b: AlertLog): AlertLog {
  const out: AlertLog = { ...b, ...a };
  for (const [rule, entry] of Object.entries(b) as [keyof AlertLog, AlertLog[keyof AlertLog]][]) {
    if (rule === "snoozedUntil") continue;
    const mine = a[rule];
    if (typeof entry === "object" && entry && (!mine || (typeof mine === "object" && entry.at > mine.at))) (out as Record<string, unknown>)[rule] = entry;
  }
  const snooze = Math.max(a.snoozedUntil ?? 0, b.snoozedUntil ?? 0);
  if (snooze > 0) out.snoozedUntil = snooze;
  return out;
}
