#!/usr/bin/env node
// Serves the fake HubSpot, Slack and Stripe (test/fakes/*) as local HTTP servers, for the demo and
// benchmarks. Each port also answers a small control API under /__fakes (no token needed):
//   GET  /__fakes           which vendor this is
//   GET  /__fakes/summary   what Tenure did there (companies written, alerts posted, credits, ...)
//   POST /__fakes/seed      records the vendor already holds (JSON; see seed() below)
//   GET  /__fakes/messages  Slack only: every message as the fake holds it now (edits applied)
// Run alone: `node scripts/fakes-server.mjs` (Ctrl-C stops it); it prints the variables to point a
// local Tenure at it.
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { parseCli } from "./cli.mjs";
import { loadDemoModules } from "./demo/bundle.mjs";

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

function headersOf(req) {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
  return h;
}

const send = (res, status, body) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

function summaryOf(vendor, fake) {
  if (vendor === "hubspot") {
    const scored = [...fake.companies.values()].filter((c) => c.properties.tenure_health_score !== undefined);
    const bands = {};
    for (const c of scored) bands[c.properties.tenure_health_band] = (bands[c.properties.tenure_health_band] ?? 0) + 1;
    const writes = fake.requests.filter((r) => r.path.endsWith("/companies/batch/update") && r.status < 300).length;
    return { companies: fake.companies.size, scored: scored.length, bands, notes: fake.notes.length, batchWrites: writes, rateLimited: fake.requests.filter((r) => r.status === 429).length };
  }
  if (vendor === "slack") {
    const posts = fake.messages.filter((m) => !m.thread_ts);
    return { messages: fake.messages.length, alerts: posts.map((m) => m.text), threadReplies: fake.messages.length - posts.length, rateLimited: fake.requests.filter((r) => r.status === 429).length };
  }
  const credits = fake.state.balanceTransactions.map((t) => ({ customer: t.customer, amount: t.amount, currency: t.currency, description: t.description }));
  const discounted = [...fake.state.subscriptions.values()].filter((s) => s.discounts?.length).length;
  return { credits, promotionCodes: fake.state.promotionCodes.size, discountedSubscriptions: discounted, customers: fake.state.customers.size, events: fake.lists.events.length };
}

function seed(vendor, fake, body) {
  if (vendor === "hubspot") {
    const at = new Date(fake.now()).toISOString();
    for (const o of body.owners ?? []) fake.owners.set(o.id, { email: o.email, firstName: o.firstName, lastName: o.lastName });
    for (const c of body.companies ?? []) fake.companies.set(c.id, { id: c.id, properties: { ...c.properties, hs_object_id: c.id }, createdAt: at, updatedAt: at });
    for (const c of body.contacts ?? []) fake.lists.addContact(c.properties, c.companyIds ?? [], c.id);
    for (const d of body.deals ?? []) fake.lists.addDeal(d.properties, d.companyIds ?? [], d.id);
    return { owners: fake.owners.size, companies: fake.companies.size, contacts: fake.lists.contacts.size, deals: fake.lists.deals.size };
  }
  if (vendor === "stripe") {
    for (const c of body.customers ?? []) fake.lists.addCustomer(c);
    for (const sub of body.subscriptions ?? []) fake.lists.addSubscription(sub);
    for (const e of body.events ?? []) fake.lists.addEvent(e.type, e.data.object, { id: e.id, created: e.created, ...(e.data.previous_attributes ? { previous_attributes: e.data.previous_attributes } : {}) });
    return { customers: fake.state.customers.size, subscriptions: fake.state.subscriptions.size, events: fake.lists.events.length };
  }
  return {};
}

function serve(vendor, fake) {
  return createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
      const body = await readBody(req);
      if (url.pathname === "/__fakes") return send(res, 200, { vendor, ok: true });
      if (url.pathname === "/__fakes/summary") return send(res, 200, summaryOf(vendor, fake));
      if (url.pathname === "/__fakes/messages" && vendor === "slack") return send(res, 200, { messages: fake.messages });
      if (url.pathname === "/__fakes/seed" && req.method === "POST") return send(res, 200, seed(vendor, fake, JSON.parse(body.toString("utf8") || "{}")));
      const request = new Request(url, { method: req.method, headers: headersOf(req), body: ["GET", "HEAD"].includes(req.method ?? "GET") ? undefined : body });
      const response = await fake.handle(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch (err) {
      send(res, 500, { error: String(err?.stack ?? err) });
    }
  });
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
}

/** Starts the three fakes on their ports, with the demo's credentials; the HubSpot one has Tenure's properties. */
export async function startFakes(opts = {}) {
  const m = opts.modules ?? (await loadDemoModules());
  const ports = { ...m.DEMO.fakePorts, ...opts.ports };
  const secrets = m.DEMO.secrets;
  const fakes = {
    // A Professional portal's burst limit (190 per 10 s).
    hubspot: new m.FakeHubSpot({ token: secrets.HUBSPOT_ACCESS_TOKEN, burstMax: 190 }),
    slack: new m.FakeSlack({ token: secrets.SLACK_BOT_TOKEN, channels: { [secrets.SLACK_ALERT_CHANNEL]: { name: "customer-health" } } }),
    stripe: new m.FakeStripe({ secretKey: secrets.STRIPE_SECRET_KEY }),
  };
  const base = `http://127.0.0.1:${ports.hubspot}`;
  await m.setupHubspotProperties({
    cfg: m.configSchema.parse({ HUBSPOT_ACCESS_TOKEN: secrets.HUBSPOT_ACCESS_TOKEN, HUBSPOT_API_BASE: base }),
    fetch: (input, init) => fakes.hubspot.handle(new Request(input, init)),
    now: Date.now,
  });
  const servers = [];
  for (const vendor of ["hubspot", "slack", "stripe"]) {
    const server = serve(vendor, fakes[vendor]);
    await listen(server, ports[vendor]);
    servers.push(server);
  }
  return { fakes, ports, close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  parseCli(`
node scripts/fakes-server.mjs

Serves the fake HubSpot, Slack and Stripe (the ones the tests use, with the vendors' limits) on local ports
and prints the variables that point a local Tenure at them. Each port answers GET /__fakes/summary with what
Tenure did there. Ctrl-C stops them.
`);
  const m = await loadDemoModules();
  const { ports } = await startFakes({ modules: m });
  const vars = m.demoVars();
  console.log(`Fake HubSpot :${ports.hubspot}, Slack :${ports.slack}, Stripe :${ports.stripe}. Point a local Tenure at them with:`);
  for (const k of ["HUBSPOT_API_BASE", "HUBSPOT_ACCESS_TOKEN", "SLACK_API_BASE", "SLACK_BOT_TOKEN", "SLACK_ALERT_CHANNEL", "STRIPE_API_BASE", "STRIPE_SECRET_KEY"]) console.log(`  ${k}=${vars[k]}`);
  console.log("Ctrl-C stops them.");
}
