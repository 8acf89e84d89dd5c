import type { FC } from "hono/jsx";
import { raw } from "hono/html";

/** The page a visitor sees when a referral link cannot send them on: a minimal page of its own, no dashboard chrome. */
export const ReferralPage: FC<{ title: string; message: string }> = ({ title, message }) => (
  <>
    {raw("<!doctype html>")}
    <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="robots" content="noindex" />
      <title>{title}</title>
    </head>
    <body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5">
      <h1>{title}</h1>
      <p>{message}</p>
    </body>
    </html>
  </>
);
