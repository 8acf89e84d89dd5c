import type { FC } from "hono/jsx";
import { Document } from "./layout";

export const ErrorPage: FC<{ status: number; message: string; requestId?: string }> = ({ status, message, requestId }) => (
  <Document title={`Error ${status}`}>
    <main class="login">
      <h1>{status === 404 ? "Not found" : status === 403 ? "Not allowed" : "Something went wrong"}</h1>
      <p class="notice error" role="alert">
        {message}
      </p>
      {requestId ? <p class="muted">Request id: {requestId}</p> : null}
      <p>
        <a href="/">Back to the dashboard</a>
      </p>
    </main>
  </Document>
);
