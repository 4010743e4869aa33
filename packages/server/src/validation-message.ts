import type { FastifySchemaValidationError } from "fastify";
import { ServerError } from "./errors.js";
import { FIELD_ELEMENT_PATTERN } from "./schemas.js";

type SchemaNode = Record<string, unknown>;

/** `/proof/points/3` → `proof.points[3]`, the field naming of the registry's own refusals. */
function fieldName(segments: readonly string[]): string {
  let out = "";
  for (const s of segments) out += /^\d+$/.test(s) ? `[${s}]` : out === "" ? s : `.${s}`;
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") return value.length === 0 ? "an empty string" : "a string";
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

function childSchema(node: SchemaNode | undefined, segment: string): SchemaNode | undefined {
  if (node === undefined) return undefined;
  const properties = node.properties as Record<string, SchemaNode> | undefined;
  if (properties?.[segment] !== undefined) return properties[segment];
  if (/^\d+$/.test(segment) && typeof node.items === "object") return node.items as SchemaNode;
  return undefined;
}

function childValue(value: unknown, segment: string): unknown {
  if (typeof value !== "object" || value === null) return undefined;
  return (value as Record<string, unknown>)[segment];
}

function literals(node: SchemaNode | undefined): unknown[] | undefined {
  const anyOf = node?.anyOf as SchemaNode[] | undefined;
  if (anyOf === undefined || !anyOf.every((n) => "const" in n)) return undefined;
  return anyOf.map((n) => n.const);
}

/**
 * One refusal (`INVALID_PARAMETER`, naming the field) for a failed schema validation of a request
 * part, with a message that says what was expected and what kind of value came (never the value:
 * it may be a salt or a secret).
 */
export function validationRefusal(
  errors: readonly FastifySchemaValidationError[],
  part: string,
  schema: SchemaNode | undefined,
  data: unknown,
): ServerError {
  // ajv reports an anyOf failure after the failures of each branch; the anyOf one names the field.
  const error = errors.find((e) => e.keyword === "anyOf") ?? errors[0]!;
  const segments = (error.instancePath ?? "").split("/").slice(1).map(decodePointer);
  let node: SchemaNode | undefined = schema;
  let value: unknown = data;
  for (const s of segments) {
    node = childSchema(node, s);
    value = childValue(value, s);
  }
  const params = error.params as Record<string, unknown>;
  const where = part === "params" ? "Path parameter" : "Field";
  if (error.keyword === "required") {
    const missing = String(params.missingProperty);
    const field = fieldName([...segments, missing]);
    return new ServerError("INVALID_PARAMETER", `${where} '${field}' is required`, { field });
  }
  if (error.keyword === "additionalProperty" || error.keyword === "additionalProperties") {
    const extra = String(params.additionalProperty);
    const field = fieldName([...segments, extra]);
    const allowed = Object.keys((node?.properties as object | undefined) ?? {});
    return new ServerError(
      "INVALID_PARAMETER",
      `${where} '${field}' is not accepted here; expected ${allowed.join(", ")}`,
      { field },
    );
  }
  if (segments.length === 0 && part === "body") {
    return new ServerError(
      "INVALID_PARAMETER",
      `The request body must be a JSON object, received ${describe(value)}`,
      { field: "body" },
    );
  }
  const field = fieldName(segments);
  const description = typeof node?.description === "string" ? node.description : undefined;
  const options = literals(node);
  let expected: string;
  if (options !== undefined) expected = `one of ${options.map((o) => JSON.stringify(o)).join(", ")}`;
  else if (node?.pattern === FIELD_ELEMENT_PATTERN) {
    expected =
      'a field element: a decimal string of digits such as "12345", below the BN254 field order (hash a text label into the field first)';
  } else if (typeof node?.pattern === "string" && description !== undefined) expected = description;
  else expected = error.message ?? "a valid value";
  return new ServerError(
    "INVALID_PARAMETER",
    `${where} '${field}' must be ${expected.replace(/^must be /, "")}, received ${describe(value)}`,
    { field },
  );
}

function decodePointer(segment: string): string {
  return segment.replaceAll("~1", "/").replaceAll("~0", "~");
}
