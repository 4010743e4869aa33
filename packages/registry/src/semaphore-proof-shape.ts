import type { SemaphoreProof } from "@semaphore-protocol/proof";
import { InvalidParameterError } from "./errors.js";
import { fieldElement, integer, object } from "./validation.js";

/**
 * Checks the shape of a Semaphore proof received from outside and returns a normalised copy:
 * `merkleTreeDepth` an integer 1..32; `merkleTreeRoot`, `nullifier`, `message`, `scope` field elements
 * (as canonical decimal strings); `points` eight field elements. Throws `INVALID_PARAMETER` naming the
 * field (`proof.points[3]`, ...).
 */
export function checkSemaphoreProof(value: unknown, field = "proof"): SemaphoreProof {
  const p = object(value, field);
  const merkleTreeDepth = integer(p.merkleTreeDepth, `${field}.merkleTreeDepth`, 1, 32);
  const decimal = (name: string) => fieldElement(p[name], `${field}.${name}`).toString();
  if (!Array.isArray(p.points) || p.points.length !== 8) {
    throw new InvalidParameterError(
      `${field}.points`,
      `Parameter '${field}.points' must be an array of 8 field elements`,
    );
  }
  const points = p.points.map((x, i) => fieldElement(x, `${field}.points[${i}]`).toString());
  return {
    merkleTreeDepth,
    merkleTreeRoot: decimal("merkleTreeRoot"),
    nullifier: decimal("nullifier"),
    message: decimal("message"),
    scope: decimal("scope"),
    points: points as unknown as SemaphoreProof["points"],
  } as SemaphoreProof;
}
