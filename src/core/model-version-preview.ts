import type { TenureConfig } from "./config";
import type { Band, HealthModel } from "./health";
import { churnedAt } from "./lifecycle";
import { scoreCustomer } from "./snapshot";
import type { CustomerState } from "./state";

/** What a candidate model would say of one customer now, beside what the active model says. */
export interface PreviewRow {
  customerId: string;
  name: string | null;
  active: { score: number; band: Band };
  candidate: { score: number; band: Band };
}

/**
 * Both models score the customer's current facts at `now`, from the band it holds (hysteresis), so a
 * difference is the models' alone. Churned customers are left out: no model changes their outcome.
 */
export function previewCustomer(
  customerId: string,
  name: string | null,
  state: CustomerState,
  heldBand: Band | undefined,
  now: number,
  base: TenureConfig,
  models: { active: HealthModel; candidate: HealthModel },
): PreviewRow | null {
  if (churnedAt(state) !== null) return null;
  const score = (health: HealthModel) => {
    const h = scoreCustomer(state, now, { ...base, health }, heldBand, { d7: null, d30: null }).health;
    return { score: h.score, band: h.band };
  };
  return { customerId, name, active: score(models.active), candidate: score(models.candidate) };
}
