/**
 * Row loops of the hash aggregation (aggregate.ts): the generated multi-aggregate update kernel
 * and small monomorphic update loops. Synchronous and stateless apart from the kernel cache
 * (per thread).
 */

import { genKernel } from './kernels-gen.js';

type UpdateKernel = (n: number, g: Int32Array, sums: Float64Array[], xs: Float64Array[], counts: Float64Array[]) => void;
const updateKernels = new Map<string, UpdateKernel>();

/**
 * `sums` sum targets fed by `xs`, and `counts` row counters (0 = one shared counter in
 * `counts[0]`, summed into the targets by the caller).
 */
export function updateKernel(sums: number, counts: number): UpdateKernel {
  const key = `${sums}|${counts}`;
  let k = updateKernels.get(key);
  if (!k) {
    const decl: string[] = [];
    const body: string[] = [];
    for (let j = 0; j < sums; j++) {
      decl.push(`const s${j} = sums[${j}], x${j} = xs[${j}];`);
      body.push(`s${j}[gi] += x${j}[i];`);
    }
    const nc = Math.max(1, counts);
    for (let j = 0; j < nc; j++) {
      decl.push(`const c${j} = counts[${j}];`);
      body.push(`c${j}[gi] += 1;`);
    }
    k = genKernel<UpdateKernel>(`update ${key}`, ['n', 'g', 'sums', 'xs', 'counts'], `${decl.join(' ')} for (let i = 0; i < n; i++) { const gi = g[i]; ${body.join(' ')} }`);
    updateKernels.set(key, k);
  }
  return k;
}

/** Flags the groups rows land in; with a mask, rows outside it are sent to group `sink`. */
export function markLive(live: Uint8Array, g: Int32Array, mask: Uint8Array | undefined, sink: number, n: number): void {
  if (mask) {
    // Branchy on purpose: a fused WHERE mask keeps most rows (else the rows are gathered
    // instead), so the branch predicts well and beats a branch-free select here.
    for (let i = 0; i < n; i++) {
      if (mask[i]) live[g[i]!] = 1;
      else g[i] = sink;
    }
  } else {
    for (let i = 0; i < n; i++) live[g[i]!] = 1;
  }
}

// Update loops as small monomorphic functions: V8 optimises each for its one array shape.
export function sumF64(acc: Float64Array, g: Int32Array, x: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) acc[g[i]!]! += x[i]!;
}

export function sumAny(acc: Float64Array, g: Int32Array, x: ArrayLike<number>, n: number): void {
  for (let i = 0; i < n; i++) acc[g[i]!]! += x[i]!;
}

export function sumValid(acc: Float64Array, cnt: Float64Array, g: Int32Array, x: ArrayLike<number>, valid: Uint8Array, n: number): void {
  for (let i = 0; i < n; i++) {
    if (valid[i]) {
      const gi = g[i]!;
      acc[gi]! += x[i]!;
      cnt[gi]!++;
    }
  }
}

export function addValid(acc: Float64Array, g: Int32Array, valid: Uint8Array, n: number): void {
  for (let i = 0; i < n; i++) acc[g[i]!]! += valid[i]!;
}

export function addOnes(acc: Float64Array, g: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) acc[g[i]!]!++;
}
