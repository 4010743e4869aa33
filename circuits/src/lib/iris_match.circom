pragma circom 2.1.6;

// zkiris match circuit: a device-signed iris probe, cyclically shifted by a private s in [-K, K],
// is within the profile's threshold of a template committed as Ct, with at least MIN_USABLE
// jointly usable bits. Mirrors packages/iris-code/src (packFieldElements, hashFieldElements,
// templateCommitment, probeCommitment, captureMessage, shiftColumns, isMatchResult) exactly.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/eddsaposeidon.circom";

// Number of bits needed to write x (x >= 0).
function bitLength(x) {
    var n = 0;
    while (x > 0) {
        n++;
        x = x \ 2;
    }
    return n;
}

// hashFieldElements: Poseidon(list) for at most 16 elements, otherwise chunks of 16 hashed and
// the chunk hashes hashed again (two levels, so at most 256 elements).
template HashFieldElements(n) {
    assert(n >= 1);
    assert(n <= 256);
    signal input in[n];
    signal output out;
    if (n <= 16) {
        component h = Poseidon(n);
        for (var i = 0; i < n; i++) h.inputs[i] <== in[i];
        out <== h.out;
    } else {
        var chunks = (n + 15) \ 16;
        component chunk[chunks];
        for (var c = 0; c < chunks; c++) {
            var size = n - c * 16 < 16 ? n - c * 16 : 16;
            chunk[c] = Poseidon(size);
            for (var i = 0; i < size; i++) chunk[c].inputs[i] <== in[c * 16 + i];
        }
        component top = Poseidon(chunks);
        for (var c = 0; c < chunks; c++) top.inputs[c] <== chunk[c].out;
        out <== top.out;
    }
}

// Packs each row of L bits, first bit most significant: row = sum_j bit[r*L + j] * 2^(L-1-j).
// Linear (no constraints of its own); the caller constrains the bits to be binary.
template PackRows(ROWS, L) {
    assert(L <= 248);
    signal input bits[ROWS * L];
    signal output rows[ROWS];
    for (var r = 0; r < ROWS; r++) {
        var acc = 0;
        for (var j = 0; j < L; j++) acc += bits[r * L + j] * (1 << (L - 1 - j));
        rows[r] <== acc;
    }
}

// The shift s in [-K, K] given as a field element (negative s as p - |s|). One-hot over the
// 2K+1 allowed values: any other value leaves no selector set and fails `sum === 1`.
// Outputs the rotation factor 2^k with k = |s|*P, the sign bit, and for each i < K*P whether
// s > 0 and i < k (`leftBitUsed`: the i-th last bit of a row is part of the rotation quotient of a
// left rotation) or s < 0 and i < k (`rightBitUsed`: the i-th first bit is, for a right rotation).
template ShiftSelector(K, P) {
    signal input shift;
    signal output factor;
    signal output negative;
    signal output leftBitUsed[K * P];
    signal output rightBitUsed[K * P];
    component eq[2 * K + 1];
    var sum = 0;
    var factorAcc = 0;
    var negAcc = 0;
    for (var j = 0; j <= 2 * K; j++) {
        eq[j] = IsEqual();
        eq[j].in[0] <== shift;
        eq[j].in[1] <== j - K;
        sum += eq[j].out;
        var a = j < K ? K - j : j - K;
        factorAcc += eq[j].out * (1 << (a * P));
        if (j < K) negAcc += eq[j].out;
    }
    sum === 1;
    factor <== factorAcc;
    negative <== negAcc;
    for (var i = 0; i < K * P; i++) {
        var left = 0;
        var right = 0;
        for (var j = 0; j <= 2 * K; j++) {
            var a = j < K ? K - j : j - K;
            if (i < a * P) {
                if (j < K) right += eq[j].out;
                else left += eq[j].out;
            }
        }
        leftBitUsed[i] <== left;
        rightBitUsed[i] <== right;
    }
}

// Cyclic rotation of an L-bit row by k = |s|*P bits as arithmetic modulo 2^L - 1:
//   s >= 0 (rotate left):  R  * 2^k = R' + q * (2^L - 1)
//   s <  0 (rotate right): R' * 2^k = R  + q * (2^L - 1)
// R is the signed row (pinned by the device signature), R' the packing of the shifted bits
// (binary: the caller constrains them). The quotient is not free: it is the value of the k bits
// that wrap around, read from the shifted bits themselves, q = R' mod 2^k (s >= 0: the last k
// bits) or q = floor(R' / 2^(L-k)) (s < 0: the first k bits, taken at their place value
// R'_top = q * 2^(L-k), so q * 2^L = R'_top * 2^k). With q exact, each equation has exactly one
// solution R, the integer rotation of R', so R < 2^L: a signed row of 2^L or more (which an
// equation with a merely range-checked q accepts for s != 0) has no witness. It also excludes the
// all-zeros/all-ones ambiguity of the modulus. Needs L + K*P <= 252 so no product wraps the field.
template RotateRow(L, KP) {
    assert(KP < L);
    assert(L + KP <= 252);
    signal input row;
    signal input rotatedBits[L];
    signal input quotient;
    signal input factor;
    signal input negative;
    signal input leftBitUsed[KP];
    signal input rightBitUsed[KP];
    var rotated = 0;
    for (var j = 0; j < L; j++) rotated += rotatedBits[j] * (1 << (L - 1 - j));
    signal wrapLow[KP];
    signal wrapHigh[KP];
    var qLeft = 0;
    var topRight = 0;
    for (var i = 0; i < KP; i++) {
        wrapLow[i] <== leftBitUsed[i] * rotatedBits[L - 1 - i];
        qLeft += wrapLow[i] * (1 << i);
        wrapHigh[i] <== rightBitUsed[i] * rotatedBits[i];
        topRight += wrapHigh[i] * (1 << (L - 1 - i));
    }
    quotient * (1 << L) === qLeft * (1 << L) + topRight * factor;
    // A = negative ? R' : R, B = negative ? R : R'
    signal swap <== negative * (rotated - row);
    (row + swap) * factor === (rotated - swap) + quotient * ((1 << L) - 1);
}

// Edwards addition on Baby Jubjub (a = 168700, d = 168696) for the witness generator only.
function babyAddVar(x1, y1, x2, y2) {
    var a = 168700;
    var d = 168696;
    var t = d * x1 * x2 * y1 * y2;
    var r[2];
    r[0] = (x1 * y2 + y1 * x2) / (1 + t);
    r[1] = (y1 * y2 - a * x1 * x2) / (1 - t);
    return r;
}

// e * (x, y) by double-and-add, for the witness generator only (e < 2^252).
function babyMulVar(x, y, e) {
    var r[2] = [0, 1];
    var p[2] = [x, y];
    var n = e;
    while (n > 0) {
        if (n % 2 == 1) r = babyAddVar(r[0], r[1], p[0], p[1]);
        p = babyAddVar(p[0], p[1], p[0], p[1]);
        n = n \ 2;
    }
    return r;
}

// (x, y) lies in the prime-order subgroup of Baby Jubjub (order l, the group has order 8 * l):
// it is 8 * B for a point B on the curve, because 8 * E = the order-l subgroup. The witness
// generator computes B = (8^-1 mod l) * (x, y); for a point with a small-order component (or off
// the curve) 8 * B differs from it and the last two constraints fail. 21 constraints: BabyCheck
// (3) and three BabyDbl (6 each). The identity (0, 1) passes; EdDSAPoseidonVerifier refuses it.
template InPrimeOrderSubgroup() {
    signal input x;
    signal input y;
    var b[2] = babyMulVar(x, y, 2394026564107420727433200628387514462817212225638746351800188703329891451411);
    signal bx <-- b[0];
    signal by <-- b[1];
    component onCurve = BabyCheck();
    onCurve.x <== bx;
    onCurve.y <== by;
    component dbl1 = BabyDbl();
    dbl1.x <== bx;
    dbl1.y <== by;
    component dbl2 = BabyDbl();
    dbl2.x <== dbl1.xout;
    dbl2.y <== dbl1.yout;
    component dbl3 = BabyDbl();
    dbl3.x <== dbl2.xout;
    dbl3.y <== dbl2.yout;
    dbl3.xout === x;
    dbl3.yout === y;
}

// Merkle inclusion in an incremental binary tree hashed with Poseidon2 (@zk-kit/imt):
// pathIndices[i] = 0 when the node at level i is a left child.
template DeviceTreeInclusion(DEPTH) {
    signal input leaf;
    signal input siblings[DEPTH];
    signal input pathIndices[DEPTH];
    signal output root;
    component hashers[DEPTH];
    signal nodes[DEPTH + 1];
    signal leftSwap[DEPTH];
    nodes[0] <== leaf;
    for (var i = 0; i < DEPTH; i++) {
        pathIndices[i] * (1 - pathIndices[i]) === 0;
        leftSwap[i] <== pathIndices[i] * (siblings[i] - nodes[i]);
        hashers[i] = Poseidon(2);
        hashers[i].inputs[0] <== nodes[i] + leftSwap[i];
        hashers[i].inputs[1] <== siblings[i] - leftSwap[i];
        nodes[i + 1] <== hashers[i].out;
    }
    root <== nodes[DEPTH];
}

// Masked Hamming comparison of template (t, mt) and shifted probe (p', mp'), bit by bit:
// binary checks (4), m = mt*mp', t*p', d = m*(t xor p') (3): 7 constraints per bit.
template MaskedHamming(N) {
    signal input templateBits[N];
    signal input templateMask[N];
    signal input probeBits[N];
    signal input probeMask[N];
    signal output usable;
    signal output differing;
    signal joint[N];
    signal both[N];
    signal diff[N];
    var u = 0;
    var d = 0;
    for (var i = 0; i < N; i++) {
        templateBits[i] * (templateBits[i] - 1) === 0;
        templateMask[i] * (templateMask[i] - 1) === 0;
        probeBits[i] * (probeBits[i] - 1) === 0;
        probeMask[i] * (probeMask[i] - 1) === 0;
        joint[i] <== templateMask[i] * probeMask[i];
        both[i] <== templateBits[i] * probeBits[i];
        diff[i] <== joint[i] * (templateBits[i] + probeBits[i] - 2 * both[i]);
        u += joint[i];
        d += diff[i];
    }
    usable <== u;
    differing <== d;
}

// The match circuit. Public: templateCommitment (Ct), challenge, deviceRoot. The profile
// (ROWS x COLS x P, K, THRESHOLD per 10000, MIN_USABLE) and the device tree depth are compiled in.
template IrisMatch(ROWS, COLS, P, K, THRESHOLD, MIN_USABLE, DEPTH) {
    var L = COLS * P;
    var KP = K * P;
    var N = ROWS * L;
    assert(L <= 248);
    assert(L + KP <= 252);
    assert(K >= 1);
    assert(2 * K < COLS);

    signal input templateCommitment;
    signal input challenge;
    signal input deviceRoot;

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
    signal input deviceSiblings[DEPTH];
    signal input devicePathIndices[DEPTH];

    // 1. Template opens Ct = Poseidon3(hash(bitRows), hash(maskRows), salt).
    component tBitRows = PackRows(ROWS, L);
    component tMaskRows = PackRows(ROWS, L);
    tBitRows.bits <== templateBits;
    tMaskRows.bits <== templateMask;
    component tBitHash = HashFieldElements(ROWS);
    component tMaskHash = HashFieldElements(ROWS);
    tBitHash.in <== tBitRows.rows;
    tMaskHash.in <== tMaskRows.rows;
    component ct = Poseidon(3);
    ct.inputs[0] <== tBitHash.out;
    ct.inputs[1] <== tMaskHash.out;
    ct.inputs[2] <== salt;
    ct.out === templateCommitment;

    // 2. The device signed M = Poseidon2(Poseidon2(hash(probeBitRows), hash(probeMaskRows)), challenge).
    component pBitHash = HashFieldElements(ROWS);
    component pMaskHash = HashFieldElements(ROWS);
    pBitHash.in <== probeBitRows;
    pMaskHash.in <== probeMaskRows;
    component cp = Poseidon(2);
    cp.inputs[0] <== pBitHash.out;
    cp.inputs[1] <== pMaskHash.out;
    component message = Poseidon(2);
    message.inputs[0] <== cp.out;
    message.inputs[1] <== challenge;
    // The key is in the prime-order subgroup: no torsion aliases of a device key (see circuits/README.md).
    component primeOrderKey = InPrimeOrderSubgroup();
    primeOrderKey.x <== deviceAx;
    primeOrderKey.y <== deviceAy;
    component signature = EdDSAPoseidonVerifier();
    signature.enabled <== 1;
    signature.Ax <== deviceAx;
    signature.Ay <== deviceAy;
    signature.S <== signatureS;
    signature.R8x <== signatureR8x;
    signature.R8y <== signatureR8y;
    signature.M <== message.out;

    // 3. The device is in the registry: leaf = Poseidon2(Ax, Ay).
    component leaf = Poseidon(2);
    leaf.inputs[0] <== deviceAx;
    leaf.inputs[1] <== deviceAy;
    component tree = DeviceTreeInclusion(DEPTH);
    tree.leaf <== leaf.out;
    tree.siblings <== deviceSiblings;
    tree.pathIndices <== devicePathIndices;
    tree.root === deviceRoot;

    // 4. The shifted probe is the signed probe rotated by s columns, row by row; this also
    // range-checks every signed row to [0, 2^L) (see RotateRow).
    component selector = ShiftSelector(K, P);
    selector.shift <== shift;
    component rotateBits[ROWS];
    component rotateMask[ROWS];
    for (var r = 0; r < ROWS; r++) {
        rotateBits[r] = RotateRow(L, KP);
        rotateBits[r].row <== probeBitRows[r];
        for (var j = 0; j < L; j++) rotateBits[r].rotatedBits[j] <== shiftedBits[r * L + j];
        rotateBits[r].quotient <== bitQuotients[r];
        rotateBits[r].factor <== selector.factor;
        rotateBits[r].negative <== selector.negative;
        rotateBits[r].leftBitUsed <== selector.leftBitUsed;
        rotateBits[r].rightBitUsed <== selector.rightBitUsed;
        rotateMask[r] = RotateRow(L, KP);
        rotateMask[r].row <== probeMaskRows[r];
        for (var j = 0; j < L; j++) rotateMask[r].rotatedBits[j] <== shiftedMask[r * L + j];
        rotateMask[r].quotient <== maskQuotients[r];
        rotateMask[r].factor <== selector.factor;
        rotateMask[r].negative <== selector.negative;
        rotateMask[r].leftBitUsed <== selector.leftBitUsed;
        rotateMask[r].rightBitUsed <== selector.rightBitUsed;
    }

    // 5. Distance and decision: u >= MIN_USABLE and d * 10000 <= THRESHOLD * u.
    component hamming = MaskedHamming(N);
    hamming.templateBits <== templateBits;
    hamming.templateMask <== templateMask;
    hamming.probeBits <== shiftedBits;
    hamming.probeMask <== shiftedMask;
    component enoughUsable = GreaterEqThan(bitLength(N) + 1);
    enoughUsable.in[0] <== hamming.usable;
    enoughUsable.in[1] <== MIN_USABLE;
    enoughUsable.out === 1;
    component withinThreshold = LessEqThan(bitLength(N * 10000) + 1);
    withinThreshold.in[0] <== hamming.differing * 10000;
    withinThreshold.in[1] <== hamming.usable * THRESHOLD;
    withinThreshold.out === 1;
}
