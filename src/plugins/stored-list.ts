import { activePluginVersions, listStoredPlugins, type StoredPluginSummary } from "../store/plugin-versions";
import type { DeclarationProblem } from "./schema";
import { parseStoredVersion } from "./stored";
import { isWeakScheme } from "./verify";

/** GET /api/plugins' `stored` list: each stored source's versions, and what its active version serves. */

export interface StoredPluginStatus extends StoredPluginSummary {
  status: string;
  scheme?: string;
  weak?: boolean;
  secret?: string;
  error?: DeclarationProblem;
}

export async function describeStored(db: D1Database, secretSet: (name: string) => boolean): Promise<StoredPluginStatus[]> {
  const [summaries, active] = await Promise.all([listStoredPlugins(db), activePluginVersions(db)]);
  const activeByName = new Map(active.map((row) => [row.name, row]));
  return summaries.map((s) => {
    const row = activeByName.get(s.name);
    if (!row) return { ...s, status: "inactive" };
    const parsed = parseStoredVersion(row);
    if (!parsed.ok) return { ...s, status: `broken: ${parsed.error.path}`, error: parsed.error };
    const d = parsed.declaration;
    return { ...s, scheme: d.signature.scheme, weak: isWeakScheme(d.signature), secret: d.secret, status: secretSet(d.secret) ? "enabled" : `disabled: set ${d.secret}` };
  });
}
