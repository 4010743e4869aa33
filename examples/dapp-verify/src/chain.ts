// The on-chain side: the committed liveness-vote Groth16 verifier and the UniqueAction consumer
// contract, deployed in the workspace's in-process EVM, which stands in for a chain here. A
// deployment sends the same calldata to a real chain (viem, ethers) instead.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Address } from "@ethereumjs/util";
import { type LivenessVoteProof, semaphoreHash } from "@zkiris/match-proof";
import type { ArtifactResolver, SemaphoreProofJson } from "@zkiris/sdk";
import { compileSolidity, evmAddress, InProcessEvm } from "@zkiris/test-kit";
import { Interface } from "ethers";
import { zKey } from "snarkjs";
import { LIVENESS_ARTIFACTS_DIR, UNIQUE_ACTION_SOURCE } from "./paths.js";

/** `validUntil` of a root or challenge that has no end yet. */
export const NO_END = (1n << 64n) - 1n;

/** A custom error the contract reverted with: its name and arguments (uint256 as bigint). */
export interface ContractRevert {
  readonly name: string;
  readonly args: readonly bigint[];
}

/** What one `performAction` transaction did. */
export type ActionOutcome =
  | { readonly accepted: true; readonly executionGas: bigint; readonly transactionGas: bigint }
  | {
      readonly accepted: false;
      readonly revert: ContractRevert;
      readonly executionGas: bigint;
      readonly transactionGas: bigint;
    };

/** The Groth16 points of a snarkjs proof in the order Solidity verifiers take them (pB pairs swapped). */
export function verifierPoints(proof: LivenessVoteProof["proof"]): bigint[] {
  const a = proof.pi_a as string[];
  const b = proof.pi_b as string[][];
  const c = proof.pi_c as string[];
  return [a[0], a[1], b[0]?.[1], b[0]?.[0], b[1]?.[1], b[1]?.[0], c[0], c[1]].map((v) => BigInt(v as string));
}

/** The verifier's source, checked against the SHA-256 its artifacts manifest records. */
export function livenessVerifierSource(directory = LIVENESS_ARTIFACTS_DIR): string {
  const manifest = JSON.parse(readFileSync(join(directory, "manifest.json"), "utf8")) as {
    files: { verifier: { path: string; sha256: string } };
  };
  const source = readFileSync(join(directory, manifest.files.verifier.path));
  const sha256 = createHash("sha256").update(source).digest("hex");
  if (sha256 !== manifest.files.verifier.sha256) {
    throw new Error(`${manifest.files.verifier.path} has SHA-256 ${sha256}, the manifest records another`);
  }
  return source.toString("utf8");
}

/**
 * The Groth16 verifier of Semaphore v4's circuit for one tree depth, exported by snarkjs (its own
 * template) from the proving key the resolver gives: `nodeArtifacts()` of `@zkiris/sdk/node`, the
 * SHA-256-pinned files of `@zk-kit/semaphore-artifacts@4.13.0` (Semaphore's ceremony, nothing set up here).
 */
export async function semaphoreVerifierSource(depth: number, artifacts: ArtifactResolver): Promise<string> {
  const { zkey } = await artifacts(depth);
  const snarkjsDir = dirname(dirname(createRequire(import.meta.url).resolve("snarkjs")));
  const template = readFileSync(join(snarkjsDir, "templates", "verifier_groth16.sol.ejs"), "utf8");
  return zKey.exportSolidityVerifier(zkey, { groth16: template });
}

/**
 * The deployed contracts and the calls the dApp makes: the owner publishes roots and challenges
 * (the root oracle), a relayer submits users' proofs. Times are Unix seconds, from `now`.
 */
export class UniqueActionChain {
  /** Deployer and owner of UniqueAction: the account the root oracle signs with. */
  static readonly OWNER = evmAddress("0x00000000000000000000000000000000000a11ce");
  /** The account that submits users' proofs (any account may). */
  static readonly RELAYER = evmAddress("0x0000000000000000000000000000000000000b0b");

  readonly #evm: InProcessEvm;
  readonly #contract: Interface;
  readonly #now: () => number;
  /** Address of UniqueAction. */
  readonly address: Address;
  /** Address of the liveness-vote Groth16 verifier. */
  readonly verifierAddress: Address;
  /** Execution gas of the two deployments. */
  readonly deployGas: { readonly verifier: bigint; readonly uniqueAction: bigint };
  /** Deployed Semaphore verifiers by tree depth, and their addresses. */
  readonly #semaphoreVerifiers = new Map<number, Promise<Address>>();

  private constructor(
    evm: InProcessEvm,
    contract: Interface,
    addresses: { uniqueAction: Address; verifier: Address },
    deployGas: { verifier: bigint; uniqueAction: bigint },
    now: () => number,
  ) {
    this.#evm = evm;
    this.#contract = contract;
    this.address = addresses.uniqueAction;
    this.verifierAddress = addresses.verifier;
    this.deployGas = deployGas;
    this.#now = now;
  }

  /**
   * Compiles the committed verifier and UniqueAction.sol (solc 0.8.28, optimizer 200 runs) and deploys
   * both in a fresh in-process EVM, UniqueAction owned by {@link OWNER}. `now` (Unix ms, default
   * `Date.now`) sets `block.timestamp` of every call.
   */
  static async deploy(options: { now?: () => number } = {}): Promise<UniqueActionChain> {
    const compiled = compileSolidity({
      "Verifier.sol": livenessVerifierSource(),
      "UniqueAction.sol": readFileSync(UNIQUE_ACTION_SOURCE, "utf8"),
    });
    const verifier = compiled.Groth16Verifier!;
    const uniqueAction = compiled.UniqueAction!;
    const evm = await InProcessEvm.create();
    const now = options.now ?? Date.now;
    const timestamp = BigInt(Math.floor(now() / 1000));
    const deployedVerifier = await evm.deploy(verifier.bytecode, {
      caller: UniqueActionChain.OWNER,
      timestamp,
    });
    const contract = new Interface(uniqueAction.abi as never);
    const args = contract.encodeDeploy([deployedVerifier.address.toString()]);
    const creation = new Uint8Array([...uniqueAction.bytecode, ...Buffer.from(args.slice(2), "hex")]);
    const deployed = await evm.deploy(creation, { caller: UniqueActionChain.OWNER, timestamp });
    return new UniqueActionChain(
      evm,
      contract,
      { uniqueAction: deployed.address, verifier: deployedVerifier.address },
      { verifier: deployedVerifier.executionGas, uniqueAction: deployed.executionGas },
      now,
    );
  }

  /** `block.timestamp` of the next call. */
  timestamp(): bigint {
    return BigInt(Math.floor(this.#now() / 1000));
  }

  /**
   * The owner publishes a group root of the registry, accepted until `validUntil` (Unix seconds).
   * Throws when the contract reverts (`NotOwner` for another `caller`).
   */
  publishGroupRoot(root: bigint, validUntil: bigint, options: { caller?: Address } = {}): Promise<void> {
    return this.#owner("publishGroupRoot", [root, validUntil], options.caller);
  }

  /** The owner publishes a root of the registry's device tree, accepted until `validUntil`. */
  publishDeviceRoot(root: bigint, validUntil: bigint, options: { caller?: Address } = {}): Promise<void> {
    return this.#owner("publishDeviceRoot", [root, validUntil], options.caller);
  }

  /** The owner publishes a liveness challenge of an action, accepted until `validUntil`. */
  publishChallenge(
    scope: bigint,
    challenge: bigint,
    validUntil: bigint,
    options: { caller?: Address } = {},
  ): Promise<void> {
    return this.#owner("publishChallenge", [scope, challenge, validUntil], options.caller);
  }

  /** The owner publishes a root of the registry's plain group, accepted until `validUntil`. */
  publishPlainGroupRoot(root: bigint, validUntil: bigint, options: { caller?: Address } = {}): Promise<void> {
    return this.#owner("publishPlainGroupRoot", [root, validUntil], options.caller);
  }

  /**
   * The owner deploys the Semaphore verifier of `depth` ({@link semaphoreVerifierSource}) and sets it
   * in UniqueAction, once per depth; its address. A deployment would set Semaphore's own verifiers.
   */
  ensureSemaphoreVerifier(depth: number, artifacts: ArtifactResolver): Promise<Address> {
    let pending = this.#semaphoreVerifiers.get(depth);
    if (pending === undefined) {
      pending = (async () => {
        const compiled = compileSolidity({
          [`SemaphoreVerifier${depth}.sol`]: await semaphoreVerifierSource(depth, artifacts),
        });
        const { address } = await this.#evm.deploy(compiled.Groth16Verifier!.bytecode, {
          caller: UniqueActionChain.OWNER,
          timestamp: this.timestamp(),
        });
        await this.#owner("setSemaphoreVerifier", [BigInt(depth), address.toString()]);
        return address;
      })();
      this.#semaphoreVerifiers.set(depth, pending);
      pending.catch(() => this.#semaphoreVerifiers.delete(depth));
    }
    return pending;
  }

  /** The relayer (or `caller`) submits a plain Semaphore proof for the action `scope`. */
  async performPlainAction(
    scope: bigint,
    proof: SemaphoreProofJson,
    options: { caller?: Address } = {},
  ): Promise<ActionOutcome> {
    const data = this.#contract.encodeFunctionData("performPlainAction", [
      scope,
      [
        proof.merkleTreeDepth,
        proof.merkleTreeRoot,
        proof.nullifier,
        proof.message,
        proof.scope,
        proof.points,
      ],
    ]);
    return this.#submit(data, options.caller);
  }

  /** The relayer (or `caller`) submits `proof` for the action `scope`: accepted, or the contract's revert. */
  async performAction(
    scope: bigint,
    proof: LivenessVoteProof,
    options: { caller?: Address } = {},
  ): Promise<ActionOutcome> {
    const data = this.#contract.encodeFunctionData("performAction", [
      scope,
      [
        proof.merkleTreeRoot,
        proof.nullifier,
        proof.message,
        proof.scope,
        proof.challenge,
        proof.deviceRoot,
        verifierPoints(proof.proof),
      ],
    ]);
    return this.#submit(data, options.caller);
  }

  async #submit(data: string, caller = UniqueActionChain.RELAYER): Promise<ActionOutcome> {
    const r = await this.#evm.call(this.address, hex(data), { caller, timestamp: this.timestamp() });
    const gas = { executionGas: r.executionGas, transactionGas: r.transactionGas };
    if (!r.reverted) return { accepted: true, ...gas };
    return { accepted: false, revert: this.#decodeRevert(r.returnValue), ...gas };
  }

  /** Whether the contract recorded `nullifier` for the action `scope`. */
  async nullifierUsed(scope: bigint, nullifier: bigint): Promise<boolean> {
    const [used] = await this.#read("nullifierUsed", [scope, nullifier]);
    return used as boolean;
  }

  /**
   * The baseline: the verifier's `verifyProof` called directly with the proof's public signals
   * (message and scope hashed as the contract hashes them), its result and gas.
   */
  async verifyProofDirectly(
    signals: readonly bigint[],
    proof: LivenessVoteProof["proof"],
  ): Promise<{ valid: boolean; executionGas: bigint; transactionGas: bigint }> {
    return this.#verifyDirectly(this.verifierAddress, signals, verifierPoints(proof));
  }

  /**
   * The baseline of a plain proof: the Semaphore verifier of its depth (deployed by
   * {@link ensureSemaphoreVerifier}) called directly with `[root, nullifier, hash(message), hash(scope)]`.
   */
  async verifySemaphoreProofDirectly(
    proof: SemaphoreProofJson,
  ): Promise<{ valid: boolean; executionGas: bigint; transactionGas: bigint }> {
    const address = await this.#semaphoreVerifiers.get(proof.merkleTreeDepth);
    if (address === undefined)
      throw new Error(`No Semaphore verifier of depth ${proof.merkleTreeDepth} deployed`);
    const signals = [
      BigInt(proof.merkleTreeRoot),
      BigInt(proof.nullifier),
      semaphoreHash(BigInt(proof.message), "message"),
      semaphoreHash(BigInt(proof.scope), "scope"),
    ];
    return this.#verifyDirectly(address, signals, proof.points.map(BigInt));
  }

  async #verifyDirectly(
    address: Address,
    signals: readonly bigint[],
    p: readonly bigint[],
  ): Promise<{ valid: boolean; executionGas: bigint; transactionGas: bigint }> {
    const abi = new Interface([
      `function verifyProof(uint256[2], uint256[2][2], uint256[2], uint256[${signals.length}]) view returns (bool)`,
    ]);
    const data = abi.encodeFunctionData("verifyProof", [
      [p[0], p[1]],
      [
        [p[2], p[3]],
        [p[4], p[5]],
      ],
      [p[6], p[7]],
      [...signals],
    ]);
    const r = await this.#evm.call(address, hex(data), { timestamp: this.timestamp() });
    const [valid] = r.reverted ? [false] : abi.decodeFunctionResult("verifyProof", r.returnValue);
    return { valid: valid as boolean, executionGas: r.executionGas, transactionGas: r.transactionGas };
  }

  async #owner(
    method: string,
    args: readonly (bigint | string)[],
    caller = UniqueActionChain.OWNER,
  ): Promise<void> {
    const r = await this.#evm.call(this.address, hex(this.#contract.encodeFunctionData(method, [...args])), {
      caller,
      timestamp: this.timestamp(),
    });
    if (r.reverted) {
      const revert = this.#decodeRevert(r.returnValue);
      throw new Error(`UniqueAction.${method} reverted with ${revert.name}`);
    }
  }

  async #read(method: string, args: readonly unknown[]): Promise<unknown[]> {
    const r = await this.#evm.call(this.address, hex(this.#contract.encodeFunctionData(method, [...args])), {
      timestamp: this.timestamp(),
    });
    if (r.reverted) throw new Error(`UniqueAction.${method} reverted`);
    return [...this.#contract.decodeFunctionResult(method, r.returnValue)];
  }

  #decodeRevert(data: Uint8Array): ContractRevert {
    const error = data.length >= 4 ? this.#contract.parseError(data) : null;
    if (error === null)
      return { name: data.length === 0 ? "OutOfGasOrEmptyRevert" : "UnknownRevert", args: [] };
    return { name: error.name, args: error.args.map((a) => BigInt(a as bigint)) };
  }
}

function hex(data: string): Uint8Array {
  return Uint8Array.from(Buffer.from(data.slice(2), "hex"));
}
