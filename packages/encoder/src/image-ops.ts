/**
 * Small image kernels on float images (row-major `Float32Array`, `width * height`). Internal to
 * the encoder; no allocation beyond the returned arrays.
 */

/** A float image. */
export interface FloatImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** Grey bytes to floats. */
export function toFloat(width: number, height: number, data: Uint8Array): FloatImage {
  return { width, height, data: Float32Array.from(data) };
}

/**
 * Separable square minimum (erode) or maximum (dilate) filter of radius `r`, windows truncated
 * at the borders. Van Herk / Gil-Werman: three comparisons per pixel whatever the radius.
 */
export function rankFilter(img: FloatImage, r: number, max: boolean): FloatImage {
  const { width: w, height: h, data } = img;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  const n = Math.max(w, h);
  const k = 2 * r + 1;
  const padded = n + 2 * r;
  const line = new Float32Array(padded);
  const pre = new Float32Array(padded);
  const suf = new Float32Array(padded);
  const fill = max ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const pass = (
    src: Float32Array,
    dst: Float32Array,
    len: number,
    count: number,
    stride: number,
    step: number,
  ) => {
    for (let l = 0; l < count; l++) {
      const base = l * stride;
      line.fill(fill, 0, len + 2 * r);
      for (let i = 0; i < len; i++) line[i + r] = src[base + i * step]!;
      const total = len + 2 * r;
      for (let i = 0; i < total; i++) {
        const v = line[i]!;
        if (i % k === 0) pre[i] = v;
        else {
          const p = pre[i - 1]!;
          pre[i] = max ? Math.max(v, p) : Math.min(v, p);
        }
      }
      for (let i = total - 1; i >= 0; i--) {
        const v = line[i]!;
        if (i === total - 1 || (i + 1) % k === 0) suf[i] = v;
        else {
          const q = suf[i + 1]!;
          suf[i] = max ? Math.max(v, q) : Math.min(v, q);
        }
      }
      for (let i = 0; i < len; i++) {
        // Window [i, i + 2r] in padded coordinates.
        const a = suf[i]!;
        const b = pre[i + 2 * r]!;
        dst[base + i * step] = max ? Math.max(a, b) : Math.min(a, b);
      }
    }
  };
  pass(data, tmp, w, h, w, 1);
  // Columns: a line is a column (elements `w` apart), consecutive lines are 1 apart.
  pass(tmp, out, h, w, 1, w);
  return { width: w, height: h, data: out };
}

/** Straightforward O(r) reference of {@link rankFilter}, for tests. */
export function rankFilterReference(img: FloatImage, r: number, max: boolean): FloatImage {
  const { width: w, height: h, data } = img;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = max ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
          const u = data[yy * w + xx]!;
          if (max ? u > v : u < v) v = u;
        }
      }
      out[y * w + x] = v;
    }
  }
  return { width: w, height: h, data: out };
}

/** Box blur of radius `r` (window `2r+1`), clamped at the borders, via running sums. */
export function boxBlur(img: FloatImage, r: number): FloatImage {
  const { width: w, height: h, data } = img;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += data[row + clamp(k, w)]!;
    for (let x = 0; x < w; x++) {
      tmp[row + x] = sum / (2 * r + 1);
      sum += data[row + clamp(x + r + 1, w)]! - data[row + clamp(x - r, w)]!;
    }
  }
  for (let x = 0; x < w; x++) {
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += tmp[clamp(k, h) * w + x]!;
    for (let y = 0; y < h; y++) {
      out[y * w + x] = sum / (2 * r + 1);
      sum += tmp[clamp(y + r + 1, h) * w + x]! - tmp[clamp(y - r, h) * w + x]!;
    }
  }
  return { width: w, height: h, data: out };
}

function clamp(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/** Bilinear sample with border clamping. */
export function sampleBilinear(img: FloatImage, x: number, y: number): number {
  const { width: w, height: h, data } = img;
  const xc = x < 0 ? 0 : Math.min(x, w - 1);
  const yc = y < 0 ? 0 : Math.min(y, h - 1);
  const x0 = xc | 0;
  const y0 = yc | 0;
  const x1 = x0 + 1 < w ? x0 + 1 : x0;
  const y1 = y0 + 1 < h ? y0 + 1 : y0;
  const fx = xc - x0;
  const fy = yc - y0;
  const a = data[y0 * w + x0]!;
  const b = data[y0 * w + x1]!;
  const c = data[y1 * w + x0]!;
  const d = data[y1 * w + x1]!;
  return a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy;
}

/** Halves an image by 2x2 averaging (odd last row/column dropped). */
export function downsample2(img: FloatImage): FloatImage {
  const w = img.width >> 1;
  const h = img.height >> 1;
  const out = new Float32Array(w * h);
  const s = img.data;
  const W = img.width;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 2 * y * W + 2 * x;
      out[y * w + x] = (s[i]! + s[i + 1]! + s[i + W]! + s[i + W + 1]!) / 4;
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * The grey level (0..255) below which `fraction` of `values` lie: the first level whose
 * cumulative histogram count reaches `fraction * values.length` (values rounded and clamped).
 */
export function greyPercentile(values: ArrayLike<number>, fraction: number): number {
  const hist = new Uint32Array(256);
  for (let i = 0; i < values.length; i++) hist[Math.max(0, Math.min(255, Math.round(values[i]!)))]!++;
  const target = fraction * values.length;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc >= target) return v;
  }
  return 255;
}

/** Median of a numeric array (copies). NaN for an empty array. */
export function median(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  const a = Float64Array.from(values as ArrayLike<number>).sort();
  const m = a.length >> 1;
  return a.length % 2 ? a[m]! : (a[m - 1]! + a[m]!) / 2;
}

/** Least-squares circle through points (Kasa fit). Undefined when degenerate. */
export function fitCircle(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
): { cx: number; cy: number; r: number } | undefined {
  const n = xs.length;
  if (n < 3) return undefined;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let suu = 0;
  let svv = 0;
  let suv = 0;
  let suuu = 0;
  let svvv = 0;
  let suvv = 0;
  let svuu = 0;
  for (let i = 0; i < n; i++) {
    const u = xs[i]! - mx;
    const v = ys[i]! - my;
    suu += u * u;
    svv += v * v;
    suv += u * v;
    suuu += u * u * u;
    svvv += v * v * v;
    suvv += u * v * v;
    svuu += v * u * u;
  }
  const det = suu * svv - suv * suv;
  if (Math.abs(det) < 1e-9) return undefined;
  const b1 = (suuu + suvv) / 2;
  const b2 = (svvv + svuu) / 2;
  const uc = (b1 * svv - b2 * suv) / det;
  const vc = (suu * b2 - suv * b1) / det;
  const r = Math.sqrt(uc * uc + vc * vc + (suu + svv) / n);
  return { cx: uc + mx, cy: vc + my, r };
}

/** Solves a small dense linear system in place (Gaussian elimination, partial pivoting). */
export function solveLinear(a: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  for (let i = 0; i < n; i++) {
    let p = i;
    for (let r = i + 1; r < n; r++) if (Math.abs(a[r]![i]!) > Math.abs(a[p]![i]!)) p = r;
    if (Math.abs(a[p]![i]!) < 1e-12) return undefined;
    [a[i], a[p]] = [a[p]!, a[i]!];
    [b[i], b[p]] = [b[p]!, b[i]!];
    for (let r = i + 1; r < n; r++) {
      const f = a[r]![i]! / a[i]![i]!;
      for (let c = i; c < n; c++) a[r]![c]! -= f * a[i]![c]!;
      b[r]! -= f * b[i]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let c = i + 1; c < n; c++) s -= a[i]![c]! * x[c]!;
    x[i] = s / a[i]![i]!;
  }
  return x;
}

/**
 * Least-squares conic `A x^2 + B xy + C y^2 + D x + E y = 1` through points given relative to an
 * origin near their centre; returns the coefficients when the conic is an ellipse.
 */
export function fitEllipseConic(xs: ArrayLike<number>, ys: ArrayLike<number>): number[] | undefined {
  const n = xs.length;
  if (n < 6) return undefined;
  const m = [0, 1, 2, 3, 4].map(() => [0, 0, 0, 0, 0]);
  const v = [0, 0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    const row = [x * x, x * y, y * y, x, y];
    for (let r = 0; r < 5; r++) {
      v[r]! += row[r]!;
      for (let c = 0; c < 5; c++) m[r]![c]! += row[r]! * row[c]!;
    }
  }
  const k = solveLinear(m, v);
  if (!k) return undefined;
  const [A, B, C] = k as [number, number, number];
  if (!(4 * A * C - B * B > 0 && A > 0)) return undefined;
  return k;
}

/** Squared Euclidean distance transform of one line (Felzenszwalb and Huttenlocher). */
function edt1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = Number.NEGATIVE_INFINITY;
  z[1] = Number.POSITIVE_INFINITY;
  for (let q = 1; q < n; q++) {
    let s = (f[q]! + q * q - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!);
    while (s <= z[k]!) {
      k--;
      s = (f[q]! + q * q - (f[v[k]!]! + v[k]! * v[k]!)) / (2 * q - 2 * v[k]!);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Number.POSITIVE_INFINITY;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1]! < q) k++;
    d[q] = (q - v[k]!) ** 2 + f[v[k]!]!;
  }
}

/**
 * Squared distance from every pixel inside `inside` to the nearest pixel outside it (the frame
 * border counts as outside), exact Euclidean.
 */
export function squaredDistanceTransform(inside: Uint8Array, w: number, h: number): Float64Array {
  const INF = 1e12;
  const out = new Float64Array(w * h);
  const n = Math.max(w, h) + 2;
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  // Columns, padded by an outside pixel at both ends.
  for (let x = 0; x < w; x++) {
    f[0] = 0;
    for (let y = 0; y < h; y++) f[y + 1] = inside[y * w + x] ? INF : 0;
    f[h + 1] = 0;
    edt1d(f, h + 2, d, v, z);
    for (let y = 0; y < h; y++) out[y * w + x] = d[y + 1]!;
  }
  for (let y = 0; y < h; y++) {
    f[0] = 0;
    for (let x = 0; x < w; x++) f[x + 1] = out[y * w + x]!;
    f[w + 1] = 0;
    edt1d(f, w + 2, d, v, z);
    for (let x = 0; x < w; x++) out[y * w + x] = d[x + 1]!;
  }
  return out;
}
