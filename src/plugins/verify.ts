import { anyEqual, assertFresh, hmac, requireHeader, SignatureError, timingSafeEqualStr, toBase64, toHex } from "../../webhooks/signature";
import type { VerifyInput } from "../../webhooks/source";
import type { SignatureScheme } from "./schema";

/** Verification of a declared source, built from its scheme on the shared helpers of webhooks/signature.ts. */

const HASH = { sha256: "SHA-256", sha1: "SHA-1", sha512: "SHA-512" } as const;

type HmacScheme = Extract<SignatureScheme, { scheme: "hmac" }>;

/** The timestamp and candidate signatures a header carries (several during a secret rotation). */
function parseHeader(s: HmacScheme, headers: Headers): { timestamp?: string; signatures: string[] } {
  const value = requireHeader(headers, s.header).trim();
  if (s.format === "plain") {
    if (s.prefix !== undefined && !value.startsWith(s.prefix)) throw new SignatureError("malformed_signature", `${s.header} must look like ${s.prefix}<signature>.`);
    const timestamp = s.timestampHeader ? (headers.get(s.timestampHeader)?.trim() ?? undefined) : undefined;
    return { timestamp, signatures: [value.slice(s.prefix?.length ?? 0)] };
  }
  const [sep, tsKey, sigKey] = s.format === "t=,v1=" ? [",", "t", "v1"] : [";", "ts", "h1"];
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of value.split(sep)) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === tsKey) timestamp = v;
    else if (k === sigKey && v !== "") signatures.push(v);
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new SignatureError("malformed_signature", `${s.header} must look like ${tsKey}=<timestamp>${sep}${sigKey}=<signature>.`);
  }
  return { timestamp, signatures };
}

function signedString(s: HmacScheme, input: VerifyInput, timestamp: string | undefined): string {
  switch (s.signedPayload) {
    case "{body}":
      return input.rawBody;
    case "{timestamp}.{body}":
      return `${timestamp}.${input.rawBody}`;
    case "{timestamp}:{body}":
      return `${timestamp}:${input.rawBody}`;
    case "{url}{body}":
      return `${input.url}${input.rawBody}`;
  }
}

async function verifyHmac(s: HmacScheme, input: VerifyInput, secretName: string): Promise<void> {
  const { timestamp, signatures } = parseHeader(s, input.headers);
  if (s.signedPayload.includes("{timestamp}")) {
    if (timestamp === undefined || !/^\d+(\.\d+)?$/.test(timestamp)) {
      throw new SignatureError("missing_timestamp", `The signature timestamp is missing or not a number (${s.timestampHeader ?? s.header}).`);
    }
    const ms = s.timestampUnit === "s" ? Number(timestamp) * 1000 : Number(timestamp);
    assertFresh(ms, input.now, s.toleranceSeconds * 1000);
  }
  const mac = await hmac(HASH[s.algorithm], input.secret, signedString(s, input, timestamp));
  const expected = s.encoding === "hex" ? toHex(mac) : toBase64(mac);
  const candidates = s.encoding === "hex" ? signatures.map((x) => x.toLowerCase()) : signatures;
  if (!anyEqual(expected, candidates)) {
    throw new SignatureError("bad_signature", `The signature in ${s.header} does not match: check ${secretName} and that the raw body reaches Tenure unchanged.`);
  }
}

function verifyToken(header: string, input: VerifyInput, secretName: string): void {
  const token = requireHeader(input.headers, header).trim();
  if (!timingSafeEqualStr(input.secret, token)) throw new SignatureError("bad_signature", `The token in ${header} does not match ${secretName}.`);
}

function verifyBasic(username: string | undefined, input: VerifyInput, secretName: string): void {
  const auth = requireHeader(input.headers, "Authorization").trim();
  if (!auth.startsWith("Basic ")) throw new SignatureError("malformed_signature", "Authorization must be Basic <base64 user:password>.");
  let decoded: string;
  try {
    decoded = atob(auth.slice(6).trim());
  } catch {
    throw new SignatureError("malformed_signature", "Authorization is not valid base64.");
  }
  const colon = decoded.indexOf(":");
  const user = colon < 0 ? "" : decoded.slice(0, colon);
  const password = colon < 0 ? decoded : decoded.slice(colon + 1);
  const userOk = username === undefined || timingSafeEqualStr(username, user);
  if (!(timingSafeEqualStr(input.secret, password) && userOk)) throw new SignatureError("bad_signature", `The basic-auth credentials do not match ${secretName}.`);
}

export function declaredVerifier(scheme: SignatureScheme, secretName: string): (input: VerifyInput) => Promise<void> {
  switch (scheme.scheme) {
    case "hmac":
      return (input) => verifyHmac(scheme, input, secretName);
    case "token":
      return async (input) => verifyToken(scheme.header, input, secretName);
    case "basic-auth":
      return async (input) => verifyBasic(scheme.username, input, secretName);
  }
}

/** Token and basic-auth schemes sign no bytes: a leaked secret lets anyone post, and nothing stops a replay. */
export const isWeakScheme = (scheme: SignatureScheme): boolean => scheme.scheme !== "hmac";
