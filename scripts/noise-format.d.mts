/** Types of noise-format.mjs: the budget as GET /api/alerts/noise answers it (src/core/noise.ts). */
import type { NoiseBudget } from "../src/core/noise";

export function formatNoise(budget: Pick<NoiseBudget, "horizonDays" | "accounts" | "rules" | "any"> & { capped?: boolean }): string;
