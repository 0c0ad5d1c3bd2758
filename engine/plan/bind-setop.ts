/**
 * Binding of set operations and VALUES lists (the non-SELECT query bodies of plan/unbound.ts).
 *
 * - `UNION ALL` chains become one `union` node; `UNION` (distinct) is a `union` of every input
 *   of the chain under an aggregate keyed by all columns (no aggregate calls) — DISTINCT over
 *   the concatenation. `INTERSECT` / `EXCEPT` [ALL] become the logical `setop` node (bag
 *   semantics for ALL: min(m, n) and max(m − n, 0) copies; rows compare NULL-safely, run by
 *   compute/setop.ts).
 * - Column types of the inputs are unified as DuckDB does for set operations: numbers meet at
 *   their common (exact) type, DATE meets TIMESTAMP as TIMESTAMP, BOOLEAN meets a number as the
 *   number, and VARCHAR absorbs every other type; an all-NULL column is INTEGER. Inputs whose
 *   types differ get a projection with the casts. Names come from the first (left-most) input.
 * - `VALUES (…), (…)`: every row is folded to constants (the same kernels as at run time, exact)
 *   and becomes the `data` of a `values` node; columns are named col0, col1, … (DuckDB) and
 *   typed as for set operations, except that a string literal takes the type of the other rows
 *   (`VALUES (DATE '2020-01-01'), ('2020-01-02')` is a DATE column, as in DuckDB).
 * Pure functions over plain plan data; no I/O of their own (inputs are bound by the caller).
 */

import { LakehouseError, isLakehouseError } from '../../connectors/errors.js';
import { castScalar } from '../compute/casts.js';
import type { PlanNode } from './logical.js';
import { foldExpr } from './optimize.js';
import { isNumeric, type DataType, type Expr, type Scalar, type Schema } from './types.js';
import { coerce, literalAs, unify } from './typing.js';
import type { UBody, UExpr } from './unbound.js';

type SetOpBody = Extract<UBody, { k: 'setop' }>;
type ValuesBody = Extract<UBody, { k: 'values' }>;

const OP_NAME = { union: 'UNION', intersect: 'INTERSECT', except: 'EXCEPT' } as const;

/** The common type of two set-operation inputs' columns (DuckDB's rules, see the header). */
export function setOpType(a: DataType, b: DataType, where: string): DataType {
  try {
    return unify(a, b, where);
  } catch (e) {
    if (!isLakehouseError(e)) throw e;
    if (a === 'string' || b === 'string') return 'string';
    if (a === 'boolean' && isNumeric(b)) return b;
    if (b === 'boolean' && isNumeric(a)) return a;
    throw e;
  }
}

/** `p` with its columns cast to `types` (a projection only where some type differs). */
function align(p: PlanNode, types: DataType[]): PlanNode {
  if (p.schema.every((f, i) => f.type === types[i])) return p;
  const exprs = p.schema.map((f, i): Expr => coerce({ k: 'col', i, type: f.type }, types[i]!));
  return { op: 'project', input: p, exprs, schema: p.schema.map((f, i) => ({ ...f, type: types[i]! })) };
}

/** Unifies the inputs' column types; every input must have the same number of columns. */
function unifyInputs(inputs: PlanNode[], what: string): { aligned: PlanNode[]; schema: Schema } {
  const first = inputs[0]!;
  const width = first.schema.length;
  const types = first.schema.map((f) => f.type);
  for (const p of inputs) {
    if (p.schema.length !== width) {
      throw new LakehouseError('PLAN_ERROR', `${what} inputs have different column counts (${width} and ${p.schema.length})`, {
        help: `Every SELECT in a ${what} must return the same number of columns.`,
      });
    }
    p.schema.forEach((f, i) => { types[i] = setOpType(types[i]!, f.type, `${what} column ${i + 1}`); });
  }
  for (let i = 0; i < types.length; i++) if (types[i] === 'null') types[i] = 'int32';
  return {
    aligned: inputs.map((p) => align(p, types)),
    schema: first.schema.map((f, i) => ({ name: f.name, type: types[i]!, nullable: true })),
  };
}

/**
 * Binds a set operation; `bindChild` binds any other body (SELECT, VALUES, a nested query).
 * Chains of the same operation are flattened where that is exact (UNION ALL into UNION ALL,
 * any UNION into a distinct UNION).
 */
export async function bindSetOp(b: SetOpBody, bindChild: (b: UBody) => Promise<PlanNode>): Promise<PlanNode> {
  const bind = (x: UBody): Promise<PlanNode> => (x.k === 'setop' ? bindSetOp(x, bindChild) : bindChild(x));
  if (b.op === 'union') {
    // UNION ALL: flatten UNION ALL children. UNION (distinct): every UNION below is absorbed by
    // the DISTINCT on top (DISTINCT(A ∪ DISTINCT(B ∪ C)) = DISTINCT(A ∪ B ∪ C)).
    const parts: UBody[] = [];
    const flatten = (x: UBody): void => {
      if (x.k === 'setop' && x.op === 'union' && (x.all || !b.all)) { flatten(x.left); flatten(x.right); } else parts.push(x);
    };
    flatten(b);
    const inputs = await Promise.all(parts.map(bind));
    const what = b.all ? 'UNION ALL' : 'UNION';
    const { aligned, schema } = unifyInputs(inputs, what);
    const union: PlanNode = { op: 'union', inputs: aligned, schema };
    if (b.all) return union;
    return { op: 'aggregate', input: union, keys: schema.map((f, i): Expr => ({ k: 'col', i, type: f.type })), aggs: [], schema };
  }
  const what = `${OP_NAME[b.op]}${b.all ? ' ALL' : ''}`;
  const [left, right] = await Promise.all([bind(b.left), bind(b.right)]);
  const { aligned, schema } = unifyInputs([left, right], what);
  return { op: 'setop', kind: b.op, all: b.all, left: aligned[0]!, right: aligned[1]!, schema };
}

/**
 * Binds `VALUES (…), …`; `bindConst` binds one expression with no columns in scope (VALUES
 * rows cannot reference tables). Every value is folded to a constant here.
 */
export function bindValues(b: ValuesBody, bindConst: (u: UExpr) => Expr): PlanNode {
  if (b.rows.length === 0) throw new LakehouseError('PLAN_ERROR', 'VALUES needs at least one row', { help: 'Write VALUES (1, 2), (3, 4).' });
  const width = b.rows[0]!.length;
  const rows = b.rows.map((r, i) => {
    if (r.length !== width) {
      throw new LakehouseError('PLAN_ERROR', `VALUES lists must all be the same length (row 1 has ${width} values, row ${i + 1} has ${r.length})`, {
        help: 'Give every row of VALUES the same number of values.',
      });
    }
    return r.map((u) => {
      const e = foldExpr(bindConst(u));
      if (e.k !== 'lit') throw new LakehouseError('INTERNAL', 'a VALUES entry did not fold to a constant', { help: 'Report this query.' });
      return e;
    });
  });
  // String literals adapt to the other rows' type (DuckDB); the rest unify as set operations.
  const types: DataType[] = [];
  for (let c = 0; c < width; c++) {
    let t: DataType = 'null';
    for (const r of rows) if (r[c]!.type !== 'string') t = setOpType(t, r[c]!.type, `VALUES column ${c + 1}`);
    if (rows.some((r) => r[c]!.type === 'string')) t = t === 'null' || t === 'boolean' ? setOpType(t, 'string', `VALUES column ${c + 1}`) : t;
    types.push(t === 'null' ? 'int32' : t);
  }
  const data: Scalar[][] = rows.map((r) => r.map((e, c) => {
    const t = types[c]!;
    if (e.v === null || e.type === t) return e.v;
    if (e.type === 'string') return literalAs(e, t);
    return castScalar(e.v, e.type, t);
  }));
  const schema: Schema = types.map((type, c) => ({ name: `col${c}`, type, nullable: true }));
  return { op: 'values', rows: data.length, data, schema };
}
