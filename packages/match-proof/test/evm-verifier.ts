// Compiles a snarkjs Groth16 Solidity verifier with solc-js and runs it in an in-process EVM
// (@ethereumjs/evm), for tests and the gas figure in the benchmark.
import { createRequire } from "node:module";
import { createEVM } from "@ethereumjs/evm";
import { type Address, hexToBytes } from "@ethereumjs/util";
import type { Groth16Proof } from "snarkjs";
import * as snarkjs from "snarkjs";

const solc = createRequire(import.meta.url)("solc") as { compile(input: string): string; version(): string };

/** solc-js version string, e.g. `0.8.28+commit.7893614a.Emscripten.clang`. */
export function solcVersion(): string {
  return solc.version();
}

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
  const input = {
    language: "Solidity",
    sources: { "Verifier.sol": { content: source } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["evm.bytecode.object", "evm.methodIdentifiers"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<
      string,
      Record<string, { evm: { bytecode: { object: string }; methodIdentifiers: Record<string, string> } }>
    >;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const contract = Object.values(output.contracts["Verifier.sol"]!)[0]!;
  const bytecode = hexToBytes(`0x${contract.evm.bytecode.object}`);
  const evm = await createEVM();
  const deployed = await evm.runCall({ data: bytecode, gasLimit: 30_000_000n });
  if (deployed.execResult.exceptionError || !deployed.createdAddress) {
    throw new Error(`Verifier deployment failed: ${deployed.execResult.exceptionError?.error}`);
  }
  const address = deployed.createdAddress;
  return {
    methodIdentifiers: contract.evm.methodIdentifiers,
    address,
    deployGas: deployed.execResult.executionGasUsed,
    bytecodeBytes: bytecode.length,
    async call(calldata) {
      const r = await evm.runCall({ to: address, data: calldata, gasLimit: 10_000_000n });
      const reverted = r.execResult.exceptionError !== undefined;
      const ret = r.execResult.returnValue;
      const result =
        !reverted && ret.length === 32 && ret[31] === 1 && ret.slice(0, 31).every((b) => b === 0);
      let calldataGas = 0n;
      for (const b of calldata) calldataGas += b === 0 ? 4n : 16n;
      return {
        result,
        reverted,
        executionGas: r.execResult.executionGasUsed,
        transactionGas: 21_000n + calldataGas + r.execResult.executionGasUsed,
      };
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
