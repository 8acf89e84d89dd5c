// The test suite's FakeHubSpot (rate limits, batch limits, typed properties) served over HTTP on 127.0.0.1.
import { createServer } from "node:http";
import { freePort } from "./lib.mjs";
import { importBundled } from "./node-bundle.mjs";

const mod = await importBundled(
  "fake-hubspot",
  `export { FakeHubSpot } from "./test/fakes/hubspot";
   export { setupHubspotProperties } from "./connectors/hubspot";
   export { configSchema } from "./src/env";`,
);

/**
 * Starts the fake on a free port. `onWrite(companyId, at)` is called for every company a successful
 * batch update wrote. Returns { hub, url, close, configure }.
 */
export async function startFakeHubSpot({ token, onWrite = () => {} }) {
  const hub = new mod.FakeHubSpot({ token });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const request = new Request(url + req.url, { method: req.method, headers, body: body.length && req.method !== "GET" ? body : undefined });
    const response = await hub.handle(request);
    const text = await response.text();
    if (req.url.endsWith("/batch/update") && response.status < 300) {
      const at = performance.now();
      for (const input of JSON.parse(body.toString()).inputs ?? []) onWrite(String(input.id), at);
    }
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(text);
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));

  /** Creates Tenure's tenure_* properties, as `setupHubspotProperties` does once per portal. */
  async function configure() {
    const cfg = mod.configSchema.parse({ HUBSPOT_ACCESS_TOKEN: token, HUBSPOT_API_BASE: url });
    const results = await mod.setupHubspotProperties({ cfg, fetch, now: Date.now });
    const failed = results.filter((r) => r.status === "error");
    if (failed.length) throw new Error(`HubSpot property setup failed: ${JSON.stringify(failed)}`);
  }
  const close = () => new Promise((resolve) => server.close(resolve));
  return { hub, url, close, configure };
}
