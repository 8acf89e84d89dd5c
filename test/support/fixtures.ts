/** Every fixture of a vendor as raw strings, keyed by file name (e.g. "invoice.paid.first"). */
const all = import.meta.glob("../fixtures/**/*.json", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

export function fixturesOf(vendor: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, raw] of Object.entries(all)) {
    const m = new RegExp(`/fixtures/${vendor}/(.+)\\.json$`).exec(path);
    if (m) out[m[1]!] = raw;
  }
  return out;
}

export function fixture(vendor: string, name: string): string {
  const raw = fixturesOf(vendor)[name];
  if (raw === undefined) throw new Error(`no fixture ${vendor}/${name}`);
  return raw;
}

/** A fixture with some fields changed, re-serialised (tests sign the new bytes). */
export function editedFixture(vendor: string, name: string, edit: (json: any) => void): string {
  const json = JSON.parse(fixture(vendor, name));
  edit(json);
  return JSON.stringify(json);
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const seconds = (ms: number): number => Math.floor(ms / 1000);
