import { ZkirisSdkError } from "./errors.js";
import { asFieldElement } from "./field.js";

/**
 * Reads the fields of a JSON object the server answered, refusing anything that is not the
 * documented type with `BAD_RESPONSE` naming the route and field.
 */
export class ResponseReader {
  readonly #what: string;
  readonly #value: Record<string, unknown>;

  constructor(value: unknown, what: string) {
    this.#what = what;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new ZkirisSdkError("BAD_RESPONSE", `The server's answer to ${what} is not a JSON object`);
    }
    this.#value = value as Record<string, unknown>;
  }

  #bad(field: string): never {
    throw new ZkirisSdkError("BAD_RESPONSE", `The server's answer to ${this.#what} has no valid '${field}'`, {
      field,
    });
  }

  string(field: string): string {
    const v = this.#value[field];
    return typeof v === "string" ? v : this.#bad(field);
  }

  integer(field: string): number {
    const v = this.#value[field];
    return Number.isSafeInteger(v) ? (v as number) : this.#bad(field);
  }

  integerOrNull(field: string): number | null {
    return this.#value[field] === null ? null : this.integer(field);
  }

  /** An optional boolean flag: true when present and true, false when absent. */
  flag(field: string): boolean {
    const v = this.#value[field];
    if (v === undefined) return false;
    return typeof v === "boolean" ? v : this.#bad(field);
  }

  field(field: string): bigint {
    return asFieldElement(this.#value[field]) ?? this.#bad(field);
  }

  fields(field: string): bigint[] {
    const v = this.#value[field];
    if (!Array.isArray(v)) this.#bad(field);
    return v.map((x, i) => asFieldElement(x) ?? this.#bad(`${field}[${i}]`));
  }

  strings(field: string): string[] {
    const v = this.#value[field];
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) this.#bad(field);
    return [...v];
  }

  integers(field: string): number[] {
    const v = this.#value[field];
    if (!Array.isArray(v) || !v.every((x) => Number.isSafeInteger(x))) this.#bad(field);
    return [...v];
  }

  /** A field's JSON value as it is, unchecked (`BAD_RESPONSE` when absent). */
  json(field: string): unknown {
    const v = this.#value[field];
    return v === undefined ? this.#bad(field) : structuredClone(v);
  }

  /** A nested object field read by `read`, or undefined when the field is absent. */
  optional<T>(field: string, read: (item: ResponseReader) => T): T | undefined {
    const v = this.#value[field];
    return v === undefined ? undefined : read(new ResponseReader(v, `${this.#what} (${field})`));
  }

  /** A nested object field read by `read`. */
  object<T>(field: string, read: (item: ResponseReader) => T): T {
    return this.optional(field, read) ?? this.#bad(field);
  }

  /** Each element of an array field, read by `read`. */
  list<T>(field: string, read: (item: ResponseReader) => T): T[] {
    const v = this.#value[field];
    if (!Array.isArray(v)) this.#bad(field);
    return v.map((x, i) => read(new ResponseReader(x, `${this.#what} (${field}[${i}])`)));
  }
}
