import { ROW_LIMIT_BYTES } from "../../src/store/limits";

/** Tenure's ceiling for one bound string: half of what D1 refuses, as for rows. */
export const BOUND_VALUE_LIMIT_BYTES = ROW_LIMIT_BYTES;
/** D1 refuses SQL text over 100,000 bytes. */
export const STATEMENT_LIMIT_BYTES = 100_000;
