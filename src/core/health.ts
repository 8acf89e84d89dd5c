/**
 * Customer health: a 0..100 score from five components (billing, support, usage, sentiment,
 * relationship), a band with hysteresis, and the drivers that explain it. The model and its defaults
 * are documented in docs/health-model.md.
 */
export {
  type Band,
  type ComponentName,
  type HealthModel,
  type HealthModelInput,
  type HealthOverride,
  type Weights,
  componentNames,
  defaultHealthModel,
  healthModelSchema,
} from "./health/model";
export { type Driver, type HealthContext, type HealthScore, bandFor, effectiveWeights, scoreHealth } from "./health/score";
export { renewalDate } from "./health/relationship";
