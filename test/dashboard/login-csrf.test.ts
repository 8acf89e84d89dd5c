import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, ORIGIN } from "./seed";

/** Login CSRF: a third-party page must not be able to log a visitor's browser into this dashboard. */

const postLogin = (form: Record<string, string>, headers: Record<string, string>) =>
  SELF.fetch(`${ORIGIN}/login`, { method: "POST", body: new URLSearchParams(form), headers, redirect: "manual" });

/** What a browser gets from the login page: the login cookie and the form's hidden token. */
async function loginForm(): Promise<{ cookie: string; field: string; setCookie: string }> {
  const res = await SELF.fetch(`${ORIGIN}/`, { headers: { "sec-fetch-site": "none" } });
  const setCookie = res.headers.get("set-cookie") ?? "";
  const field = /name="_login" value="([^"]+)"/.exec(await res.text())?.[1] ?? "";
  return { cookie: setCookie.split(";")[0]!, field, setCookie };
}

const sameOrigin = { origin: ORIGIN, "sec-fetch-site": "same-origin" };

describe("login CSRF", () => {
  it("refuses a cross-site POST /login, even with the right token, and sets no cookie", async () => {
    const { cookie, field } = await loginForm();
    const crossSite: Record<string, string>[] = [
      { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "cross-site" },
      { origin: "https://evil.example" },
      { origin: "null" },
      { origin: "https://other.tenure.example.com", "sec-fetch-site": "same-site" },
    ];
    for (const headers of crossSite) {
      const res = await postLogin({ token: ADMIN_TOKEN, _login: field }, { ...headers, cookie });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers.get("set-cookie"), JSON.stringify(headers)).toBeNull();
      expect(await res.text()).toContain("Log in from Tenure&#39;s own login page.");
    }
  });

  it("the login page sets a __Host- SameSite=Strict login cookie and puts its token in the form", async () => {
    const { setCookie, field } = await loginForm();
    expect(setCookie).toMatch(/^__Host-tenure_login=[A-Za-z0-9_-]{43}; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    expect(field).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("a same-origin browser login needs the form's token and its cookie", async () => {
    const { cookie, field } = await loginForm();
    const other = await loginForm();
    for (const [what, form, headers] of [
      ["no token", { token: ADMIN_TOKEN }, { ...sameOrigin, cookie }],
      ["no cookie", { token: ADMIN_TOKEN, _login: field }, sameOrigin],
      ["another form's token", { token: ADMIN_TOKEN, _login: other.field }, { ...sameOrigin, cookie }],
    ] as const) {
      const res = await postLogin(form, headers);
      expect(res.status, what).toBe(403);
      expect(res.headers.get("set-cookie") ?? "", what).not.toContain("tenure_session");
    }
    const ok = await postLogin({ token: ADMIN_TOKEN, _login: field }, { ...sameOrigin, cookie });
    expect(ok.status).toBe(303);
    const cookies = ok.headers.getSetCookie();
    expect(cookies[0]).toMatch(/^__Host-tenure_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    // The login cookie has done its job.
    expect(cookies[1]).toMatch(/^__Host-tenure_login=; Max-Age=0;/);
  });

  it("a script with neither Origin nor Sec-Fetch-Site logs in with the token alone", async () => {
    const res = await postLogin({ token: ADMIN_TOKEN }, {});
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie()).toHaveLength(1);
  });
});
