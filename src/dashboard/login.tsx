import type { FC } from "hono/jsx";
import { Document } from "./layout";

/** `loginToken` is the pre-session CSRF token that goes with the login cookie (src/dashboard/session.ts). */
export const LoginPage: FC<{ error?: string | null; disabled?: boolean; loginToken?: string }> = ({ error, disabled, loginToken }) => (
  <Document title="Log in">
    <main class="login">
      <h1>Tenure</h1>
      {disabled ? (
        <p class="notice error" role="alert">
          The dashboard is disabled: set the ADMIN_TOKEN secret.
        </p>
      ) : (
        <form method="post" action="/login">
          {error ? (
            <p class="notice error" role="alert">
              {error}
            </p>
          ) : null}
          {loginToken ? <input type="hidden" name="_login" value={loginToken} /> : null}
          <label for="token">Admin token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
          <button type="submit">Log in</button>
        </form>
      )}
    </main>
  </Document>
);
