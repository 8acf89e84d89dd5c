/** Money as people read it: always with its currency, and amounts in different currencies side by side, never added. */

/** 1234500 minor units of "usd" -> "12,345 USD". An unknown currency says so rather than passing for another. */
export function formatMoney(minor: number, currency: string | null | undefined, fractionDigits = 0): string {
  const code = currency && currency !== "unknown" ? currency.toUpperCase() : "(currency unknown)";
  return `${(minor / 100).toLocaleString("en-US", { minimumFractionDigits: 0, maximumFractionDigits: fractionDigits })} ${code}`;
}

/** { usd: 1300000, eur: 200000 } -> "2,000 EUR · 13,000 USD"; "–" when there is none. */
export function moneyByCurrency(amounts: Record<string, number | null>, fractionDigits = 0): string {
  const parts = Object.entries(amounts)
    .filter((e): e is [string, number] => e[1] !== null)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([cur, v]) => formatMoney(v, cur, fractionDigits));
  return parts.length === 0 ? "–" : parts.join(" · ");
}
