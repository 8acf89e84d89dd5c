/** The sweeper's running count of inbox rows it rescued (committed, never handed to the queue). */
export interface SweeperStats {
  rescued: number;
  /** ms; null until the first rescue. */
  lastRescueAt: number | null;
}

export async function recordRescues(db: D1Database, rescued: number, now: number): Promise<void> {
  if (rescued <= 0) return;
  await db
    .prepare(
      `INSERT INTO sweeper_stats (id, rescued, last_rescue_at) VALUES (1, ?1, ?2)
       ON CONFLICT (id) DO UPDATE SET rescued = rescued + ?1, last_rescue_at = ?2`,
    )
    .bind(rescued, now)
    .run();
}

export async function sweeperStats(db: D1Database): Promise<SweeperStats> {
  const row = await db.prepare(`SELECT rescued, last_rescue_at FROM sweeper_stats WHERE id = 1`).first<{ rescued: number; last_rescue_at: number | null }>();
  return { rescued: row?.rescued ?? 0, lastRescueAt: row?.last_rescue_at ?? null };
}
