// Solidity compiled with solc-js and run in an in-process EVM (@ethereumjs/evm): the chain the
// workspace's tests, benchmarks and examples deploy verifiers and their consumer contracts to.
import { createRequire } from "node:module";
import { createEVM, type EVM } from "@ethereumjs/evm";
import { type Address, createAddressFromString, createZeroAddress, hexToBytes } from "@ethereumjs/util";

const solc = createRequire(import.meta.url)("solc") as { compile(input: string): string; version(): string };

/** solc-js version string, e.g. `0.8.28+commit.7893614a.Emscripten.clang`. */
export function solcVersion(): string {
  return solc.version();
}

/** One compiled contract: its ABI (solc's JSON), creation bytecode and function selectors. */
export interface CompiledContract {
  readonly abi: readonly unknown[];
  readonly bytecode: Uint8Array;
  /** Function selectors (hex, no 0x) by signature, from solc. */
  readonly methodIdentifiers: Readonly<Record<string, string>>;
}

/**
 * Compiles Solidity sources (file name to source text) with the optimizer on (200 runs) and returns
 * every contract by name. Throws with solc's messages when a source does not compile.
 */
export function compileSolidity(sources: Readonly<Record<string, string>>): Record<string, CompiledContract> {
  const input = {
    language: "Solidity",
    sources: Object.fromEntries(Object.entries(sources).map(([file, content]) => [file, { content }])),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.methodIdentifiers"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<
      string,
      Record<
        string,
        { abi: unknown[]; evm: { bytecode: { object: string }; methodIdentifiers: Record<string, string> } }
      >
    >;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const contracts: Record<string, CompiledContract> = {};
  for (const file of Object.values(output.contracts ?? {})) {
    for (const [name, contract] of Object.entries(file)) {
      contracts[name] = {
        abi: contract.abi,
        bytecode: hexToBytes(`0x${contract.evm.bytecode.object}`),
        methodIdentifiers: contract.evm.methodIdentifiers,
      };
    }
  }
  return contracts;
}

/** Intrinsic gas of a transaction's calldata (EIP-2028: 4 per zero byte, 16 per other byte). */
export function calldataGas(calldata: Uint8Array): bigint {
  let gas = 0n;
  for (const b of calldata) gas += b === 0 ? 4n : 16n;
  return gas;
}

/** What one call did. */
export interface EvmCallResult {
  readonly returnValue: Uint8Array;
  /** True when the call reverted or ran out of gas; `returnValue` then holds the revert data. */
  readonly reverted: boolean;
  /** Gas used by the execution alone. */
  readonly executionGas: bigint;
  /** As a transaction: 21,000 + calldata gas + execution gas. */
  readonly transactionGas: bigint;
}

/** Who calls and when. */
export interface EvmCallOptions {
  /** `msg.sender` and `tx.origin`; default the zero address. */
  readonly caller?: Address;
  /** `block.timestamp` in Unix seconds; default 0. */
  readonly timestamp?: bigint;
  /** Default 10,000,000 for calls, 30,000,000 for deployments. */
  readonly gasLimit?: bigint;
}

/**
 * A fresh in-memory EVM (the default hardfork of @ethereumjs/evm): contracts are deployed and called
 * directly, without signatures or blocks beyond the timestamp. Each deployment or call is priced as
 * one transaction: it starts with the access list EIP-2929 gives a transaction (sender, recipient and
 * the precompiles warm, everything else cold), as a real chain does, not with what earlier calls
 * warmed (bare `EVM.runCall` keeps that, and leaves the precompiles cold).
 */
export class InProcessEvm {
  readonly #evm: EVM;

  private constructor(evm: EVM) {
    this.#evm = evm;
  }

  static async create(): Promise<InProcessEvm> {
    return new InProcessEvm(await createEVM());
  }

  /** Deploys creation code (with its ABI-encoded constructor arguments appended); its address and gas. */
  async deploy(
    creationCode: Uint8Array,
    options: EvmCallOptions = {},
  ): Promise<{ address: Address; executionGas: bigint }> {
    await this.#startTransaction(options.caller);
    const r = await this.#evm.runCall({
      data: creationCode,
      gasLimit: options.gasLimit ?? 30_000_000n,
      ...this.#context(options),
    });
    if (r.execResult.exceptionError || !r.createdAddress) {
      throw new Error(`Deployment failed: ${r.execResult.exceptionError?.error}`);
    }
    return { address: r.createdAddress, executionGas: r.execResult.executionGasUsed };
  }

  /** Calls a contract; state changes of a call that did not revert are kept. */
  async call(to: Address, calldata: Uint8Array, options: EvmCallOptions = {}): Promise<EvmCallResult> {
    await this.#startTransaction(options.caller, to);
    const r = await this.#evm.runCall({
      to,
      data: calldata,
      gasLimit: options.gasLimit ?? 10_000_000n,
      ...this.#context(options),
    });
    return {
      returnValue: r.execResult.returnValue,
      reverted: r.execResult.exceptionError !== undefined,
      executionGas: r.execResult.executionGasUsed,
      transactionGas: 21_000n + calldataGas(calldata) + r.execResult.executionGasUsed,
    };
  }

  /** A new transaction's access list: nothing warm but the sender, the recipient and the precompiles. */
  async #startTransaction(caller: Address | undefined, to?: Address): Promise<void> {
    const journal = this.#evm.journal;
    await journal.cleanup();
    journal.addAlwaysWarmAddress((caller ?? createZeroAddress()).toString());
    if (to !== undefined) journal.addAlwaysWarmAddress(to.toString());
    for (const precompile of this.#evm.precompiles.keys()) journal.addAlwaysWarmAddress(precompile);
  }

  #context(options: EvmCallOptions) {
    const caller = options.caller ?? createZeroAddress();
    const timestamp = options.timestamp ?? 0n;
    return {
      caller,
      origin: caller,
      block: {
        header: {
          number: 1n,
          coinbase: createZeroAddress(),
          timestamp,
          difficulty: 0n,
          prevRandao: new Uint8Array(32),
          gasLimit: 30_000_000n,
          baseFeePerGas: 0n,
          getBlobGasPrice: () => undefined,
        },
      },
    };
  }
}

/** An address from a 20-byte hex string (with 0x). */
export function evmAddress(hex: string): Address {
  return createAddressFromString(hex);
}
