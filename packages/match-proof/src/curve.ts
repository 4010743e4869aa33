/**
 * Terminates the BN254 curve that snarkjs (ffjavascript) caches in `globalThis.curve_bn128`
 * with its worker threads, so a process that proved or verified can exit. The next proof builds
 * a new curve. Safe to call when no curve is cached.
 */
export async function releaseCurve(): Promise<void> {
  const holder = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const curve = holder.curve_bn128;
  if (curve) await curve.terminate();
}
