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
  /** "My accounts": `mine=1`. */
  mine: z
    .string()
    .optional()
    .catch(undefined)
    .transform((v) => v === "1"),
});
export type WorklistQuery = z.infer<typeof worklistQuery>;

/**
 * Everything the worklist page shows; a search replaces the lists with its results. `viewerEmail` is the
 * signed-in person's (null with the admin token): "my accounts" keeps the accounts whose HubSpot owner has it.
 */
export async function loadWorklist(
  db: D1Database,
  q: WorklistQuery,
  ownerProperty: string,
  now: number,
  viewerEmail: string | null,
): Promise<Omit<WorklistProps, "csrf" | "notice">> {
  const limit = WORKLIST_PAGE_SIZE;
  const ownerEmail = q.mine ? viewerEmail : null;
  const mine = { asked: q.mine, email: viewerEmail };
  if (q.q) {
    const results = await searchCustomers(db, { text: q.q, limit, ownerProperty, ownerEmail });
    return { now, mine, search: q.q, attention: { rows: [], total: 0, offset: 0, limit }, renewals: [], churned: { rows: [], total: 0 }, results };
  }
  const [attention, renewals, churned] = await Promise.all([
    attentionPage(db, { limit, offset: q.offset, ownerProperty, ownerEmail }),
    renewalsBetween(db, { from: now, to: now + 90 * DAY, limit: RENEWALS_SHOWN, ownerProperty, ownerEmail }),
    churnedPage(db, { limit, offset: 0, ownerProperty, ownerEmail }),
  ]);
  return { now, mine, search: null, attention: { ...attention, offset: q.offset, limit }, renewals, churned, results: null };
}
