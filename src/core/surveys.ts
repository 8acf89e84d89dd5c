import { z } from "zod";

/**
 * Which survey questions are CSAT and CES answers (TENURE_CONFIG.surveys). Without a list, Typeform questions are
 * read by their reference: `csat` / `csat_*` is CSAT, `ces` / `ces_*` is CES. A list names the questions (by
 * reference or by field id) that are that kind instead, for forms whose references were set for something else.
 */
const fieldList = z.array(z.string().trim().min(1).max(200)).min(1).max(100);

export const surveyRulesSchema = z
  .object({
    typeform: z.object({ csat: fieldList.optional(), ces: fieldList.optional() }).strict().default({}),
  })
  .strict();
export type SurveyRules = z.infer<typeof surveyRulesSchema>;
export type RatingFields = SurveyRules["typeform"];

export const defaultSurveyRules: SurveyRules = surveyRulesSchema.parse({});

const byConvention = (ref: string | undefined, kind: "csat" | "ces") => {
  const r = (ref ?? "").toLowerCase();
  return r === kind || r.startsWith(`${kind}_`);
};

/** csat / ces for a question by its reference or id, or undefined (an NPS or unrelated question). */
export function ratingKindOf(field: { ref?: string; id?: string } | undefined, rules: RatingFields = {}): "csat" | "ces" | undefined {
  for (const kind of ["csat", "ces"] as const) {
    const named = rules[kind];
    const is = named ? [field?.ref, field?.id].some((v) => v !== undefined && named.includes(v)) : byConvention(field?.ref, kind);
    if (is) return kind;
  }
  return undefined;
}
