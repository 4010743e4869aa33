import { readFile } from "node:fs/promises";
import { type DeviceKey, signCapture } from "@zkiris/device";
import {
  type BackendPreference,
  type GreyImage,
  ImageDecodeError,
  type ImageInput,
  IrisEncoder,
  QualityGateError,
} from "@zkiris/encoder";
import {
  describeType,
  fromBase64,
  type IrisCode,
  IrisCodeError,
  randomSalt,
  type SharedErrorCode,
  SNARK_FIELD_ORDER,
  templateCommitment,
  ZkirisError,
} from "@zkiris/iris-code";
import { renderCapture } from "@zkiris/mock-capture";

/** Version of the device bridge wire protocol (`v` of a request, `protocol` of `info`). */
export const BRIDGE_PROTOCOL_VERSION = 1;

/** Largest request (one stdin line or one HTTP body), in bytes: a 16-bit 8192 x 1024 frame in base64 fits. */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

/** The methods of the protocol, in the order `info` lists them. */
export const BRIDGE_METHODS = ["info", "capture", "enrol"] as const;

/** A method of the protocol. */
export type BridgeMethod = (typeof BRIDGE_METHODS)[number];

/** Stable error codes of the device bridge wire protocol (documented in docs/device-bridge-protocol.md). */
export type BridgeErrorCode =
  | SharedErrorCode<"MALFORMED_JSON">
  | "INVALID_REQUEST"
  | SharedErrorCode<"UNSUPPORTED_VERSION">
  | "UNKNOWN_METHOD"
  | "INVALID_PARAMS"
  | "REQUEST_TOO_LARGE"
  | "MALFORMED_BASE64"
  | "WRONG_FRAME_SIZE"
  | "INVALID_FRAME"
  | "UNREADABLE_FILE"
  | "UNSUPPORTED_FORMAT"
  | "TRUNCATED_IMAGE"
  | "CORRUPT_IMAGE"
  | "INVALID_DIMENSIONS"
  | SharedErrorCode<"QUALITY_GATE">
  | "NO_REGISTRY"
  | "REGISTRY_UNREACHABLE"
  | "REGISTRY_BAD_RESPONSE"
  | "REGISTRY_REFUSED"
  | "FORBIDDEN"
  | "METHOD_NOT_ALLOWED"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "INTERNAL";

/** HTTP status of each error code on the HTTP transport. */
export const HTTP_STATUS_OF: Readonly<Record<BridgeErrorCode, number>> = {
  MALFORMED_JSON: 400,
  INVALID_REQUEST: 400,
  UNSUPPORTED_VERSION: 400,
  UNKNOWN_METHOD: 404,
  INVALID_PARAMS: 400,
  REQUEST_TOO_LARGE: 413,
  MALFORMED_BASE64: 400,
  WRONG_FRAME_SIZE: 400,
  INVALID_FRAME: 400,
  UNREADABLE_FILE: 422,
  UNSUPPORTED_FORMAT: 422,
  TRUNCATED_IMAGE: 422,
  CORRUPT_IMAGE: 422,
  INVALID_DIMENSIONS: 422,
  QUALITY_GATE: 422,
  NO_REGISTRY: 409,
  REGISTRY_UNREACHABLE: 502,
  REGISTRY_BAD_RESPONSE: 502,
  REGISTRY_REFUSED: 422,
  FORBIDDEN: 403,
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL: 500,
};

/** Extra fields of an error object on the wire, beside `code`, `message` and `field`. */
export interface BridgeErrorExtra {
  /** `QUALITY_GATE`: the failed gate, the measured value and the limit it broke. */
  readonly gate?: string;
  readonly measured?: number;
  readonly limit?: number;
  /** `REGISTRY_REFUSED`: the registry's HTTP status and its error object. */
  readonly registry?: {
    readonly status: number;
    readonly code: string;
    readonly message: string;
    readonly field?: string;
  };
}

/** A request was refused by the bridge; `code` and the extra fields travel on the wire. */
export class BridgeError extends ZkirisError {
  declare readonly code: BridgeErrorCode;
  readonly extra: BridgeErrorExtra;

  constructor(
    code: BridgeErrorCode,
    message: string,
    options: { field?: string; cause?: unknown; extra?: BridgeErrorExtra } = {},
  ) {
    super(code, message, options);
    this.extra = options.extra ?? {};
  }
}

/** The error object of a response. */
export interface WireError extends BridgeErrorExtra {
  readonly code: BridgeErrorCode;
  readonly message: string;
  readonly field?: string;
}

/** A response: `{ id, result }` or `{ id, error }` (`id` echoes the request's, `null` when it had none). */
export type BridgeResponse =
  | { readonly id: string | number | null; readonly result: Record<string, unknown> }
  | { readonly id: string | number | null; readonly error: WireError };

/** Options of {@link DeviceBridge.create}. */
export interface DeviceBridgeOptions {
  /** The device key that signs every capture. */
  readonly key: DeviceKey;
  /** Base URL of a zkiris registry (`http://host:port`): enables `enrol` and challenge fetching. */
  readonly registry?: string;
  /** Synthesise the eye with `@zkiris/mock-capture` when a request names no image. */
  readonly mock?: boolean;
  /** Subject seed of the mock eye (default `zkiris-mock-device`). */
  readonly mockSeed?: string;
  /** Encoder backend (default auto). */
  readonly backend?: BackendPreference;
  /** Milliseconds to wait for the registry (default 30,000). */
  readonly registryTimeoutMs?: number;
  /** Called with every internal error (answered `INTERNAL` without details). */
  readonly onInternalError?: (error: unknown) => void;
}

/** Default subject seed of `--mock`. */
export const DEFAULT_MOCK_SEED = "zkiris-mock-device";

/** Bits per pixel a frame may declare: 8 (one byte a pixel) or 9-16 (two bytes, little-endian). */
const MIN_BIT_DEPTH = 8;
const MAX_BIT_DEPTH = 16;

const CANONICAL_DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

/**
 * The device bridge: one protocol, whatever the transport. {@link handleLine} takes one request as
 * text (a stdin line) and {@link handle} one parsed request; both always resolve to a response and
 * never throw, so a transport keeps serving after any refusal. Requests are served one at a time in
 * arrival order (one encoder, deterministic mock captures).
 */
export class DeviceBridge {
  readonly #key: DeviceKey;
  readonly #encoder: IrisEncoder;
  readonly #registry: string | undefined;
  readonly #mock: boolean;
  readonly #mockSeed: string;
  readonly #timeoutMs: number;
  readonly #onInternalError: (error: unknown) => void;
  #mockCaptures = 0;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(options: DeviceBridgeOptions, encoder: IrisEncoder) {
    this.#key = options.key;
    this.#encoder = encoder;
    this.#registry = options.registry?.replace(/\/+$/, "");
    this.#mock = options.mock === true;
    this.#mockSeed = options.mockSeed ?? DEFAULT_MOCK_SEED;
    this.#timeoutMs = options.registryTimeoutMs ?? 30_000;
    this.#onInternalError = options.onInternalError ?? (() => {});
  }

  /** Loads the encoder and returns a bridge. */
  static async create(options: DeviceBridgeOptions): Promise<DeviceBridge> {
    const encoder = await IrisEncoder.create({ backend: options.backend ?? "auto" });
    return new DeviceBridge(options, encoder);
  }

  /** The TensorFlow.js backend the bridge's encoder runs on (`wasm`, `cpu` or `tensorflow`). */
  get backend(): string {
    return this.#encoder.backend;
  }

  /** Releases the encoder. */
  close(): void {
    this.#encoder.close();
  }

  /** Serves one request given as JSON text (one stdin line, without its newline). */
  handleLine(line: string): Promise<BridgeResponse> {
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch {
      return Promise.resolve(
        errorResponse(null, new BridgeError("MALFORMED_JSON", "The request is not JSON")),
      );
    }
    return this.handle(request);
  }

  /** Serves one parsed request `{ v?, id?, method, params? }`. */
  handle(request: unknown): Promise<BridgeResponse> {
    const run = this.#queue.then(() => this.#serve(request));
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * Serves `method` with `params` for a transport that carries them apart (HTTP: the path names the
   * method, the body is the params); the response has `id: null`.
   */
  handleMethod(method: string, params: unknown): Promise<BridgeResponse> {
    return this.handle({ method, params });
  }

  async #serve(request: unknown): Promise<BridgeResponse> {
    let id: string | number | null = null;
    try {
      if (typeof request !== "object" || request === null || Array.isArray(request))
        throw new BridgeError(
          "INVALID_REQUEST",
          `The request must be a JSON object, received ${describeType(request)}`,
        );
      const r = request as Record<string, unknown>;
      if (r.id !== undefined && r.id !== null) {
        const okString = typeof r.id === "string" && r.id.length <= 256;
        const okNumber = typeof r.id === "number" && Number.isSafeInteger(r.id);
        if (!okString && !okNumber)
          throw new BridgeError(
            "INVALID_REQUEST",
            "Field 'id' must be a string of at most 256 characters or a safe integer",
            { field: "id" },
          );
        id = r.id as string | number;
      }
      for (const k of Object.keys(r))
        if (k !== "v" && k !== "id" && k !== "method" && k !== "params")
          throw new BridgeError(
            "INVALID_REQUEST",
            `Field '${k}' is not a request field (v, id, method, params)`,
            {
              field: k,
            },
          );
      if (r.v !== undefined && r.v !== BRIDGE_PROTOCOL_VERSION)
        throw new BridgeError(
          "UNSUPPORTED_VERSION",
          `Protocol version ${JSON.stringify(r.v)} is not supported; this bridge speaks version ${BRIDGE_PROTOCOL_VERSION}`,
          { field: "v" },
        );
      if (typeof r.method !== "string")
        throw new BridgeError(
          "INVALID_REQUEST",
          `Field 'method' must be a string, received ${describeType(r.method)}`,
          {
            field: "method",
          },
        );
      const method = r.method;
      if (!(BRIDGE_METHODS as readonly string[]).includes(method))
        throw new BridgeError(
          "UNKNOWN_METHOD",
          `Method '${method.length > 64 ? `${method.slice(0, 64)}...` : method}' is not one of ${BRIDGE_METHODS.join(", ")}`,
          { field: "method" },
        );
      const params = r.params ?? {};
      if (typeof params !== "object" || params === null || Array.isArray(params))
        throw new BridgeError(
          "INVALID_PARAMS",
          `Field 'params' must be an object, received ${describeType(params)}`,
          {
            field: "params",
          },
        );
      const result = await this.#dispatch(method as BridgeMethod, params as Record<string, unknown>);
      return { id, result };
    } catch (error) {
      return errorResponse(id, this.#wireErrorOf(error));
    }
  }

  #dispatch(method: BridgeMethod, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (method === "info") return this.#info(params);
    if (method === "capture") return this.#capture(params);
    return this.#enrol(params);
  }

  async #info(params: Record<string, unknown>): Promise<Record<string, unknown>> {
    allowOnly(params, []);
    const { profile } = this.#encoder;
    return {
      protocol: BRIDGE_PROTOCOL_VERSION,
      methods: [...BRIDGE_METHODS],
      device: this.#key.toJSON(),
      profile: { name: profile.name, geometry: { ...profile.geometry } },
      mock: this.#mock,
      registry: this.#registry ?? null,
    };
  }

  async #capture(params: Record<string, unknown>): Promise<Record<string, unknown>> {
    allowOnly(params, ["challenge", "frame", "file", "timestamp"]);
    const timestamp = timestampOf(params.timestamp);
    const image = await this.#imageOf(params);
    let challenge: bigint;
    if (params.challenge !== undefined) challenge = decimalParam(params.challenge, "challenge");
    else if (this.#registry !== undefined) challenge = (await this.#fetchChallenge()).challenge;
    else
      throw new BridgeError(
        "INVALID_PARAMS",
        "Parameter 'challenge' is required (the registry's challenge, a decimal string) when the bridge has no --registry",
        { field: "challenge" },
      );
    const { packet } = await this.#encodeAndSign(image, challenge, timestamp);
    return { packet };
  }

  async #enrol(params: Record<string, unknown>): Promise<Record<string, unknown>> {
    allowOnly(params, ["groupId", "identityCommitment", "salt", "challenge", "frame", "file", "timestamp"]);
    if (this.#registry === undefined)
      throw new BridgeError("NO_REGISTRY", "Method 'enrol' needs a bridge started with --registry URL");
    if (typeof params.groupId !== "string" || params.groupId.length === 0)
      throw new BridgeError(
        "INVALID_PARAMS",
        `Parameter 'groupId' must be a non-empty string, received ${describeType(params.groupId)}`,
        {
          field: "groupId",
        },
      );
    const identityCommitment = decimalParam(params.identityCommitment, "identityCommitment");
    const salt = params.salt === undefined ? randomSalt() : decimalParam(params.salt, "salt");
    const timestamp = timestampOf(params.timestamp);
    const image = await this.#imageOf(params);
    const challenge =
      params.challenge === undefined
        ? (await this.#fetchChallenge()).challenge
        : decimalParam(params.challenge, "challenge");
    const { packet, code } = await this.#encodeAndSign(image, challenge, timestamp);
    const commitment = templateCommitment(code, salt);
    const enrolment = await this.#post("/enrolments", {
      groupId: params.groupId,
      capture: packet,
      identityCommitment: identityCommitment.toString(),
      templateCommitment: commitment.toString(),
      salt: salt.toString(),
    });
    return {
      enrolment,
      salt: salt.toString(),
      templateCommitment: commitment.toString(),
      packet,
    };
  }

  async #encodeAndSign(
    image: ImageInput,
    challenge: bigint,
    timestamp: number,
  ): Promise<{ packet: Record<string, unknown>; code: IrisCode }> {
    const { code, quality } = await this.#encoder.encode(image);
    const rounded = Object.fromEntries(
      Object.entries(quality).map(([k, v]) => [k, Math.round((v as number) * 1e4) / 1e4]),
    );
    const packet = signCapture(this.#key, code, challenge, rounded, timestamp);
    return { packet: packet as unknown as Record<string, unknown>, code };
  }

  /** The grey image of a request: its frame, its file, or (with --mock, when it names neither) the next mock eye. */
  async #imageOf(params: Record<string, unknown>): Promise<ImageInput> {
    const hasFrame = params.frame !== undefined;
    const hasFile = params.file !== undefined;
    if (hasFrame && hasFile)
      throw new BridgeError("INVALID_PARAMS", "Give either 'frame' or 'file', not both", { field: "frame" });
    if (hasFrame) return frameOf(params.frame);
    if (hasFile) {
      if (typeof params.file !== "string" || params.file.length === 0)
        throw new BridgeError(
          "INVALID_PARAMS",
          `Parameter 'file' must be a non-empty path string, received ${describeType(params.file)}`,
          {
            field: "file",
          },
        );
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(params.file));
      } catch (error) {
        throw new BridgeError(
          "UNREADABLE_FILE",
          `File '${params.file}' cannot be read (${(error as { code?: string }).code ?? "error"})`,
          {
            field: "file",
          },
        );
      }
      return bytes;
    }
    if (!this.#mock)
      throw new BridgeError(
        "INVALID_PARAMS",
        "The request needs an image: 'frame' (raw grey pixels) or 'file' (a PNG, JPEG or BMP path)",
        {
          field: "frame",
        },
      );
    this.#mockCaptures++;
    const eye = renderCapture(this.#mockSeed, this.#mockCaptures);
    return { width: eye.width, height: eye.height, data: eye.pixels };
  }

  async #fetchChallenge(): Promise<{ challenge: bigint; expiresAt: number }> {
    const body = (await this.#post("/challenges", undefined)) as { challenge?: unknown; expiresAt?: unknown };
    if (typeof body.challenge !== "string" || !CANONICAL_DECIMAL.test(body.challenge))
      throw new BridgeError(
        "REGISTRY_BAD_RESPONSE",
        "The registry's POST /challenges answer has no decimal 'challenge'",
      );
    return { challenge: BigInt(body.challenge), expiresAt: Number(body.expiresAt) };
  }

  async #post(path: string, body: unknown): Promise<Record<string, unknown>> {
    const url = `${this.#registry}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new BridgeError(
        "REGISTRY_UNREACHABLE",
        `The registry at ${this.#registry} did not answer POST ${path} (${cause})`,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new BridgeError(
        "REGISTRY_BAD_RESPONSE",
        `The registry answered POST ${path} with status ${res.status} and a body that is not JSON`,
      );
    }
    if (typeof json !== "object" || json === null || Array.isArray(json))
      throw new BridgeError(
        "REGISTRY_BAD_RESPONSE",
        `The registry answered POST ${path} with status ${res.status} and a body that is not an object`,
      );
    if (!res.ok) {
      const e = (json as { error?: { code?: unknown; message?: unknown; field?: unknown } }).error;
      if (typeof e?.code !== "string" || typeof e.message !== "string")
        throw new BridgeError(
          "REGISTRY_BAD_RESPONSE",
          `The registry answered POST ${path} with status ${res.status} without an error object`,
        );
      throw new BridgeError(
        "REGISTRY_REFUSED",
        `The registry refused POST ${path}: ${e.code}: ${e.message}`,
        {
          extra: {
            registry: {
              status: res.status,
              code: e.code,
              message: e.message,
              ...(typeof e.field === "string" ? { field: e.field } : {}),
            },
          },
        },
      );
    }
    return json as Record<string, unknown>;
  }

  #wireErrorOf(error: unknown): BridgeError {
    if (error instanceof BridgeError) return error;
    if (error instanceof QualityGateError)
      return new BridgeError("QUALITY_GATE", error.message, {
        field: "image",
        extra: { gate: error.gate, measured: error.measured, limit: error.limit },
      });
    if (error instanceof ImageDecodeError && error.code !== "INVALID_PARAMETER")
      return new BridgeError(error.code, error.message, { field: "image" });
    this.#onInternalError(error);
    return new BridgeError("INTERNAL", "The bridge failed on this request; see its standard error");
  }
}

/** The response for a refusal. */
export function errorResponse(id: string | number | null, error: BridgeError): BridgeResponse {
  return {
    id,
    error: {
      code: error.code,
      message: error.message,
      ...(error.field === undefined ? {} : { field: error.field }),
      ...error.extra,
    },
  };
}

function allowOnly(params: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(params))
    if (!allowed.includes(k))
      throw new BridgeError(
        "INVALID_PARAMS",
        allowed.length === 0
          ? `Parameter '${k}' is not accepted: this method takes no parameters`
          : `Parameter '${k}' is not accepted here; expected ${allowed.join(", ")}`,
        { field: k },
      );
}

function decimalParam(value: unknown, field: string): bigint {
  if (typeof value !== "string" || !CANONICAL_DECIMAL.test(value) || BigInt(value) >= SNARK_FIELD_ORDER)
    throw new BridgeError(
      "INVALID_PARAMS",
      `Parameter '${field}' must be a field element as a canonical decimal string (digits, no leading zeros, below the BN254 scalar field order), received ${typeof value === "string" ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value) : describeType(value)}`,
      { field },
    );
  return BigInt(value);
}

function timestampOf(value: unknown): number {
  if (value === undefined) return Date.now();
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw new BridgeError(
      "INVALID_PARAMS",
      "Parameter 'timestamp' must be Unix milliseconds, a non-negative safe integer",
      {
        field: "timestamp",
      },
    );
  return value;
}

/** A raw frame `{ width, height, bitDepth?, data }` to an 8-bit grey image. */
function frameOf(frame: unknown): GreyImage {
  if (typeof frame !== "object" || frame === null || Array.isArray(frame))
    throw new BridgeError(
      "INVALID_PARAMS",
      `Parameter 'frame' must be an object, received ${describeType(frame)}`,
      {
        field: "frame",
      },
    );
  const f = frame as Record<string, unknown>;
  for (const k of Object.keys(f))
    if (!["width", "height", "bitDepth", "data"].includes(k))
      throw new BridgeError(
        "INVALID_PARAMS",
        `Field 'frame.${k}' is not a frame field (width, height, bitDepth, data)`,
        {
          field: `frame.${k}`,
        },
      );
  for (const k of ["width", "height"] as const) {
    const v = f[k];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1)
      throw new BridgeError(
        "INVALID_PARAMS",
        `Field 'frame.${k}' must be a positive integer, received ${describeType(v)}`,
        {
          field: `frame.${k}`,
        },
      );
  }
  const bitDepth = f.bitDepth ?? 8;
  if (
    typeof bitDepth !== "number" ||
    !Number.isInteger(bitDepth) ||
    bitDepth < MIN_BIT_DEPTH ||
    bitDepth > MAX_BIT_DEPTH
  )
    throw new BridgeError(
      "INVALID_PARAMS",
      `Field 'frame.bitDepth' must be an integer from ${MIN_BIT_DEPTH} to ${MAX_BIT_DEPTH}, received ${describeType(bitDepth)}`,
      { field: "frame.bitDepth" },
    );
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(f.data, "frame.data");
  } catch (error) {
    if (error instanceof IrisCodeError)
      throw new BridgeError("MALFORMED_BASE64", error.message, { field: "frame.data" });
    throw error;
  }
  const width = f.width as number;
  const height = f.height as number;
  const bytesPerPixel = bitDepth === 8 ? 1 : 2;
  const expected = width * height * bytesPerPixel;
  if (bytes.length !== expected)
    throw new BridgeError(
      "WRONG_FRAME_SIZE",
      `Frame data is ${bytes.length} bytes; width ${width} x height ${height} x ${bytesPerPixel} byte${bytesPerPixel > 1 ? "s" : ""} per pixel is ${expected}`,
      { field: "frame.data" },
    );
  if (bitDepth === 8) return { width, height, data: bytes };
  const max = 2 ** bitDepth - 1;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const v = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
    if (v > max)
      throw new BridgeError(
        "INVALID_FRAME",
        `Pixel ${i} of the frame is ${v}, above ${max}, the largest value of ${bitDepth} bits`,
        { field: "frame.data" },
      );
    data[i] = Math.round((v * 255) / max);
  }
  return { width, height, data };
}
