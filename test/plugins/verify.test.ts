import { describe, expect, it } from "vitest";
import paddleDeclaration from "../../plugins/paddle.json";
import { parseSourceDeclaration, type SignatureScheme } from "../../src/plugins/schema";
import { declaredVerifier } from "../../src/plugins/verify";

/** Each scheme of the closed set, checked against signatures computed here with Web Crypto directly. */

const SECRET = "declared_scheme_secret";
const BODY = '{"event_type":"x","event_id":"1"}';
const URL_ = "https://tenure.example.com/webhooks/paddle?x=1";
const NOW = Date.UTC(2026, 11, 6, 12);

async function mac(hash: "SHA-1" | "SHA-256" | "SHA-512", data: string, enc: "hex" | "base64", key = SECRET): Promise<string> {
  const k = await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash }, false, ["sign"]);
  const b = new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(data)));
  return enc === "hex" ? Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("") : btoa(String.fromCharCode(...b));
}

function scheme(signature: unknown): SignatureScheme {
  const r = parseSourceDeclaration({ ...paddleDeclaration, signature });
  if (!r.ok) throw new Error(`${r.error.path}: ${r.error.message}`);
  return r.declaration.signature;
}

const verify = (s: SignatureScheme, headers: Record<string, string>, now = NOW) =>
  declaredVerifier(s, "X_SECRET")({ rawBody: BODY, headers: new Headers(headers), method: "POST", url: URL_, now, secret: SECRET });

describe("declared signature schemes", () => {
  it("sha512, base64, over {url}{body}, plain with a prefix", async () => {
    const s = scheme({ scheme: "hmac", algorithm: "sha512", encoding: "base64", signedPayload: "{url}{body}", header: "X-Sig", format: "plain", prefix: "sha512=" });
    const sig = await mac("SHA-512", `${URL_}${BODY}`, "base64");
    await expect(verify(s, { "X-Sig": `sha512=${sig}` })).resolves.toBeUndefined();
    await expect(verify(s, { "X-Sig": sig })).rejects.toMatchObject({ reason: "malformed_signature" });
    await expect(verify(s, { "X-Sig": `sha512=${await mac("SHA-512", BODY, "base64")}` })).rejects.toMatchObject({ reason: "bad_signature" });
  });

  it("sha1, hex, over {body}", async () => {
    const s = scheme({ scheme: "hmac", algorithm: "sha1", encoding: "hex", signedPayload: "{body}", header: "X-Sig", format: "plain" });
    await expect(verify(s, { "X-Sig": (await mac("SHA-1", BODY, "hex")).toUpperCase() })).resolves.toBeUndefined();
    await expect(verify(s, { "X-Sig": await mac("SHA-1", BODY, "hex", "other") })).rejects.toMatchObject({ reason: "bad_signature" });
  });

  it("t=…,v1=… over {timestamp}.{body} (seconds), with a second v1 during a rotation, inside the tolerance", async () => {
    const s = scheme({ scheme: "hmac", algorithm: "sha256", encoding: "hex", signedPayload: "{timestamp}.{body}", header: "X-Sig", format: "t=,v1=", toleranceSeconds: 60 });
    const t = NOW / 1000;
    const header = `t=${t},v1=${await mac("SHA-256", `${t}.${BODY}`, "hex", "old")},v1=${await mac("SHA-256", `${t}.${BODY}`, "hex")}`;
    await expect(verify(s, { "X-Sig": header })).resolves.toBeUndefined();
    await expect(verify(s, { "X-Sig": header }, NOW + 61_000)).rejects.toMatchObject({ reason: "stale_timestamp" });
    await expect(verify(s, { "X-Sig": header }, NOW - 61_000)).rejects.toMatchObject({ reason: "future_timestamp" });
    await expect(verify(s, { "X-Sig": `v1=${await mac("SHA-256", BODY, "hex")}` })).rejects.toMatchObject({ reason: "malformed_signature" });
  });

  it("a plain signature over {timestamp}:{body} needs its timestamp header", async () => {
    const s = scheme({ scheme: "hmac", algorithm: "sha256", encoding: "base64", signedPayload: "{timestamp}:{body}", header: "X-Sig", format: "plain", timestampHeader: "X-Ts", timestampUnit: "ms" });
    const sig = await mac("SHA-256", `${NOW}:${BODY}`, "base64");
    await expect(verify(s, { "X-Sig": sig, "X-Ts": String(NOW) })).resolves.toBeUndefined();
    await expect(verify(s, { "X-Sig": sig })).rejects.toMatchObject({ reason: "missing_timestamp" });
  });

  it("basic auth: the password is the secret, and the user name when declared", async () => {
    const s = scheme({ scheme: "basic-auth", username: "vendor" });
    await expect(verify(s, { Authorization: `Basic ${btoa(`vendor:${SECRET}`)}` })).resolves.toBeUndefined();
    await expect(verify(s, { Authorization: `Basic ${btoa(`other:${SECRET}`)}` })).rejects.toMatchObject({ reason: "bad_signature" });
    await expect(verify(s, { Authorization: `Basic ${btoa("vendor:wrong")}` })).rejects.toMatchObject({ reason: "bad_signature" });
    await expect(verify(s, {})).rejects.toMatchObject({ reason: "missing_signature" });
  });
});
