import { z } from "zod";

/** Inputs of src/routes/customers-merge.ts, shared with its OpenAPI paths (which must not import the route's runtime). */
export const mergeBodySchema = z.object({ from: z.string().min(1).max(200) }).strict();
export const unlinkKindSchema = z.enum(["stripe", "hubspot", "segment_group", "account", "domain", "stripe_charge", "stripe_pi"]);
