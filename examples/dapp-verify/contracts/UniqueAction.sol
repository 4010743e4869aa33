// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// The Groth16 verifier of the liveness-vote circuit, as exported by snarkjs
/// (circuits/artifacts/liveness_vote/Verifier.sol).
interface ILivenessVoteVerifier {
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[6] calldata pubSignals
    ) external view returns (bool);
}

/// A Groth16 verifier of Semaphore v4's circuit for one tree depth, exported by snarkjs from the
/// proving key of the npm package zk-kit semaphore-artifacts (public signals: root, nullifier,
/// hash(message), hash(scope)).
interface ISemaphoreGroth16Verifier {
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata pubSignals
    ) external view returns (bool);
}

/// One action per unique human: accepts a zkiris liveness-bound proof (member of the registry's
/// biometric group, holder of the identity, a fresh device-signed capture matching the enrolled
/// template), or a plain Semaphore proof of the registry's plain group, once per nullifier and
/// action scope. An identity has the same nullifier for a scope in both kinds of proof.
///
/// What the zkiris registry publishes off-chain (group roots, device-registry roots) and the action
/// challenges the dApp issues reach the contract through its owner, each with the Unix second until
/// which it is accepted (type(uint64).max: no end yet).
contract UniqueAction {
    /// A liveness-bound proof: its public values as the prover reports them (message and scope
    /// unhashed) and the Groth16 points in the verifier's order (pA, pB with each pair swapped, pC).
    struct LivenessProof {
        uint256 merkleTreeRoot;
        uint256 nullifier;
        uint256 message;
        uint256 scope;
        uint256 challenge;
        uint256 deviceRoot;
        uint256[8] points;
    }

    /// A Semaphore v4 proof as Semaphore's proof package makes it (points already in the verifier's order).
    struct SemaphoreProof {
        uint256 merkleTreeDepth;
        uint256 merkleTreeRoot;
        uint256 nullifier;
        uint256 message;
        uint256 scope;
        uint256[8] points;
    }

    ILivenessVoteVerifier public immutable verifier;
    address public immutable owner;

    mapping(uint256 root => uint64 validUntil) public groupRoots;
    mapping(uint256 root => uint64 validUntil) public deviceRoots;
    mapping(uint256 scope => mapping(uint256 challenge => uint64 validUntil)) public challenges;
    mapping(uint256 scope => mapping(uint256 nullifier => bool)) public nullifierUsed;
    mapping(uint256 root => uint64 validUntil) public plainGroupRoots;
    mapping(uint256 depth => ISemaphoreGroth16Verifier) public semaphoreVerifiers;

    event GroupRootPublished(uint256 indexed root, uint64 validUntil);
    event DeviceRootPublished(uint256 indexed root, uint64 validUntil);
    event ChallengePublished(uint256 indexed scope, uint256 challenge, uint64 validUntil);
    event PlainGroupRootPublished(uint256 indexed root, uint64 validUntil);
    event SemaphoreVerifierSet(uint256 indexed depth, address verifier);
    event ActionPerformed(uint256 indexed scope, uint256 nullifier, uint256 message);

    error NotOwner();
    error WrongScope(uint256 expected, uint256 proved);
    error UnknownRoot(uint256 root);
    error StaleRoot(uint256 root, uint64 validUntil);
    error UnknownDeviceRoot(uint256 root);
    error StaleDeviceRoot(uint256 root, uint64 validUntil);
    error UnknownChallenge(uint256 challenge);
    error ChallengeExpired(uint256 challenge, uint64 validUntil);
    error NullifierUsed(uint256 nullifier);
    error InvalidProof();
    error UnsupportedDepth(uint256 depth);

    constructor(ILivenessVoteVerifier verifier_) {
        verifier = verifier_;
        owner = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    function publishGroupRoot(uint256 root, uint64 validUntil) external onlyOwner {
        groupRoots[root] = validUntil;
        emit GroupRootPublished(root, validUntil);
    }

    function publishDeviceRoot(uint256 root, uint64 validUntil) external onlyOwner {
        deviceRoots[root] = validUntil;
        emit DeviceRootPublished(root, validUntil);
    }

    function publishChallenge(uint256 scope, uint256 challenge, uint64 validUntil) external onlyOwner {
        challenges[scope][challenge] = validUntil;
        emit ChallengePublished(scope, challenge, validUntil);
    }

    function publishPlainGroupRoot(uint256 root, uint64 validUntil) external onlyOwner {
        plainGroupRoots[root] = validUntil;
        emit PlainGroupRootPublished(root, validUntil);
    }

    function setSemaphoreVerifier(uint256 depth, ISemaphoreGroth16Verifier verifier_) external onlyOwner {
        semaphoreVerifiers[depth] = verifier_;
        emit SemaphoreVerifierSet(depth, address(verifier_));
    }

    /// Performs the action `scope` once for the unique human behind `proof`; reverts with the first
    /// check that fails, the SNARK last (the cheap checks cost a failing caller little).
    function performAction(uint256 scope, LivenessProof calldata proof) external {
        if (proof.scope != scope) revert WrongScope(scope, proof.scope);
        uint64 rootUntil = groupRoots[proof.merkleTreeRoot];
        if (rootUntil == 0) revert UnknownRoot(proof.merkleTreeRoot);
        if (block.timestamp > rootUntil) revert StaleRoot(proof.merkleTreeRoot, rootUntil);
        uint64 challengeUntil = challenges[scope][proof.challenge];
        if (challengeUntil == 0) revert UnknownChallenge(proof.challenge);
        if (block.timestamp > challengeUntil) revert ChallengeExpired(proof.challenge, challengeUntil);
        uint64 deviceUntil = deviceRoots[proof.deviceRoot];
        if (deviceUntil == 0) revert UnknownDeviceRoot(proof.deviceRoot);
        if (block.timestamp > deviceUntil) revert StaleDeviceRoot(proof.deviceRoot, deviceUntil);
        if (nullifierUsed[scope][proof.nullifier]) revert NullifierUsed(proof.nullifier);

        uint256[6] memory signals = [
            proof.merkleTreeRoot,
            proof.nullifier,
            _hash(proof.message),
            _hash(proof.scope),
            proof.challenge,
            proof.deviceRoot
        ];
        uint256[8] calldata p = proof.points;
        if (!verifier.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], signals)) {
            revert InvalidProof();
        }
        nullifierUsed[scope][proof.nullifier] = true;
        emit ActionPerformed(scope, proof.nullifier, proof.message);
    }

    /// Performs the action `scope` once for the member of the plain group behind `proof`, with the
    /// verifier of its tree depth; reverts like {performAction}, and with `UnsupportedDepth` when no
    /// verifier is set for the depth.
    function performPlainAction(uint256 scope, SemaphoreProof calldata proof) external {
        if (proof.scope != scope) revert WrongScope(scope, proof.scope);
        uint64 rootUntil = plainGroupRoots[proof.merkleTreeRoot];
        if (rootUntil == 0) revert UnknownRoot(proof.merkleTreeRoot);
        if (block.timestamp > rootUntil) revert StaleRoot(proof.merkleTreeRoot, rootUntil);
        if (nullifierUsed[scope][proof.nullifier]) revert NullifierUsed(proof.nullifier);
        ISemaphoreGroth16Verifier depthVerifier = semaphoreVerifiers[proof.merkleTreeDepth];
        if (address(depthVerifier) == address(0)) revert UnsupportedDepth(proof.merkleTreeDepth);

        uint256[4] memory signals = [proof.merkleTreeRoot, proof.nullifier, _hash(proof.message), _hash(proof.scope)];
        uint256[8] calldata p = proof.points;
        if (!depthVerifier.verifyProof([p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], signals)) {
            revert InvalidProof();
        }
        nullifierUsed[scope][proof.nullifier] = true;
        emit ActionPerformed(scope, proof.nullifier, proof.message);
    }

    /// Semaphore's hash of a message or scope into the field: keccak256 of its 32 bytes, shifted right by 8.
    function _hash(uint256 value) private pure returns (uint256) {
        return uint256(keccak256(abi.encodePacked(value))) >> 8;
    }
}
