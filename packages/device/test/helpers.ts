import { type CodeGeometry, DEFAULT_PROFILE, IrisCode } from "@zkiris/iris-code";
import { xorshift32 } from "@zkiris/test-kit";
import type { CapturePacketJson } from "../src/index.js";

/** A deterministic pseudo-random code (xorshift32) with about 10% of its bits masked out. */
export function makeProbe(seed: number, geometry: CodeGeometry = DEFAULT_PROFILE.geometry): IrisCode {
  const n = geometry.rows * geometry.cols * geometry.bitsPerCell;
  const next = xorshift32(seed);
  const bits = new Uint8Array(n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    bits[i] = next() & 1;
    mask[i] = next() % 10 === 0 ? 0 : 1;
  }
  return IrisCode.fromBits(geometry, bits, mask);
}

/** A deep copy of a wire packet that a test may tamper with freely. */
export function clonePacket(packet: CapturePacketJson): CapturePacketJson {
  return JSON.parse(JSON.stringify(packet)) as CapturePacketJson;
}

/** The packet with one field (a dotted path, e.g. `signature.S`) set to a value, or removed when `value` is undefined. */
export function withField(packet: CapturePacketJson, path: string, value: unknown): Record<string, unknown> {
  const copy = clonePacket(packet) as unknown as Record<string, unknown>;
  const parts = path.split(".");
  let node = copy;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}
