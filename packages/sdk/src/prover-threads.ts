/**
 * Terminates the worker threads snarkjs keeps for its cached BN254 curve after a proof was made or
 * verified in this thread (`globalThis.curve_bn128`, snarkjs's own cache), so that a Node script can
 * exit. Safe to call more than once and when no curve was built; the next proof builds it again.
 */
export async function releaseProverThreads(): Promise<void> {
  const holder = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const curve = holder.curve_bn128;
  // terminate() also clears the cache, so the next proof builds a new curve.
  if (curve !== undefined && curve !== null) await curve.terminate();
}
