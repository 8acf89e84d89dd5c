import { describe, expect, it } from "vitest";
import { emptyState } from "../../src/core/state";
import { customerCharts } from "../../src/dashboard/customer-charts";
import type { CustomerDetail } from "../../src/store/dashboard";

const detail = (health: unknown) => ({ id: "cu_1", name: "Acme", history: [], state: emptyState(), health }) as unknown as CustomerDetail;

describe("the customer page's components chart", () => {
  it("shows the components the model weighs, and none it gives no weight", () => {
    const now = Date.UTC(2026, 11, 6);
    const chart = customerCharts(detail({ components: { billing: 80, usage: 40, usageTrend: 55, npsRecency: 90, sentiment: null }, weights: { billing: 0.6, usage: 0.4, usageTrend: 0, npsRecency: 0, sentiment: 0 } }), now).components;
    expect(chart.table.rows.map((r) => r[0])).toEqual(["billing", "usage"]);
  });

  it("shows every component with data when the stored score predates weights", () => {
    const now = Date.UTC(2026, 11, 6);
    const chart = customerCharts(detail({ components: { billing: 80, usage: null } }), now).components;
    expect(chart.table.rows.map((r) => r[0])).toEqual(["billing"]);
  });
});
