import { describe, expect, it } from "vitest";
import { roleAllows, roleFor, roleRulesSchema } from "../../src/core/roles";

const rules = roleRulesSchema.parse({ admins: ["Ana@Acme.example"], csms: ["*@acme.example", "bo@partner.example"] });

describe("roleFor", () => {
  it("grants the highest matching role, case-insensitively", () => {
    expect(roleFor("ana@acme.example", rules)).toBe("admin");
    expect(roleFor("ANA@ACME.EXAMPLE", rules)).toBe("admin");
    expect(roleFor("cy@acme.example", rules)).toBe("csm");
    expect(roleFor("bo@partner.example", rules)).toBe("csm");
  });

  it("makes anyone listed nowhere a viewer; a wildcard does not match a lookalike domain", () => {
    expect(roleFor("dee@partner.example", rules)).toBe("viewer");
    expect(roleFor("eve@evilacme.example", rules)).toBe("viewer");
    expect(roleFor("eve@acme.example.evil", rules)).toBe("viewer");
    expect(roleFor("ana@acme.example", roleRulesSchema.parse({}))).toBe("viewer");
  });

  it("refuses patterns that are not an email or *@domain, and unknown keys", () => {
    for (const bad of [{ admins: ["*"] }, { admins: ["ana@*.example"] }, { csms: ["nobody"] }, { owners: ["a@b.c"] }]) expect(roleRulesSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});

describe("roleAllows", () => {
  it("orders viewer < csm < admin", () => {
    expect(roleAllows("admin", "csm")).toBe(true);
    expect(roleAllows("csm", "csm")).toBe(true);
    expect(roleAllows("csm", "admin")).toBe(false);
    expect(roleAllows("viewer", "csm")).toBe(false);
  });
});
