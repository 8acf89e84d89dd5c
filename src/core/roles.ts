import { z } from "zod";

/** Who may do what on the dashboard, least to most: read, work alerts, run the outbox and the model. */
export const ROLES = ["viewer", "csm", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** An exact address, or `*@domain` for everyone at that domain. Matched case-insensitively. */
const emailPattern = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(\*|[^@\s*]+)@[^@\s*]+$/, 'must be an email address or "*@domain"');

/** TENURE_ROLES: `{ "admins": [...], "csms": [...] }`. An authenticated email listed nowhere is a viewer. */
export const roleRulesSchema = z.strictObject({
  admins: z.array(emailPattern).default([]),
  csms: z.array(emailPattern).default([]),
});
export type RoleRules = z.infer<typeof roleRulesSchema>;

function matches(email: string, pattern: string): boolean {
  if (pattern.startsWith("*@")) return email.endsWith(pattern.slice(1));
  return email === pattern;
}

/** The highest role any rule grants the address; a specific match never lowers a wildcard's grant. */
export function roleFor(email: string, rules: RoleRules): Role {
  const e = email.trim().toLowerCase();
  if (rules.admins.some((p) => matches(e, p))) return "admin";
  if (rules.csms.some((p) => matches(e, p))) return "csm";
  return "viewer";
}

export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}
