/**
 * Runtime of the logical `setop` node (INTERSECT / EXCEPT [ALL]) and of constant `values` rows.
 *
 * `runSetOp` consumes the whole left input, then the whole right input (sequentially, so at
 * most one side's producer runs at a time), counting rows per distinct value
 * (compute/setop.ts), and then yields the result. It runs on the coordinator thread; memory is
 * bounded by the distinct rows of both inputs (nothing spills). Deterministic for a given input
 * order. An empty left side ends the operator without reading the right side.
 *
 * `valuesChunk` turns the constant rows of a VALUES list into one chunk of the given types
 * (exact values stay exact: BigInts become `big` vectors).
 */

import type { DataType, Scalar } from '../plan/types.js';
import { toVec } from '../compute/casts.js';
import { SetOpCounter, type SetOpKind } from '../compute/setop.js';
import { concatChunks, emptyChunk, type Chunk } from '../compute/vec.js';

export async function* runSetOp(
  kind: SetOpKind, all: boolean, types: DataType[], left: AsyncIterable<Chunk>, right: () => AsyncIterable<Chunk>,
): AsyncGenerator<Chunk> {
  const counter = new SetOpCounter(types);
  let leftRows = 0;
  for await (const c of left) {
    leftRows += c.length;
    counter.addLeft(c);
  }
  if (leftRows > 0) for await (const c of right()) counter.addRight(c);
  let rows = 0;
  for (const c of counter.finish(kind, all)) {
    rows += c.length;
    yield c;
  }
  if (rows === 0) yield emptyChunk(types);
}

export function valuesChunk(data: Scalar[][], types: DataType[]): Chunk {
  if (data.length === 0) return emptyChunk(types);
  const rows = data.map((r): Chunk => ({ length: 1, cols: types.map((type, c) => toVec({ t: 'const', v: r[c] ?? null, type }, 1)) }));
  return rows.length === 1 ? rows[0]! : concatChunks(rows, types);
}
