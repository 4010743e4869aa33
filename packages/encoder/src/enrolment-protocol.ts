import {
  buildTemplate,
  compareForDeduplication,
  type IrisCode,
  type IrisProfile,
  matchCodes,
  PreparedProbe,
  rowWords,
} from "@zkiris/iris-code";
import { generalisedFnmr } from "./accuracy.js";
import { EncoderError } from "./errors.js";

/** Captures per enrolment the measurement forms (the registry's fewest, `MIN_ENROLMENT_CAPTURES`). */
export const PROTOCOL_ENROLMENT_CAPTURES = 3;
/** Most fresh captures of one second-enrolment attempt (the registry's `MAX_ENROLMENT_CAPTURES`). */
export const PROTOCOL_MAX_ATTEMPT_CAPTURES = 5;

/** Options of {@link measureEnrolmentProtocol}. */
export interface EnrolmentProtocolOptions {
  /** Fewest accepted codes an eye needs to be measured (an enrolment and at least one fresh capture). Default 4. */
  readonly minCodesPerEye?: number;
  /**
   * Most enrolments formed per eye: every 3-subset of its codes when there are at most this many,
   * else this many spread evenly over the 3-subsets in lexicographic order. Default 10.
   */
  readonly maxEnrolmentsPerEye?: number;
}

/**
 * The enrolment protocol of the registry (`EnrolmentService.enrolFromCaptures`) replayed on the
 * accepted codes of a run, under the profile's decisions: how often an honest enrolment of 3
 * captures is refused, how often a second enrolment of the same eye with fresh captures is missed
 * by the duplicate search, and what the templates meet from other eyes.
 */
export interface EnrolmentProtocolReport {
  /** Captures per enrolment ({@link PROTOCOL_ENROLMENT_CAPTURES}). */
  readonly capturesPerEnrolment: number;
  /** Eyes with at least `minCodesPerEye` accepted codes: the eyes measured. */
  readonly eyes: number;
  /** Eyes with accepted codes but fewer than `minCodesPerEye`: not measured. */
  readonly eyesWithTooFewCodes: number;
  /**
   * Accepted codes (of every eye) under `profile.deduplication.enrolmentMinUsableBits`: the
   * registry refuses such a capture, so it is never a fresh capture nor a code a template is
   * compared with.
   */
  readonly codesUnderFloor: number;
  /** Enrolments of 3 captures, checked in the registry's order. */
  readonly enrolments: {
    readonly formed: number;
    readonly accepted: number;
    readonly refused: {
      /** A capture under the enrolment floor (`INSUFFICIENT_USABLE_BITS`, field `captures[i].probe.mask`). */
      readonly captureUsableBits: number;
      /** A pair not matching under the verification decision at any shift (`INCONSISTENT_CAPTURES`). */
      readonly inconsistentCaptures: number;
      /** The template under the enrolment floor (`INSUFFICIENT_USABLE_BITS`, field `captures`). */
      readonly templateUsableBits: number;
    };
    /** Refused over formed: the protocol's failure to enrol; null when none was formed. */
    readonly failureToEnrol: number | null;
  };
  /**
   * Second enrolments of the eye of each accepted template, with its other codes over the floor
   * (the first {@link PROTOCOL_MAX_ATTEMPT_CAPTURES} not in the enrolment): with 3 or more, the
   * attempt passes the protocol's checks and its template and every capture are searched, as the
   * registry does; with 1 or 2 (fewer than the registry takes), its captures alone are searched,
   * so the miss rate of such attempts is an upper bound (the registry would also search their
   * template).
   */
  readonly secondEnrolment: {
    /** Attempts that reach the duplicate search. */
    readonly attempts: number;
    /** Of them, with 3 to 5 captures (their template searched too). */
    readonly withTemplate: number;
    /** Of them, with 1 or 2 captures (captures searched alone: an upper bound on the misses). */
    readonly capturesOnly: number;
    /** Attempts of 3 or more captures the registry refuses before its search (a retake for the attacker); not in `attempts`. */
    readonly refusedBeforeSearch: {
      readonly inconsistentCaptures: number;
      readonly templateUsableBits: number;
    };
    /** Accepted templates of an eye with no other code over the floor: no attempt. */
    readonly noFreshCaptures: number;
    /** Attempts none of whose searched codes matches the template under the deduplication decision. */
    readonly misses: number;
    /** Misses over attempts; null without attempts. */
    readonly fnmr: number | null;
    /** `FTE + (1 - FTE) * FNMR` with the enrolment's failure to enrol (a refused enrolment counts as a miss); null without attempts. */
    readonly gfnmr: number | null;
    /** The template against each fresh capture alone (every attempt's captures, refused attempts too). */
    readonly perCapture: {
      readonly comparisons: number;
      readonly misses: number;
      readonly fnmr: number | null;
    };
  };
  /**
   * Every accepted template against every code over the floor of every other eye (of the group:
   * across datasets in the pooled one) under the deduplication decision: what a newcomer's capture
   * meets in the index.
   */
  readonly templateImpostors: {
    readonly templates: number;
    readonly comparisons: number;
    /** Comparisons the deduplication decision calls a duplicate. */
    readonly matches: number;
    /** Comparisons with too few jointly usable bits at every shift (the registry refuses those as undecidable). */
    readonly undecidable: number;
    /** Matches over comparisons; null without comparisons. */
    readonly fmr: number | null;
    /** Lowest decision (normalised) distance among the decidable comparisons; null without any. */
    readonly closest: number | null;
    /**
     * The pairs (template's eye, code's eye) with matches, most matches first, at most
     * {@link PROTOCOL_CLOSE_EYES_LISTED} listed, and how many there are in all: one eye under two
     * labels matches most of its comparisons, a failed segmentation one or two.
     */
    readonly closeEyes: { readonly total: number; readonly listed: readonly ProtocolCloseEyes[] };
  };
}

/** Template-impostor matches of one pair of eyes (see {@link EnrolmentProtocolReport}). */
export interface ProtocolCloseEyes {
  /** The template's eye, then the code's. */
  readonly eyes: readonly [string, string];
  readonly matches: number;
  /** The first eye's accepted templates times the second's codes over the floor. */
  readonly comparisons: number;
  /** Lowest decision distance among the matches. */
  readonly closest: number;
}

/** Eye pairs listed in `templateImpostors.closeEyes`. */
export const PROTOCOL_CLOSE_EYES_LISTED = 20;

/** {@link EnrolmentProtocolReport} of everything together and of each group. */
export interface GroupedEnrolmentProtocol {
  readonly pooled: EnrolmentProtocolReport;
  readonly byGroup: ReadonlyMap<string, EnrolmentProtocolReport>;
}

/** The 3-subsets of `0..n-1` in lexicographic order, or at most `max` of them spread evenly. */
export function enrolmentSubsets(n: number, max: number): number[][] {
  const all: number[][] = [];
  for (let a = 0; a < n; a++)
    for (let b = a + 1; b < n; b++) for (let c = b + 1; c < n; c++) all.push([a, b, c]);
  if (all.length <= max) return all;
  return Array.from({ length: max }, (_, i) => all[Math.floor((i * all.length) / max)]!);
}

type Refusal = "captureUsableBits" | "inconsistentCaptures" | "templateUsableBits";

/**
 * The registry's checks of an enrolment from captures, in its order: each capture's floor, each
 * pair's consistency under the verification decision (`matchCodes`), the template
 * (`buildTemplate`) and its floor. Returns the template or the refusal.
 */
export function protocolTemplate(
  captures: readonly IrisCode[],
  profile: IrisProfile,
): { readonly template: IrisCode } | { readonly refused: Refusal } {
  const floor = profile.deduplication.enrolmentMinUsableBits;
  if (captures.some((c) => c.usableBitCount() < floor)) return { refused: "captureUsableBits" };
  for (let i = 0; i < captures.length; i++)
    for (let j = i + 1; j < captures.length; j++)
      if (!matchCodes(captures[i]!, captures[j]!, profile).match) return { refused: "inconsistentCaptures" };
  const { template } = buildTemplate(captures, profile);
  if (template.usableBitCount() < floor) return { refused: "templateUsableBits" };
  return { template };
}

class ProtocolCounts {
  eyes = 0;
  eyesWithTooFewCodes = 0;
  codesUnderFloor = 0;
  formed = 0;
  accepted = 0;
  refused = { captureUsableBits: 0, inconsistentCaptures: 0, templateUsableBits: 0 };
  attempts = 0;
  withTemplate = 0;
  capturesOnly = 0;
  refusedBeforeSearch = { inconsistentCaptures: 0, templateUsableBits: 0 };
  noFreshCaptures = 0;
  misses = 0;
  perCaptureComparisons = 0;
  perCaptureMisses = 0;
  templates = 0;
  comparisons = 0;
  matches = 0;
  undecidable = 0;
  closest = Number.POSITIVE_INFINITY;
  readonly close = new Map<string, { eyes: [string, string]; matches: number; closest: number }>();

  closeMatch(templateEye: string, codeEye: string, distance: number): void {
    const key = `${templateEye}\u0000${codeEye}`;
    const c = this.close.get(key);
    if (c) {
      c.matches++;
      if (distance < c.closest) c.closest = distance;
    } else this.close.set(key, { eyes: [templateEye, codeEye], matches: 1, closest: distance });
  }

  report(
    templatesOf: ReadonlyMap<string, number>,
    searchedOf: ReadonlyMap<string, number>,
  ): EnrolmentProtocolReport {
    const close = [...this.close.values()]
      .map((c) => ({
        eyes: c.eyes,
        matches: c.matches,
        comparisons: (templatesOf.get(c.eyes[0]) ?? 0) * (searchedOf.get(c.eyes[1]) ?? 0),
        closest: c.closest,
      }))
      .sort((x, y) => y.matches - x.matches || x.closest - y.closest);
    const fte = this.formed ? (this.formed - this.accepted) / this.formed : null;
    const fnmr = this.attempts ? this.misses / this.attempts : null;
    return {
      capturesPerEnrolment: PROTOCOL_ENROLMENT_CAPTURES,
      eyes: this.eyes,
      eyesWithTooFewCodes: this.eyesWithTooFewCodes,
      codesUnderFloor: this.codesUnderFloor,
      enrolments: {
        formed: this.formed,
        accepted: this.accepted,
        refused: { ...this.refused },
        failureToEnrol: fte,
      },
      secondEnrolment: {
        attempts: this.attempts,
        withTemplate: this.withTemplate,
        capturesOnly: this.capturesOnly,
        refusedBeforeSearch: { ...this.refusedBeforeSearch },
        noFreshCaptures: this.noFreshCaptures,
        misses: this.misses,
        fnmr,
        gfnmr: fnmr === null ? null : generalisedFnmr(fte ?? 0, fnmr),
        perCapture: {
          comparisons: this.perCaptureComparisons,
          misses: this.perCaptureMisses,
          fnmr: this.perCaptureComparisons ? this.perCaptureMisses / this.perCaptureComparisons : null,
        },
      },
      templateImpostors: {
        templates: this.templates,
        comparisons: this.comparisons,
        matches: this.matches,
        undecidable: this.undecidable,
        fmr: this.comparisons ? this.matches / this.comparisons : null,
        closest: this.closest === Number.POSITIVE_INFINITY ? null : this.closest,
        closeEyes: { total: close.length, listed: close.slice(0, PROTOCOL_CLOSE_EYES_LISTED) },
      },
    };
  }
}

/**
 * Replays the registry's enrolment protocol on the accepted codes of each eye (see
 * {@link EnrolmentProtocolReport}), for everything together (`pooled`) and for each group named by
 * `groupOf(eye)` (`byGroup`; a template's impostors are then the other eyes of its group). Eye ids
 * must be unique across groups. Decides with iris-code's own functions: `matchCodes` (consistency),
 * `buildTemplate`, and `compareForDeduplication` of a `PreparedProbe` of the searched code against
 * the enrolled template, as the uniqueness index does. Pure and deterministic (codes in input order).
 * Throws `INVALID_PARAMETER` for options out of range or a code without the profile's geometry.
 * `onProgress(done, total)` is called as eyes complete.
 */
export function measureEnrolmentProtocol(
  codesByEye: ReadonlyMap<string, readonly IrisCode[]>,
  profile: IrisProfile,
  groupOf: (eye: string) => string,
  options: EnrolmentProtocolOptions = {},
  onProgress?: (done: number, total: number) => void,
): GroupedEnrolmentProtocol {
  const minCodes = options.minCodesPerEye ?? PROTOCOL_ENROLMENT_CAPTURES + 1;
  const maxEnrolments = options.maxEnrolmentsPerEye ?? 10;
  if (!Number.isInteger(minCodes) || minCodes < PROTOCOL_ENROLMENT_CAPTURES + 1)
    throw new EncoderError(
      "INVALID_PARAMETER",
      `Parameter 'minCodesPerEye' is ${minCodes}; it must be an integer of at least ${PROTOCOL_ENROLMENT_CAPTURES + 1}`,
      { field: "minCodesPerEye" },
    );
  if (!Number.isInteger(maxEnrolments) || maxEnrolments < 1)
    throw new EncoderError(
      "INVALID_PARAMETER",
      `Parameter 'maxEnrolmentsPerEye' is ${maxEnrolments}; it must be a positive integer`,
      { field: "maxEnrolmentsPerEye" },
    );
  const g = profile.geometry;
  const decision = profile.deduplication;
  const floor = decision.enrolmentMinUsableBits;
  for (const [eye, codes] of codesByEye)
    for (const c of codes)
      if (
        c.geometry.rows !== g.rows ||
        c.geometry.cols !== g.cols ||
        c.geometry.bitsPerCell !== g.bitsPerCell
      )
        throw new EncoderError(
          "INVALID_PARAMETER",
          `A code of eye '${eye}' does not have the profile's geometry`,
          {
            field: "codesByEye",
          },
        );
  const pooled = new ProtocolCounts();
  const groups = new Map<string, ProtocolCounts>();
  for (const eye of codesByEye.keys()) {
    const name = groupOf(eye);
    if (!groups.has(name)) groups.set(name, new ProtocolCounts());
  }
  const single = groups.size === 1;
  const countsOf = (eye: string) => (single ? [pooled] : [pooled, groups.get(groupOf(eye))!]);
  const add = (targets: ProtocolCounts[], f: (c: ProtocolCounts) => void) => {
    for (const t of targets) f(t);
  };
  // The codes the registry would search (over the floor), each prepared once.
  const searched: { eye: string; group: string; probe: PreparedProbe }[] = [];
  const prepared = new Map<IrisCode, PreparedProbe>();
  const templatesOf = new Map<string, number>();
  const searchedOf = new Map<string, number>();
  for (const [eye, codes] of codesByEye) {
    const under = codes.filter((c) => c.usableBitCount() < floor).length;
    add(countsOf(eye), (c) => {
      c.codesUnderFloor += under;
    });
    for (const code of codes) {
      if (code.usableBitCount() < floor) continue;
      const probe = new PreparedProbe(code, profile.maxShift);
      prepared.set(code, probe);
      searched.push({ eye, group: groupOf(eye), probe });
      searchedOf.set(eye, (searchedOf.get(eye) ?? 0) + 1);
    }
  }
  const duplicate = (probe: PreparedProbe, bits: Uint32Array, mask: Uint32Array) =>
    compareForDeduplication(probe, bits, mask, decision).duplicate;
  let done = 0;
  for (const [eye, codes] of codesByEye) {
    const targets = countsOf(eye);
    const group = groupOf(eye);
    if (codes.length < minCodes) {
      if (codes.length > 0) add(targets, (c) => c.eyesWithTooFewCodes++);
      onProgress?.(++done, codesByEye.size);
      continue;
    }
    add(targets, (c) => c.eyes++);
    for (const subset of enrolmentSubsets(codes.length, maxEnrolments)) {
      add(targets, (c) => c.formed++);
      const outcome = protocolTemplate(
        subset.map((i) => codes[i]!),
        profile,
      );
      if ("refused" in outcome) {
        add(targets, (c) => c.refused[outcome.refused]++);
        continue;
      }
      add(targets, (c) => {
        c.accepted++;
        c.templates++;
      });
      templatesOf.set(eye, (templatesOf.get(eye) ?? 0) + 1);
      const bits = rowWords(outcome.template.packedBitsView() as Uint8Array, g);
      const mask = rowWords(outcome.template.packedMaskView() as Uint8Array, g);
      // The second enrolment: the first fresh captures over the floor.
      const fresh = codes
        .filter((c, i) => !subset.includes(i) && c.usableBitCount() >= floor)
        .slice(0, PROTOCOL_MAX_ATTEMPT_CAPTURES);
      const hits = fresh.map((c) => duplicate(prepared.get(c)!, bits, mask));
      const capMisses = hits.filter((h) => !h).length;
      add(targets, (c) => {
        c.perCaptureComparisons += fresh.length;
        c.perCaptureMisses += capMisses;
      });
      if (fresh.length === 0) add(targets, (c) => c.noFreshCaptures++);
      else if (fresh.length < PROTOCOL_ENROLMENT_CAPTURES) {
        const miss = capMisses === fresh.length;
        add(targets, (c) => {
          c.attempts++;
          c.capturesOnly++;
          if (miss) c.misses++;
        });
      } else {
        const attempt = protocolTemplate(fresh, profile);
        if ("refused" in attempt) {
          const reason = attempt.refused as Exclude<Refusal, "captureUsableBits">;
          add(targets, (c) => c.refusedBeforeSearch[reason]++);
        } else {
          // The registry searches the template first, then every capture.
          const miss =
            !duplicate(new PreparedProbe(attempt.template, profile.maxShift), bits, mask) &&
            capMisses === fresh.length;
          add(targets, (c) => {
            c.attempts++;
            c.withTemplate++;
            if (miss) c.misses++;
          });
        }
      }
      // Impostors: every searched code of another eye.
      for (const s of searched) {
        if (s.eye === eye) continue;
        const cmp = compareForDeduplication(s.probe, bits, mask, decision);
        const into = single || s.group !== group ? [pooled] : targets;
        for (const c of into) {
          c.comparisons++;
          if (!cmp.decidable) c.undecidable++;
          else {
            if (cmp.duplicate) {
              c.matches++;
              c.closeMatch(eye, s.eye, cmp.distance);
            }
            if (cmp.distance < c.closest) c.closest = cmp.distance;
          }
        }
      }
    }
    onProgress?.(++done, codesByEye.size);
  }
  const result = pooled.report(templatesOf, searchedOf);
  const byGroup = new Map<string, EnrolmentProtocolReport>();
  for (const [name, c] of groups) byGroup.set(name, single ? result : c.report(templatesOf, searchedOf));
  return { pooled: result, byGroup };
}
