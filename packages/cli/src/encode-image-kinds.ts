import { readFile } from "node:fs/promises";
import {
  type Degradation,
  decodeImage,
  degradeImage,
  type GreyImage,
  type IrisEncoder,
} from "@zkiris/encoder";
import { ZkirisError } from "@zkiris/iris-code";

/** A request to the worker: one image file and the kinds to encode it under. */
export interface EncodeRequest {
  readonly id: number;
  readonly file: string;
  /** `none` or degradation kinds. */
  readonly kinds: readonly string[];
  /** Seed of the degradations of this image. */
  readonly seed: number;
}

/** The outcome of one kind: packed bits and mask, or the refusal. */
export type KindOutcome =
  | { readonly kind: string; readonly bits: Uint8Array; readonly mask: Uint8Array }
  | { readonly kind: string; readonly error: string; readonly reason: string };

/** The worker's answer to one {@link EncodeRequest}. */
export interface EncodeResponse {
  readonly id: number;
  readonly outcomes: readonly KindOutcome[];
  /** Set when the worker failed for a reason that is not a refusal of the image. */
  readonly fatal?: string;
}

function refusalOf(error: unknown): { error: string; reason: string } {
  if (ZkirisError.is(error))
    return { error: (error as { gate?: string }).gate ?? error.code, reason: error.message };
  throw error;
}

/**
 * Encodes `file` under every kind with `encoder`: reads it once, decodes it once when a degraded
 * copy is wanted. Refusals (any `ZkirisError`) become outcomes; other errors propagate.
 */
export async function encodeImageKinds(
  encoder: IrisEncoder,
  file: string,
  kinds: readonly string[],
  seed: number,
): Promise<KindOutcome[]> {
  const bytes = new Uint8Array(await readFile(file));
  let grey: GreyImage | undefined;
  let decodeFailure: { error: string; reason: string } | undefined;
  if (kinds.some((k) => k !== "none")) {
    try {
      grey = decodeImage(bytes);
    } catch (error) {
      decodeFailure = refusalOf(error);
    }
  }
  const outcomes: KindOutcome[] = [];
  for (const kind of kinds) {
    if (kind !== "none" && decodeFailure) {
      outcomes.push({ kind, ...decodeFailure });
      continue;
    }
    try {
      const input = kind === "none" ? bytes : degradeImage(grey!, kind as Degradation, seed);
      const { code } = await encoder.encode(input);
      outcomes.push({
        kind,
        bits: Uint8Array.from(code.packedBitsView() as Uint8Array),
        mask: Uint8Array.from(code.packedMaskView() as Uint8Array),
      });
    } catch (error) {
      outcomes.push({ kind, ...refusalOf(error) });
    }
  }
  return outcomes;
}
