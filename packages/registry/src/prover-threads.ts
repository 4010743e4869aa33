/**
 * Terminates the worker threads that snarkjs keeps for its cached BN254 curve after
 * `generateProof` (of `@semaphore-protocol/proof`) ran in this thread, so that a script can exit.
 * Safe to call more than once and when no curve was built; the next proof builds it again.
 */
export async function releaseProverThreads(): Promise<void> {
  const holder = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const curve = holder.curve_bn128;
  if (curve !== undefined && curve !== null) await curve.terminate();
}
