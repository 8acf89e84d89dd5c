import { z } from "zod";
import { claimKinds } from "../core/member";

/** The query and body schemas of the member routes and their admin side, shared with the OpenAPI document. */

export const historyQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(/^\d{1,16}\.\S{1,300}$/, "cursor: the `next` of the previous page")
    .optional(),
});

export const redemptionBodySchema = z.object({
  rewardId: z.string().min(1).max(40),
  requestId: z.string().regex(/^[A-Za-z0-9_.:-]{8,100}$/, "requestId: 8–100 letters, digits, _ . : - (a UUID fits)"),
});

/** zod runs refinements after a failed format check too, so this must accept what is not a URL at all. */
function hasNoCredentials(u: string): boolean {
  if (!URL.canParse(u)) return true;
  const url = new URL(u);
  return !url.username && !url.password;
}

export const claimBodySchema = z.object({
  kind: z.enum(claimKinds),
  url: z
    .url({ protocol: /^https$/, message: "url: an https URL" })
    .max(2000)
    .refine(hasNoCredentials, "url: no user name or password in the URL"),
});

export const claimsQuerySchema = z.object({
  status: z.enum(["pending", "approved", "rejected"]).optional(),
  customerId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const approveBodySchema = z.object({ actor: z.string().trim().min(1).max(120).optional() });
export const rejectBodySchema = z.object({ actor: z.string().trim().min(1).max(120).optional(), reason: z.string().trim().min(1).max(500) });
