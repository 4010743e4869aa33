// A snarkjs Groth16 Solidity verifier compiled and deployed in the workspace's in-process EVM
// (@zkiris/test-kit), for tests and the gas figure in the benchmark.
import { type Address, hexToBytes } from "@ethereumjs/util";
import { compileSolidity, InProcessEvm } from "@zkiris/test-kit";
import type { Groth16Proof } from "snarkjs";
import * as snarkjs from "snarkjs";

export { solcVersion } from "@zkiris/test-kit";

/** A deployed verifier contract in a fresh in-memory EVM. */
export interface DeployedVerifier {
  readonly address: Address;
  readonly deployGas: bigint;
  readonly bytecodeBytes: number;
  /** Function selectors (hex, no 0x) by signature, from solc. */
  readonly methodIdentifiers: Readonly<Record<string, string>>;
  /** Calls `verifyProof(a, b, c, publicSignals)`; returns its boolean result and the gas the call used. */
  call(
    calldata: Uint8Array,
  ): Promise<{ result: boolean; reverted: boolean; executionGas: bigint; transactionGas: bigint }>;
}

/** Compiles `source` (one contract) with the optimizer on and deploys it. */
export async function deployVerifier(source: string): Promise<DeployedVerifier> {
  const contract = Object.values(compileSolidity({ "Verifier.sol": source }))[0]!;
  const evm = await InProcessEvm.create();
  const { address, executionGas } = await evm.deploy(contract.bytecode);
  return {
    methodIdentifiers: contract.methodIdentifiers,
    address,
    deployGas: executionGas,
    bytecodeBytes: contract.bytecode.length,
    async call(calldata) {
      const r = await evm.call(address, calldata);
      const ret = r.returnValue;
      const result =
        !r.reverted && ret.length === 32 && ret[31] === 1 && ret.slice(0, 31).every((b) => b === 0);
      return { result, reverted: r.reverted, executionGas: r.executionGas, transactionGas: r.transactionGas };
    },
  };
}

/**
 * ABI calldata of `verifyProof(uint[2], uint[2][2], uint[2], uint[n])` for a snarkjs proof,
 * with the selector solc reported for the deployed contract.
 */
export async function verifyProofCalldata(
  verifier: DeployedVerifier,
  proof: Groth16Proof,
  publicSignals: readonly string[],
): Promise<Uint8Array> {
  const args = JSON.parse(`[${await snarkjs.groth16.exportSolidityCallData(proof, [...publicSignals])}]`) as [
    string[],
    string[][],
    string[],
    string[],
  ];
  const words = [...args[0], ...args[1].flat(), ...args[2], ...args[3]].map((w) =>
    BigInt(w).toString(16).padStart(64, "0"),
  );
  const signature = `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${publicSignals.length}])`;
  const selector = verifier.methodIdentifiers[signature];
  if (!selector) throw new Error(`Verifier has no ${signature}`);
  return hexToBytes(`0x${selector}${words.join("")}`);
}
