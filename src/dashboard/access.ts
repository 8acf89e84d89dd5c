import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { z } from "zod";
import { ConfigError, type Config } from "../env";

/**
 * Cloudflare Access sign-in. Access sits in front of the dashboard, signs the person in, and sends each request
 * with a JWT in the Cf-Access-Jwt-Assertion header (and the CF_Authorization cookie). The Worker must still verify
 * it: anyone who reaches the Worker's own URL can send that header.
 * https://developers.cloudflare.com/cloudflare-one/identity/authorization-cookie/validating-json/
 */

export const ACCESS_HEADER = "cf-access-jwt-assertion";
export const ACCESS_COOKIE = "CF_Authorization";

export interface AccessSettings {
  teamDomain: string;
  audience: string;
}

/** Access is on when both variables are set; one without the other is a configuration mistake, not "off". */
export function accessSettings(cfg: Config): AccessSettings | null {
  const { CF_ACCESS_TEAM_DOMAIN: teamDomain, CF_ACCESS_AUD: audience } = cfg;
  if (!teamDomain && !audience) return null;
  if (!teamDomain || !audience) throw new ConfigError("Invalid configuration: set both CF_ACCESS_TEAM_DOMAIN and CF_ACCESS_AUD, or neither");
  return { teamDomain, audience };
}

/** The Access token of a request: the header Access adds, else the cookie the browser holds. */
export function accessToken(c: Context): string | undefined {
  return c.req.header(ACCESS_HEADER) || getCookie(c, ACCESS_COOKIE) || undefined;
}

/** One key set per team for the isolate's life: jose caches the keys and refetches on an unknown `kid`. */
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySetFor(teamDomain: string) {
  let set = keySets.get(teamDomain);
  if (!set) keySets.set(teamDomain, (set = createRemoteJWKSet(new URL(`${teamDomain}/cdn-cgi/access/certs`))));
  return set;
}

/** A person's token carries their email; a service token has none and cannot use the dashboard. */
const claimsSchema = z.object({ email: z.email().transform((e) => e.toLowerCase()) });

export type AccessResult = { ok: true; email: string } | { ok: false; status: 401 | 503; reason: string };

export async function verifyAccessToken(token: string | undefined, settings: AccessSettings): Promise<AccessResult> {
  const refuse = (reason: string): AccessResult => ({ ok: false, status: 401, reason });
  if (!token) return refuse("No Cloudflare Access token came with this request.");
  try {
    const { payload } = await jwtVerify(token, keySetFor(settings.teamDomain), {
      issuer: settings.teamDomain,
      audience: settings.audience,
      algorithms: ["RS256"],
    });
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return refuse("The Cloudflare Access token names no person (a service token cannot use the dashboard).");
    return { ok: true, email: claims.data.email };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return refuse("Your Cloudflare Access sign-in has expired.");
    if (err instanceof errors.JWTClaimValidationFailed) return refuse(`The Cloudflare Access token is not for this application (its ${err.claim} claim does not match).`);
    if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || !(err instanceof errors.JOSEError)) {
      return { ok: false, status: 503, reason: "Cloudflare Access's signing keys could not be fetched; try again shortly." };
    }
    return refuse("The Cloudflare Access token is not valid.");
  }
}
