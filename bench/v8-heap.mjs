// The Worker isolate's V8 heap, read through `wrangler dev`'s inspector (Chrome DevTools Protocol,
// Runtime.getHeapUsage): what the app's JavaScript holds (its maps, caches, closures), read twice: as found
// (garbage not yet collected included) and after a full collection. workerd's inspector does not answer
// HeapProfiler.collectGarbage, but V8 collects fully before it takes a heap snapshot, so the second reading
// follows a snapshot, whose chunks are drained and dropped (wrangler's proxy never answers the request itself).
// Beside RSS it separates growth in Tenure's own objects from the runtime's and SQLite's memory.

const call = (ws, id, method, params = {}) =>
  new Promise((resolve, reject) => {
    const onMessage = (ev) => {
      const msg = parse(ev);
      if (msg.id !== id || !("result" in msg || "error" in msg)) return;
      ws.removeEventListener("message", onMessage);
      msg.error ? reject(new Error(`${method}: ${msg.error.message}`)) : resolve(msg.result);
    };
    ws.addEventListener("message", onMessage);
    ws.send(JSON.stringify({ id, method, params }));
  });

const parse = (ev) => JSON.parse(typeof ev.data === "string" ? ev.data : Buffer.from(ev.data).toString("utf8"));

/** Takes a heap snapshot (V8 collects garbage fully first) and waits until its chunks stop for `quietMs`. */
const snapshot = (ws, id, quietMs = 1500) =>
  new Promise((resolve) => {
    let timer = null;
    const done = () => {
      ws.removeEventListener("message", onMessage);
      clearTimeout(timer);
      resolve();
    };
    const onMessage = (ev) => {
      const msg = parse(ev);
      if (msg.id === id && ("result" in msg || "error" in msg)) return done();
      if (msg.method !== "HeapProfiler.addHeapSnapshotChunk") return;
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    ws.addEventListener("message", onMessage);
    ws.send(JSON.stringify({ id, method: "HeapProfiler.takeHeapSnapshot", params: { reportProgress: false } }));
  });

const mib = (bytes) => Math.round((bytes / 1048576) * 10) / 10;

/**
 * { usedMiB, totalMiB, liveMiB }: in use as found, and `liveMiB` in use after a full collection (null if the
 * snapshot did not finish in time); or null when the inspector does not answer (the figure is then left out).
 */
export async function v8Heap(inspectorPort, { timeoutMs = 120_000 } = {}) {
  if (typeof WebSocket === "undefined" || !inspectorPort) return null;
  try {
    let target;
    for (let i = 0; i < 20 && !target; i++) {
      const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`, { signal: AbortSignal.timeout(5000) })).json();
      target = targets.find((t) => t.webSocketDebuggerUrl);
      if (!target) await new Promise((r) => setTimeout(r, 250));
    }
    if (!target) throw new Error("the inspector lists no Worker");
    // wrangler's inspector proxy admits only local origins.
    const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://localhost" } });
    await new Promise((resolve, reject) => {
      ws.addEventListener("open", resolve, { once: true });
      ws.addEventListener("error", () => reject(new Error("inspector websocket failed")), { once: true });
    });
    try {
      const work = (async () => {
        const h = await call(ws, 1, "Runtime.getHeapUsage");
        const found = { usedMiB: mib(h.usedSize), totalMiB: mib(h.totalSize), liveMiB: null };
        const collected = await Promise.race([snapshot(ws, 2).then(() => true), new Promise((r) => setTimeout(() => r(false), timeoutMs / 2))]);
        if (!collected) return found;
        return { ...found, liveMiB: mib((await call(ws, 3, "Runtime.getHeapUsage")).usedSize) };
      })();
      return await Promise.race([work, new Promise((_, reject) => setTimeout(() => reject(new Error("inspector timed out")), timeoutMs))]);
    } finally {
      ws.close();
    }
  } catch (err) {
    if (process.env.BENCH_TRACE) console.error(`v8 heap: ${err.message}`);
    return null;
  }
}
