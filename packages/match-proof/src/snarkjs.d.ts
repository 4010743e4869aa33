// Minimal typings of the parts of snarkjs 0.7 this package uses (snarkjs ships no types).
declare module "snarkjs" {
  /** A Groth16 proof as snarkjs writes it: affine coordinates as decimal strings. */
  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export const groth16: {
    prove(
      zkey: Uint8Array | string,
      witness: Uint8Array | string,
      logger?: unknown,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    fullProve(
      input: Record<string, unknown>,
      wasm: Uint8Array | string,
      zkey: Uint8Array | string,
      logger?: unknown,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(vkey: unknown, publicSignals: string[], proof: Groth16Proof, logger?: unknown): Promise<boolean>;
    exportSolidityCallData(proof: Groth16Proof, publicSignals: string[]): Promise<string>;
  };
  export const wtns: {
    calculate(
      input: Record<string, unknown>,
      wasm: Uint8Array | string,
      out: { type: "mem"; data?: Uint8Array } | string,
    ): Promise<void>;
    check(r1cs: string, wtns: string, logger?: unknown): Promise<boolean>;
  };
  export const zKey: {
    exportVerificationKey(zkey: Uint8Array | string): Promise<Record<string, unknown>>;
    exportSolidityVerifier(
      zkey: Uint8Array | string,
      templates: Record<string, string>,
      logger?: unknown,
    ): Promise<string>;
  };
  export const r1cs: {
    info(
      file: string,
      logger?: unknown,
    ): Promise<{ nConstraints: number; nPubInputs: number; nPrvInputs: number; nVars: number }>;
  };
}
