pragma circom 2.1.6;

// zkiris liveness-bound Semaphore vote: one Groth16 statement that
//   (a) the leaf Poseidon2(identityCommitment, templateCommitment) is in the group (LeanIMT root,
//       the tree @semaphore-protocol/group builds, through zk-kit's BinaryMerkleRoot);
//   (b) the prover knows the Semaphore secret scalar behind identityCommitment (as semaphore.circom);
//   (c) nullifier = Poseidon2(scope, secret) and the message is bound, exactly as Semaphore does;
//   (d) a capture that a registered device signed for captureChallenge = Poseidon2(scope, challenge)
//       matches the committed template (the IrisMatch statement, included as a component).
// templateCommitment, the identity, the codes, the shift and the device stay private.

include "circomlib/circuits/babyjub.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/poseidon.circom";
include "@zk-kit/binary-merkle-root.circom/src/binary-merkle-root.circom";
include "iris_match.circom";

// Public: message, scope (both as Semaphore's proof hashes them), challenge (the poll's liveness
// challenge), deviceRoot; outputs merkleRoot and nullifier. The iris profile, MAX_DEPTH and the
// device tree depth are compiled in.
template LivenessVote(MAX_DEPTH, ROWS, COLS, P, K, THRESHOLD, MIN_USABLE, DEVICE_DEPTH) {
    var N = ROWS * COLS * P;

    // Semaphore part (same names and meaning as semaphore.circom).
    signal input secret;
    signal input merkleProofLength, merkleProofIndex, merkleProofSiblings[MAX_DEPTH];
    signal input message;
    signal input scope;
    // Liveness part.
    signal input challenge;
    signal input deviceRoot;
    signal input templateCommitment;
    // The match witness, as IrisMatch takes it.
    signal input templateBits[N];
    signal input templateMask[N];
    signal input salt;
    signal input probeBitRows[ROWS];
    signal input probeMaskRows[ROWS];
    signal input shift;
    signal input shiftedBits[N];
    signal input shiftedMask[N];
    signal input bitQuotients[ROWS];
    signal input maskQuotients[ROWS];
    signal input deviceAx;
    signal input deviceAy;
    signal input signatureR8x;
    signal input signatureR8y;
    signal input signatureS;
    signal input deviceSiblings[DEVICE_DEPTH];
    signal input devicePathIndices[DEVICE_DEPTH];

    signal output merkleRoot, nullifier;

    // (b) The secret scalar is below the BabyJubJub subgroup order l, and its public key hashes
    // to the identity commitment (as semaphore.circom).
    var l = 2736030358979909402780800718157159386076813972158567259200215660948447373041;
    component secretInRange = LessThan(251);
    secretInRange.in <== [secret, l];
    secretInRange.out === 1;
    var Ax, Ay;
    (Ax, Ay) = BabyPbk()(secret);
    signal identityCommitment <== Poseidon(2)([Ax, Ay]);

    // (a) Membership of the biometric leaf. BinaryMerkleRoot returns 0 for a length over
    // MAX_DEPTH; a LeanIMT root is never 0, and the verifier checks the root is the group's.
    signal leaf <== Poseidon(2)([identityCommitment, templateCommitment]);
    merkleRoot <== BinaryMerkleRoot(MAX_DEPTH)(leaf, merkleProofLength, merkleProofIndex, merkleProofSiblings);

    // (c) Nullifier and message, as semaphore.circom.
    nullifier <== Poseidon(2)([scope, secret]);
    signal messageSquare <== message * message;

    // (d) The device signed the capture for this poll: the challenge it signed is derived from the
    // poll's scope and the poll's public challenge, so a capture made for another poll (another
    // scope) or another challenge does not verify, whatever the verifier reuses.
    signal captureChallenge <== Poseidon(2)([scope, challenge]);
    component match = IrisMatch(ROWS, COLS, P, K, THRESHOLD, MIN_USABLE, DEVICE_DEPTH);
    match.templateCommitment <== templateCommitment;
    match.challenge <== captureChallenge;
    match.deviceRoot <== deviceRoot;
    match.templateBits <== templateBits;
    match.templateMask <== templateMask;
    match.salt <== salt;
    match.probeBitRows <== probeBitRows;
    match.probeMaskRows <== probeMaskRows;
    match.shift <== shift;
    match.shiftedBits <== shiftedBits;
    match.shiftedMask <== shiftedMask;
    match.bitQuotients <== bitQuotients;
    match.maskQuotients <== maskQuotients;
    match.deviceAx <== deviceAx;
    match.deviceAy <== deviceAy;
    match.signatureR8x <== signatureR8x;
    match.signatureR8y <== signatureR8y;
    match.signatureS <== signatureS;
    match.deviceSiblings <== deviceSiblings;
    match.devicePathIndices <== devicePathIndices;
}
