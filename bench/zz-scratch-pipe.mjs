import { startWorker, migrate, tempDir, root, sleep, wranglerBin } from "./lib.mjs";
import { startFakeHubSpot } from "./fake-hubspot.mjs";
import { customerCreated, invoicePaid, signStripe } from "./stripe-bodies.mjs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import autocannon from "autocannon";
const SECRET = "whsec_x"; const TOKEN = "pat-x-0123456789";
const writes = new Map();
const fake = await startFakeHubSpot({ token: TOKEN, onWrite: (id, at) => writes.has(id) || writes.set(id, at) });
await fake.configure();
const persist = tempDir("state"); migrate(persist);
const app = await startWorker({ name: "app", config: join(root, "wrangler.toml"), persistTo: persist, readyPath: "/health", logLevel: "info",
  vars: { STRIPE_WEBHOOK_SECRET: SECRET, ADMIN_TOKEN: "adm-0123456789", LOG_LEVEL: "info", HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_API_BASE: fake.url } });
console.log("log", app.logFile, "persist", persist);
const all = []; const ids = [];
for (let k = 0; k < 150; k++) { const c = fake.hub.addCompany({ name: "c" + k }); ids.push(c);
  for (const b of [customerCreated("evt_cc_" + k, k, c), invoicePaid("evt_ip_" + k, k)]) all.push({ body: b, headers: { "stripe-signature": signStripe(b, SECRET) } }); }
let next = 0;
const t0 = Date.now();
const r = await autocannon({ url: app.url + "/webhooks/stripe", connections: 16, amount: all.length, method: "POST", requests: [{ setupRequest: (req) => ({ ...req, ...all[next++] }) }] });
console.log("sent", r["2xx"], r.non2xx, Date.now() - t0);
const q = (sql) => JSON.parse(spawnSync(wranglerBin, ["d1", "execute", "tenure", "--local", "--persist-to", persist, "--json", "--command", sql], { cwd: root, encoding: "utf8" }).stdout)[0].results;
for (let i = 0; i < 10; i++) {
  await sleep(8000);
  console.log(Math.round((Date.now() - t0) / 1000), "written", ids.filter((id) => writes.has(id)).length, "reqs", fake.hub.requests.length, JSON.stringify(q("SELECT status, COUNT(*) n, MIN(next_attempt_at) - strftime('%s','now')*1000 AS due FROM outbox GROUP BY status")));
  if (ids.every((id) => writes.has(id))) break;
}
await app.stop(); await fake.close();
