pragma circom 2.1.0;

// Checks, with circomlib, what @zkiris/device produces: an EdDSA-Poseidon signature of a device
// over a message, and the device's inclusion in the depth-10 Poseidon2 registry tree.
include "circomlib/circuits/eddsaposeidon.circom";
include "circomlib/circuits/poseidon.circom";

template DeviceAttestation(DEPTH) {
    signal input Ax;
    signal input Ay;
    signal input R8x;
    signal input R8y;
    signal input S;
    signal input M;
    signal input siblings[DEPTH];
    signal input pathIndices[DEPTH];
    signal output root;

    component verifier = EdDSAPoseidonVerifier();
    verifier.enabled <== 1;
    verifier.Ax <== Ax;
    verifier.Ay <== Ay;
    verifier.R8x <== R8x;
    verifier.R8y <== R8y;
    verifier.S <== S;
    verifier.M <== M;

    component leaf = Poseidon(2);
    leaf.inputs[0] <== Ax;
    leaf.inputs[1] <== Ay;

    signal nodes[DEPTH + 1];
    signal swap[DEPTH];
    component hashers[DEPTH];
    nodes[0] <== leaf.out;
    for (var i = 0; i < DEPTH; i++) {
        pathIndices[i] * (1 - pathIndices[i]) === 0;
        swap[i] <== pathIndices[i] * (siblings[i] - nodes[i]);
        hashers[i] = Poseidon(2);
        hashers[i].inputs[0] <== nodes[i] + swap[i];
        hashers[i].inputs[1] <== siblings[i] - swap[i];
        nodes[i + 1] <== hashers[i].out;
    }
    root <== nodes[DEPTH];
}

component main = DeviceAttestation(10);
