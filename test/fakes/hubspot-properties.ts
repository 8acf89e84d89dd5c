import { z } from "zod";
import { json } from "./common";

/** HubSpot's property model for companies: groups, typed properties, and value validation. */

export interface FakeProperty {
  name: string;
  label: string;
  type: string;
  fieldType: string;
  groupName: string;
  description?: string;
  options?: { label: string; value: string; displayOrder?: number }[];
  hasUniqueValue?: boolean;
}

export interface PropertyError {
  isValid: false;
  name: string;
  error: string;
  message: string;
}

/** Which fieldType goes with which type (a mismatch is a 400, as in HubSpot). */
const FIELD_TYPES: Record<string, string[]> = {
  string: ["text", "textarea", "html", "phonenumber", "file"],
  number: ["number", "calculation_equation"],
  enumeration: ["select", "radio", "checkbox", "booleancheckbox"],
  datetime: ["date"],
  date: ["date"],
  bool: ["booleancheckbox"],
};

const builtin = (name: string, type = "string", fieldType = "text"): FakeProperty => ({
  name, label: name, type, fieldType, groupName: "companyinformation",
});

const BUILTINS = [
  builtin("name"), builtin("domain"), builtin("industry"), builtin("description", "string", "textarea"),
  builtin("hubspot_owner_id"), builtin("lifecyclestage"), builtin("numberofemployees", "number", "number"),
  builtin("annualrevenue", "number", "number"),
];

export function hubspotError(status: number, category: string, message: string, extra: object = {}): Response {
  return json(status, { status: "error", message, correlationId: crypto.randomUUID(), category, ...extra });
}

export class PropertyStore {
  readonly groups = new Map<string, { name: string; label: string; displayOrder: number }>([
    ["companyinformation", { name: "companyinformation", label: "Company information", displayOrder: -1 }],
  ]);
  readonly properties = new Map<string, FakeProperty>(BUILTINS.map((p) => [p.name, p]));

  /** Serves /crm/v3/properties/companies/... ; `rest` is the path after "companies". */
  handle(method: string, rest: string[], body: unknown): Response {
    if (rest[0] === "groups") {
      if (method === "GET" && rest.length === 2) return this.getGroup(rest[1]!);
      if (method === "POST" && rest.length === 1) return this.createGroup(body);
    } else {
      if (method === "GET" && rest.length === 1) return this.getProperty(rest[0]!);
      if (method === "POST" && rest.length === 0) return this.createProperty(body);
    }
    return hubspotError(404, "OBJECT_NOT_FOUND", `No route for ${method} properties/${rest.join("/")}`);
  }

  private getGroup(name: string): Response {
    const g = this.groups.get(name);
    return g ? json(200, { ...g, archived: false }) : hubspotError(404, "OBJECT_NOT_FOUND", `Unable to find property group ${name}`);
  }

  private createGroup(body: unknown): Response {
    const parsed = groupInputSchema.safeParse(body);
    if (!parsed.success) return hubspotError(400, "VALIDATION_ERROR", "Property group requires name and label");
    const group = parsed.data;
    if (this.groups.has(group.name)) return hubspotError(409, "OBJECT_ALREADY_EXISTS", `Property group ${group.name} already exists`);
    this.groups.set(group.name, group);
    return json(201, { ...group, archived: false });
  }

  private getProperty(name: string): Response {
    const p = this.properties.get(name);
    return p ? json(200, p) : hubspotError(404, "OBJECT_NOT_FOUND", `Unable to find property ${name} for object type 0-2`);
  }

  private createProperty(body: unknown): Response {
    const parsed = propertyInputSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return hubspotError(400, "VALIDATION_ERROR", `Invalid property: ${issue.path.join(".")} ${issue.message}`);
    }
    const property = parsed.data;
    const problem = typeProblem(property, this.groups);
    if (problem) return hubspotError(400, "VALIDATION_ERROR", problem);
    if (this.properties.has(property.name)) {
      return hubspotError(409, "OBJECT_ALREADY_EXISTS", `Property named '${property.name}' already exists.`);
    }
    this.properties.set(property.name, property);
    return json(201, property);
  }

  /** Validates written values the way HubSpot does before a write; [] means all valid. */
  validate(values: Record<string, unknown>): PropertyError[] {
    const errors: PropertyError[] = [];
    for (const [name, value] of Object.entries(values)) {
      const p = this.properties.get(name);
      const bad = (error: string, message: string) => errors.push({ isValid: false, name, error, message });
      if (!p) bad("PROPERTY_DOESNT_EXIST", `Property "${name}" does not exist`);
      else if (typeof value !== "string") bad("INVALID_TYPE", `${JSON.stringify(value)} is not a string value`);
      else if (value === "") continue; // an empty string clears the value
      else if (p.type === "number" && !Number.isFinite(Number(value))) bad("INVALID_FLOAT", `${value} is not a valid number`);
      else if (p.type === "enumeration" && !p.options?.some((o) => o.value === value)) {
        bad("INVALID_OPTION", `${value} was not one of the allowed options: [${p.options?.map((o) => o.value).join(", ")}]`);
      } else if ((p.type === "datetime" || p.type === "date") && !isDate(value)) {
        bad("INVALID_DATE", `${value} is not a valid date (epoch milliseconds or ISO 8601)`);
      }
    }
    return errors;
  }
}

function isDate(v: string): boolean {
  return /^\d+$/.test(v) || (/^\d{4}-\d{2}-\d{2}/.test(v) && Number.isFinite(Date.parse(v)));
}

const groupInputSchema = z.object({
  name: z.string().min(1),
  label: z.string().min(1),
  displayOrder: z.number().int().default(-1),
});

const propertyInputSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/),
  label: z.string().min(1),
  type: z.string(),
  fieldType: z.string(),
  groupName: z.string().min(1),
  description: z.string().optional(),
  options: z.array(z.object({ label: z.string(), value: z.string(), displayOrder: z.number().optional() })).optional(),
  hasUniqueValue: z.boolean().optional(),
});

function typeProblem(p: FakeProperty, groups: Map<string, unknown>): string | null {
  const allowed = FIELD_TYPES[p.type];
  if (!allowed) return `Invalid type: ${p.type}`;
  if (!allowed.includes(p.fieldType)) return `fieldType ${p.fieldType} is not valid for type ${p.type}`;
  if (p.type === "enumeration" && !p.options?.length) return "Enumeration properties require at least one option";
  if (!groups.has(p.groupName)) return `Property group ${p.groupName} does not exist`;
  return null;
}
