import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from "jose";
import { http, HttpResponse } from "msw";

/**
 * A Cloudflare Access team: an RS256 key pair made in the test, its public key served the way
 * `<team>/cdn-cgi/access/certs` serves it, and application tokens signed like Access signs them.
 * https://developers.cloudflare.com/cloudflare-one/identity/authorization-cookie/validating-json/
 */
export class FakeAccessTeam {
  private constructor(
    readonly teamDomain: string,
    readonly audience: string,
    private readonly kid: string,
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: Record<string, unknown>,
  ) {}

  static async create(teamDomain: string, audience: string): Promise<FakeAccessTeam> {
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    const kid = crypto.randomUUID();
    return new FakeAccessTeam(teamDomain, audience, kid, privateKey, { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" });
  }

  /** The msw handler for the team's certs URL. */
  certs() {
    return http.get(`${this.teamDomain}/cdn-cgi/access/certs`, () => HttpResponse.json({ keys: [this.publicJwk], public_cert: { kid: this.kid }, public_certs: [] }));
  }

  /** A token for `email` with the claims Access sets; `o` bends one of them, or signs with another key under this team's kid. */
  async token(email: string | null, o: { iss?: string; aud?: string; expiresAt?: number; key?: CryptoKey; claims?: JWTPayload } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = { type: "app", identity_nonce: crypto.randomUUID(), country: "NL", ...(email ? { email } : { common_name: "service-token-id" }), ...o.claims };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: this.kid })
      .setIssuer(o.iss ?? this.teamDomain)
      .setAudience(o.aud ?? this.audience)
      .setSubject(crypto.randomUUID())
      .setIssuedAt(now - 60)
      .setNotBefore(now - 60)
      .setExpirationTime(o.expiresAt ?? now + 3600)
      .sign(o.key ?? this.privateKey);
  }
}

/** A private key that Access never published, for forged tokens. */
export async function strangerKey(): Promise<CryptoKey> {
  return (await generateKeyPair("RS256")).privateKey;
}
