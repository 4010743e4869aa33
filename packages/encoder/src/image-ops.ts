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

/** Images up to this many pixels reuse module-level work buffers (larger ones allocate their own). */
const POOLED_PIXELS = 1 << 20;
const pool = new Map<string, Float32Array>();

/** A work buffer of at least `n` floats with arbitrary contents; every caller writes before reading. */
function workBuffer(key: string, n: number): Float32Array {
  if (n > POOLED_PIXELS) return new Float32Array(n);
  let a = pool.get(key);
  if (a === undefined || a.length < n) {
    a = new Float32Array(n);
    pool.set(key, a);
  }
  return a;
}

/** Grey bytes to floats. */
export function toFloat(width: number, height: number, data: Uint8Array): FloatImage {
  return { width, height, data: new Float32Array(data) };
}

/**
 * Separable square minimum (erode) or maximum (dilate) filter of radius `r`, windows truncated
 * at the borders. Van Herk / Gil-Werman: three comparisons per pixel whatever the radius. Both
 * passes run along rows (the vertical one on whole rows at a time), so memory is read in order.
 */
export function rankFilter(img: FloatImage, r: number, max: boolean): FloatImage {
  const { width: w, height: h, data } = img;
  if (r <= 0) return { width: w, height: h, data: data.slice() };
  const tmp = workBuffer("rank.tmp", w * h);
  const out = new Float32Array(w * h);
  const k = 2 * r + 1;
  const fill = max ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  // Horizontal: one padded line at a time; block prefix and suffix extrema, a window is the
  // suffix of its first block and the prefix of its last.
  const total = w + 2 * r;
  const line = new Float32Array(total);
  const pre = new Float32Array(total);
  const suf = new Float32Array(total);
  line.fill(fill);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) line[x + r] = data[row + x]!;
    if (max) {
      for (let b = 0; b < total; b += k) {
        const e = Math.min(total, b + k);
        let m = line[b]!;
        pre[b] = m;
        for (let i = b + 1; i < e; i++) {
          const v = line[i]!;
          if (v > m) m = v;
          pre[i] = m;
        }
        m = line[e - 1]!;
        suf[e - 1] = m;
        for (let i = e - 2; i >= b; i--) {
          const v = line[i]!;
          if (v > m) m = v;
          suf[i] = m;
        }
      }
      for (let i = 0; i < w; i++) {
        const a = suf[i]!;
        const c = pre[i + 2 * r]!;
        tmp[row + i] = Math.max(a, c);
      }
    } else {
      for (let b = 0; b < total; b += k) {
        const e = Math.min(total, b + k);
        let m = line[b]!;
        pre[b] = m;
        for (let i = b + 1; i < e; i++) {
          const v = line[i]!;
          if (v < m) m = v;
          pre[i] = m;
        }
        m = line[e - 1]!;
        suf[e - 1] = m;
        for (let i = e - 2; i >= b; i--) {
          const v = line[i]!;
          if (v < m) m = v;
          suf[i] = m;
        }
      }
      for (let i = 0; i < w; i++) {
        const a = suf[i]!;
        const c = pre[i + 2 * r]!;
        tmp[row + i] = Math.min(a, c);
      }
    }
  }
  // Vertical: the same on padded rows (row p is source row p - r), all columns at once.
  const rows = h + 2 * r;
  const vpre = workBuffer("rank.pre", rows * w);
  const vsuf = workBuffer("rank.suf", rows * w);
  for (let b = 0; b < rows; b += k) {
    const e = Math.min(rows, b + k);
    for (let p = b; p < e; p++) {
      const y = p - r;
      const o = p * w;
      if (y < 0 || y >= h) {
        if (p === b) vpre.fill(fill, o, o + w);
        else vpre.copyWithin(o, o - w, o);
      } else if (p === b) vpre.set(tmp.subarray(y * w, y * w + w), o);
      else if (max)
        for (let x = 0; x < w; x++) {
          const v = tmp[y * w + x]!;
          const q = vpre[o - w + x]!;
          vpre[o + x] = Math.max(v, q);
        }
      else
        for (let x = 0; x < w; x++) {
          const v = tmp[y * w + x]!;
          const q = vpre[o - w + x]!;
          vpre[o + x] = Math.min(v, q);
        }
    }
    for (let p = e - 1; p >= b; p--) {
      const y = p - r;
      const o = p * w;
      if (y < 0 || y >= h) {
        if (p === e - 1) vsuf.fill(fill, o, o + w);
        else vsuf.copyWithin(o, o + w, o + 2 * w);
      } else if (p === e - 1) vsuf.set(tmp.subarray(y * w, y * w + w), o);
      else if (max)
        for (let x = 0; x < w; x++) {
          const v = tmp[y * w + x]!;
          const q = vsuf[o + w + x]!;
          vsuf[o + x] = Math.max(v, q);
        }
      else
        for (let x = 0; x < w; x++) {
          const v = tmp[y * w + x]!;
          const q = vsuf[o + w + x]!;
          vsuf[o + x] = Math.min(v, q);
        }
    }
  }
  for (let y = 0; y < h; y++) {
    // Window of padded rows [y, y + 2r].
    const a0 = y * w;
    const c0 = (y + 2 * r) * w;
    const o = y * w;
    if (max)
      for (let x = 0; x < w; x++) {
        const a = vsuf[a0 + x]!;
        const c = vpre[c0 + x]!;
        out[o + x] = Math.max(a, c);
      }
    else
      for (let x = 0; x < w; x++) {
        const a = vsuf[a0 + x]!;
        const c = vpre[c0 + x]!;
        out[o + x] = Math.min(a, c);
      }
  }
  return { width: w, height: h, data: out };
}

/**
 * {@link rankFilter} of a byte image (grey levels 0..255): the same van Herk passes on bytes, a
 * quarter of the memory traffic, the same values. A second copy on purpose: one function over both
 * array types is polymorphic in V8 and measured 1.5 ms slower per opening (5.8 against 4.3 ms on
 * CASIA images), on the segmentation hot path.
 */
export function rankFilterBytes(data: Uint8Array, w: number, h: number, r: number, max: boolean): Uint8Array {
  if (r <= 0) return data.slice();
  const k = 2 * r + 1;
  const fill = max ? 0 : 255;
  const tmp = new Uint8Array(w * h);
  const out = new Uint8Array(w * h);
  const total = w + 2 * r;
  const line = new Uint8Array(total).fill(fill);
  const pre = new Uint8Array(total);
  const suf = new Uint8Array(total);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    line.set(data.subarray(row, row + w), r);
    for (let b = 0; b < total; b += k) {
      const e = Math.min(total, b + k);
      let m = line[b]!;
      pre[b] = m;
      for (let i = b + 1; i < e; i++) {
        const v = line[i]!;
        m = max ? Math.max(v, m) : Math.min(v, m);
        pre[i] = m;
      }
      m = line[e - 1]!;
      suf[e - 1] = m;
      for (let i = e - 2; i >= b; i--) {
        const v = line[i]!;
        m = max ? Math.max(v, m) : Math.min(v, m);
        suf[i] = m;
      }
    }
    for (let i = 0; i < w; i++) {
      const a = suf[i]!;
      const c = pre[i + 2 * r]!;
      tmp[row + i] = max ? Math.max(a, c) : Math.min(a, c);
    }
  }
  const rows = h + 2 * r;
  const vpre = new Uint8Array(rows * w);
  const vsuf = new Uint8Array(rows * w);
  for (let b = 0; b < rows; b += k) {
    const e = Math.min(rows, b + k);
    for (let p = b; p < e; p++) {
      const y = p - r;
      const o = p * w;
      if (y < 0 || y >= h) {
        if (p === b) vpre.fill(fill, o, o + w);
        else vpre.copyWithin(o, o - w, o);
      } else if (p === b) vpre.set(tmp.subarray(y * w, y * w + w), o);
      else
        for (let x = 0; x < w; x++) {
          const v = tmp[y * w + x]!;
          const q = vpre[o - w + x]!;
          vpre[o + x] = max ? Math.max(v, q) : Math.min(v, q);
        }
    }
    for (let p = e - 1; p >= b; p--) {
      const y = p - r;
      const o = p * w;
      if (y < 0 || y >= h) {
        if (p === e - 1) vsuf.fill(fill, o, o + w);
        else vsuf.copyWithin(o, o + w, o + 2 * w);
      } else if (p === e - 1) vsuf.set(tmp.subarray(y * w, y * w + w), o);
      else
        for (let x = 0; x < w; x++) {
          const v = tmp[y * w + x]!;
          const q = vsuf[o + w + x]!;
          vsuf[o + x] = max ? Math.max(v, q) : Math.min(v, q);
        }
    }
  }
  for (let y = 0; y < h; y++) {
    const a0 = y * w;
    const c0 = (y + 2 * r) * w;
    for (let x = 0; x < w; x++) {
      const a = vsuf[a0 + x]!;
      const c = vpre[c0 + x]!;
      out[a0 + x] = max ? Math.max(a, c) : Math.min(a, c);
    }
  }
  return out;
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
  const tmp = workBuffer("blur.tmp", w * h);
  const out = new Float32Array(w * h);
  const k = 2 * r + 1;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let sum = 0;
    for (let j = -r; j <= r; j++) sum += data[row + clamp(j, w)]!;
    // Clamped ends apart, the window moves over interior pixels without index clamping.
    const xa = Math.min(w, r);
    const xb = Math.max(xa, w - r - 1);
    for (let x = 0; x < xa; x++) {
      tmp[row + x] = sum / k;
      sum += data[row + clamp(x + r + 1, w)]! - data[row + clamp(x - r, w)]!;
    }
    for (let x = xa; x < xb; x++) {
      tmp[row + x] = sum / k;
      sum += data[row + x + r + 1]! - data[row + x - r]!;
    }
    for (let x = xb; x < w; x++) {
      tmp[row + x] = sum / k;
      sum += data[row + clamp(x + r + 1, w)]! - data[row + clamp(x - r, w)]!;
    }
  }
  // Columns: one running sum per column, advanced a whole row at a time.
  const sums = new Float64Array(w);
  for (let j = -r; j <= r; j++) {
    const o = clamp(j, h) * w;
    for (let x = 0; x < w; x++) sums[x] = sums[x]! + tmp[o + x]!;
  }
  for (let y = 0; y < h; y++) {
    const o = y * w;
    const add = clamp(y + r + 1, h) * w;
    const sub = clamp(y - r, h) * w;
    for (let x = 0; x < w; x++) {
      const sum = sums[x]!;
      out[o + x] = sum / k;
      sums[x] = sum + (tmp[add + x]! - tmp[sub + x]!);
    }
  }
  return { width: w, height: h, data: out };
}

function clamp(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/** The `cw` x `ch` rectangle of an image whose top left pixel is (`x0`, `y0`); must lie inside. */
export function cropImage(img: FloatImage, x0: number, y0: number, cw: number, ch: number): FloatImage {
  const out = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++) {
    const o = (y0 + y) * img.width + x0;
    out.set(img.data.subarray(o, o + cw), y * cw);
  }
  return { width: cw, height: ch, data: out };
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
 * border counts as outside), exact Euclidean. Columns first (distance to the nearest outside
 * pixel of the column, two scans), then a lower envelope of parabolas along each row, over the
 * span from its first to its last inside pixel (a row without one is all zero). `out`, when given (length `w * h`), is filled and
 * returned instead of a new array.
 */
export function squaredDistanceTransform(
  inside: Uint8Array,
  w: number,
  h: number,
  out: Float64Array = new Float64Array(w * h),
): Float64Array {
  const n = Math.max(w, h) + 2;
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  // Columns: distance to the nearest outside pixel above (the frame above row 0 is outside) in a
  // downward scan, then the nearer of that and the one below in an upward scan.
  const first = new Int32Array(h);
  const last = new Int32Array(h);
  const up = new Int32Array(w);
  for (let x = 0; x < w; x++) up[x] = 1;
  for (let y = 0; y < h; y++) {
    const o = y * w;
    let lo = w;
    let hi = -1;
    for (let x = 0; x < w; x++) {
      if (inside[o + x]) {
        if (lo === w) lo = x;
        hi = x;
        out[o + x] = up[x]!;
        up[x]!++;
      } else {
        out[o + x] = 0;
        up[x] = 1;
      }
    }
    first[y] = lo;
    last[y] = hi;
  }
  for (let x = 0; x < w; x++) up[x] = 1;
  for (let y = h - 1; y >= 0; y--) {
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const a = out[o + x]!;
      if (a === 0) {
        up[x] = 1;
        continue;
      }
      const b = up[x]!;
      const m = Math.min(a, b);
      out[o + x] = m * m;
      up[x] = b + 1;
    }
  }
  // Rows: only the span from the first to the last inside pixel, between the outside pixels (or
  // the frame) that bound it; nothing beyond them is nearer.
  for (let y = 0; y < h; y++) {
    const lo = first[y]!;
    const hi = last[y]!;
    if (hi < lo) continue;
    const o = y * w + lo;
    const len = hi - lo + 1;
    f[0] = 0;
    for (let i = 0; i < len; i++) f[i + 1] = out[o + i]!;
    f[len + 1] = 0;
    edt1d(f, len + 2, d, v, z);
    for (let i = 0; i < len; i++) out[o + i] = d[i + 1]!;
  }
  return out;
}
