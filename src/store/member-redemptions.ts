import type { Redemption } from "./loyalty-points";

/** A member's redemption of a catalogue reward: spent and credited by the program's one conditional batch (redeemStmts). */
export type RewardRedemption = Redemption & { rewardId: string };

export function redemptionRowStmt(db: D1Database, id: string): D1PreparedStatement {
  return db.prepare(`SELECT id, ref AS rewardId, points, amount, currency, at FROM loyalty_ledger WHERE id = ?`).bind(id);
}
