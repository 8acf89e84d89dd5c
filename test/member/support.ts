import { env, SELF } from "cloudflare:test";
import { SignJWT } from "jose";

/** Member tokens signed the way a SaaS backend signs them (jose, HS256), and calls to the member API. */

export const BASE = "https://tenure.example.com";
export const MEMBER_SECRET = env.TENURE_MEMBER_SECRET as string;
export const HOST_ORIGIN = "https://app.customer.example";

export interface MintOptions {
  secret?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  alg?: string;
}

export async function mintToken(claims: Record<string, unknown>, opts: MintOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ email: "user@customer.example", ...claims })
    .setProtectedHeader({ alg: opts.alg ?? "HS256", typ: "JWT" })
    .setSubject(typeof claims.sub === "string" ? claims.sub : "user_1")
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.expiresIn ?? 3600))
    .sign(new TextEncoder().encode(opts.secret ?? MEMBER_SECRET));
}

export async function tokenFor(customerId: string, opts: MintOptions = {}): Promise<string> {
  return mintToken({ account_id: customerId }, opts);
}

let clients = 0;
/** Each call comes from its own address unless `headers` name one, so refusals a test provokes on purpose never add up to a lock (see throttle.test.ts). */
const nextClient = () => `10.${(++clients >> 16) & 255}.${(clients >> 8) & 255}.${clients & 255}`;

export async function memberCall<T = any>(method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const res = await SELF.fetch(`${BASE}/member${path}`, {
    method,
    headers: {
      origin: HOST_ORIGIN,
      "cf-connecting-ip": nextClient(),
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as T };
}

/** Gives a customer points through the admin API's activity route (a review each, 100 points). */
export async function grantPoints(customerId: string, reviews: number, tag = "seed"): Promise<void> {
  for (let i = 0; i < reviews; i++) {
    const res = await SELF.fetch(`${BASE}/api/loyalty/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN as string}`, "content-type": "application/json" },
      body: JSON.stringify({ customerId, kind: "review_submitted", ref: `${tag}-${i}` }),
    });
    if (res.status !== 201) throw new Error(`grantPoints: ${res.status} ${await res.text()}`);
  }
}
