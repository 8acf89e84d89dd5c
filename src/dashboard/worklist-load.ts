import { z } from "zod";
import { DAY } from "../core/health/factors";
import { attentionPage, churnedPage, renewalsBetween, searchCustomers } from "../store/worklist";
import type { WorklistProps } from "./worklist";

export const WORKLIST_PAGE_SIZE = 50;
/** Renewals within 90 days shown at most; a portfolio with more sees the soonest. */
const RENEWALS_SHOWN = 150;

export const worklistQuery = z.object({
  q: z
    .string()
    .trim()
    .max(100)
    .optional()
    .catch(undefined)
    .transform((v) => v || null),
  offset: z.coerce.number().int().min(0).max(1_000_000).catch(0).default(0),
});
export type WorklistQuery = z.infer<typeof worklistQuery>;

/** Everything the worklist page shows; a search replaces the lists with its results. */
export async function loadWorklist(db: D1Database, q: WorklistQuery, ownerProperty: string, now: number): Promise<Omit<WorklistProps, "csrf" | "notice">> {
  const limit = WORKLIST_PAGE_SIZE;
  if (q.q) {
    const results = await searchCustomers(db, { text: q.q, limit, ownerProperty });
    return { now, search: q.q, attention: { rows: [], total: 0, offset: 0, limit }, renewals: [], churned: { rows: [], total: 0 }, results };
  }
  const [attention, renewals, churned] = await Promise.all([
    attentionPage(db, { limit, offset: q.offset, ownerProperty }),
    renewalsBetween(db, { from: now, to: now + 90 * DAY, limit: RENEWALS_SHOWN, ownerProperty }),
    churnedPage(db, { limit, offset: 0, ownerProperty }),
  ]);
  return { now, search: null, attention: { ...attention, offset: q.offset, limit }, renewals, churned, results: null };
}
