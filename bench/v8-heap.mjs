// The Worker isolate's V8 heap, read through `wrangler dev`'s inspector (Chrome DevTools Protocol,
// Runtime.getHeapUsage): what the app's JavaScript holds (its maps, caches, closures, and garbage not yet
// collected: workerd's inspector does not answer HeapProfiler.collectGarbage, so no collection is forced).
// Beside RSS it separates growth in Tenure's own objects from the runtime's and SQLite's memory.

const call = (ws, id, method, params = {}) =>
  new Promise((resolve, reject) => {
    const onMessage = (ev) => {
      const msg = JSON.parse(typeof ev.data === "string" ? ev.data : Buffer.from(ev.data).toString("utf8"));
      if (msg.id !== id) return;
      ws.removeEventListener("message", onMessage);
      msg.error ? reject(new Error(`${method}: ${msg.error.message}`)) : resolve(msg.result);
    };
    ws.addEventListener("message", onMessage);
    ws.send(JSON.stringify({ id, method, params }));
  });

/** { usedMiB, totalMiB }, or null when the inspector does not answer (the figure is then left out). */
export async function v8Heap(inspectorPort, { timeoutMs = 20_000 } = {}) {
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
        return { usedMiB: Math.round((h.usedSize / 1048576) * 10) / 10, totalMiB: Math.round((h.totalSize / 1048576) * 10) / 10 };
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
