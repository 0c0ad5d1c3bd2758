/**
 * Predicates for scan planning: bound to field ids, projected through partition transforms,
 * and evaluated as "might match" against column bounds, partition tuples and manifest-list
 * partition summaries. Evaluation is conservative: `false` only when no row can match. Pure.
 */

import { LakehouseError } from '../connectors/errors.js';
import { indexById, isPrimitive, parseDecimal, type PrimitiveType, type StructType } from '../connectors/iceberg-types.js';
import { decodeSingleValue, type IcebergValue } from '../connectors/single-value.js';
import { findField } from './spec/schema.js';
import { applyTransform, isOrderPreserving, parseTransform } from './spec/transforms.js';
import type { PartitionSpec } from './spec/partition.js';

export type CompareOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte';

export type Predicate =
  | { op: 'true' }
  | { op: 'false' }
  | { op: 'and' | 'or'; args: Predicate[] }
  | { op: CompareOp; column: string; value: unknown }
  | { op: 'in'; column: string; values: unknown[] }
  | { op: 'is-null' | 'not-null'; column: string };

type Leaf =
  | { op: CompareOp; id: number; type: PrimitiveType; value: IcebergValue }
  | { op: 'in'; id: number; type: PrimitiveType; values: IcebergValue[] }
  | { op: 'is-null' | 'not-null'; id: number; type: PrimitiveType };

export type Bound =
  | { op: 'true' }
  | { op: 'false' }
  | { op: 'and' | 'or'; args: Bound[] }
  | { op: CompareOp; id: number; type: PrimitiveType; value: IcebergValue }
  | { op: 'in'; id: number; type: PrimitiveType; values: IcebergValue[] }
  | { op: 'is-null' | 'not-null'; id: number; type: PrimitiveType };

/** Compares two non-null values of one Iceberg type (bytes lexicographically, unsigned). */
export function compareValues(a: IcebergValue, b: IcebergValue): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = BigInt(a as bigint);
    const y = BigInt(b as bigint);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    const n = Math.min(a.byteLength, b.byteLength);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.byteLength - b.byteLength;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    // Iceberg orders strings by UTF-8 bytes, which is code-point order (not UTF-16 order).
    const ca = Array.from(a, (c) => c.codePointAt(0)!);
    const cb = Array.from(b, (c) => c.codePointAt(0)!);
    const n = Math.min(ca.length, cb.length);
    for (let i = 0; i < n; i++) if (ca[i] !== cb[i]) return ca[i]! - cb[i]!;
    return ca.length - cb.length;
  }
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Coerces a user value to the project's convention for `type` (e.g. '2022-01-01' for a date). */
export function coerceValue(type: PrimitiveType, v: unknown): IcebergValue {
  const fail = (): never => {
    throw new LakehouseError('INVALID_ARGUMENT', `value ${String(v)} does not fit a ${type} column`);
  };
  switch (type) {
    case 'int':
      return typeof v === 'number' || typeof v === 'bigint' ? Number(v) : fail();
    case 'long':
    case 'time':
      return typeof v === 'number' || typeof v === 'bigint' ? BigInt(v) : fail();
    case 'date':
      if (typeof v === 'number') return v;
      if (v instanceof Date) return Math.floor(v.getTime() / 86_400_000);
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return Math.floor(Date.parse(v + 'T00:00:00Z') / 86_400_000);
      return fail();
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      const scale = type.endsWith('_ns') ? 1_000_000n : 1000n;
      if (typeof v === 'bigint') return v;
      if (typeof v === 'number') return BigInt(Math.trunc(v));
      if (v instanceof Date) return BigInt(v.getTime()) * scale;
      if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return BigInt(Date.parse(v)) * scale;
      return fail();
    }
    case 'float':
    case 'double':
      return typeof v === 'number' ? v : fail();
    case 'boolean':
      return typeof v === 'boolean' ? v : fail();
    case 'string':
    case 'uuid':
      return typeof v === 'string' ? v : fail();
    default:
      if (parseDecimal(type)) {
        if (typeof v === 'bigint') return v;
        const d = parseDecimal(type)!;
        if (typeof v === 'number' || typeof v === 'string') {
          const [ip, fp = ''] = String(v).split('.');
          const neg = ip!.startsWith('-');
          const digits = (ip!.replace('-', '') + fp.padEnd(d.scale, '0').slice(0, d.scale)) || '0';
          return neg ? -BigInt(digits) : BigInt(digits);
        }
      }
      return v instanceof Uint8Array ? v : fail();
  }
}

export function bindPredicate(p: Predicate, schema: StructType): Bound {
  switch (p.op) {
    case 'true':
    case 'false':
      return p;
    case 'and':
    case 'or':
      return { op: p.op, args: p.args.map((a) => bindPredicate(a, schema)) };
    default: {
      const f = findField(schema, p.column);
      if (!f) throw new LakehouseError('INVALID_ARGUMENT', `filter column "${p.column}" is not in the table schema`);
      if (!isPrimitive(f.type)) return { op: 'true' };
      const type = f.type;
      if (p.op === 'in') return { op: 'in', id: f.id, type, values: p.values.map((x) => coerceValue(type, x)) };
      if (p.op === 'is-null' || p.op === 'not-null') return { op: p.op, id: f.id, type };
      return { op: p.op, id: f.id, type, value: coerceValue(type, (p as { value: unknown }).value) };
    }
  }
}

/** Lower/upper bounds and null knowledge for field ids; `undefined` bounds mean unknown. */
export interface BoundsView {
  lower(id: number): IcebergValue | undefined;
  upper(id: number): IcebergValue | undefined;
  /** false when the field certainly has no nulls. */
  mayHaveNull(id: number): boolean;
  /** true when every value of the field is null. */
  allNull(id: number): boolean;
  /** true when the view knows nothing of this field (no pruning possible). */
  unknown(id: number): boolean;
}

/** Conservative "might any row match?" over bounds. */
export function mightMatch(b: Bound, view: BoundsView): boolean {
  switch (b.op) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'and':
      return b.args.every((a) => mightMatch(a, view));
    case 'or':
      return b.args.some((a) => mightMatch(a, view));
    default:
      break;
  }
  if (view.unknown(b.id)) return true;
  if (b.op === 'is-null') return view.mayHaveNull(b.id);
  if (b.op === 'not-null') return !view.allNull(b.id);
  if (view.allNull(b.id)) return false;
  const lo = view.lower(b.id);
  const hi = view.upper(b.id);
  const c = (x: IcebergValue | undefined, v: IcebergValue): number | undefined => (x === undefined ? undefined : compareValues(x, v));
  const inRange = (v: IcebergValue): boolean => !((c(lo, v) ?? -1) > 0 || (c(hi, v) ?? 1) < 0);
  switch (b.op) {
    case 'eq':
      return inRange(b.value);
    case 'in':
      return b.values.some(inRange);
    case 'neq':
      return !(lo !== undefined && hi !== undefined && c(lo, b.value) === 0 && c(hi, b.value) === 0 && !view.mayHaveNull(b.id));
    case 'lt':
      return !((c(lo, b.value) ?? -1) >= 0);
    case 'lte':
      return !((c(lo, b.value) ?? -1) > 0);
    case 'gt':
      return !((c(hi, b.value) ?? 1) <= 0);
    case 'gte':
      return !((c(hi, b.value) ?? 1) < 0);
  }
}

/**
 * Inclusive projection of a bound predicate onto a partition spec: the result references
 * partition field ids and is true for every partition that may hold a matching row.
 */
export function projectToPartition(b: Bound, spec: PartitionSpec, schema: StructType): Bound {
  const byId = indexById(schema);
  const go = (b0: Bound): Bound => {
    if (b0.op === 'true' || b0.op === 'false') return b0;
    if (b0.op === 'and' || b0.op === 'or') return { op: b0.op, args: b0.args.map(go) };
    const x = b0 as Leaf;
    const parts: Bound[] = [];
    for (const pf of spec.fields) {
      if (pf['source-id'] !== x.id) continue;
      const t = parseTransform(pf.transform);
      if (t.kind === 'void') continue;
      const src = byId.get(x.id)?.type as PrimitiveType;
      const T = (v: IcebergValue): IcebergValue => applyTransform(t, src, v) as IcebergValue;
      const rtype = src; // values of the projection are compared only with each other
      if (x.op === 'is-null' || x.op === 'not-null') {
        parts.push({ op: x.op, id: pf['field-id'], type: rtype });
      } else if (x.op === 'eq') {
        parts.push({ op: 'eq', id: pf['field-id'], type: rtype, value: T(x.value) });
      } else if (x.op === 'in') {
        parts.push({ op: 'in', id: pf['field-id'], type: rtype, values: x.values.map(T) });
      } else if (x.op !== 'neq' && isOrderPreserving(t)) {
        const op = t.kind === 'identity' ? x.op : x.op === 'lt' || x.op === 'lte' ? 'lte' : 'gte';
        parts.push({ op, id: pf['field-id'], type: rtype, value: T((x as { value: IcebergValue }).value) });
      } else if (x.op === 'neq' && t.kind === 'identity') {
        parts.push({ op: 'neq', id: pf['field-id'], type: rtype, value: (x as { value: IcebergValue }).value });
      }
    }
    return parts.length === 0 ? { op: 'true' } : parts.length === 1 ? parts[0]! : { op: 'and', args: parts };
  };
  return go(b);
}

/** A view over one partition tuple (exact values). */
export function tupleView(spec: PartitionSpec, tuple: ReadonlyArray<IcebergValue | null>): BoundsView {
  const idx = new Map(spec.fields.map((f, i) => [f['field-id'], i]));
  const val = (id: number): IcebergValue | null | undefined => {
    const i = idx.get(id);
    return i === undefined ? undefined : (tuple[i] ?? null);
  };
  return {
    lower: (id) => val(id) ?? undefined,
    upper: (id) => val(id) ?? undefined,
    mayHaveNull: (id) => val(id) === null,
    allNull: (id) => val(id) === null,
    unknown: (id) => !idx.has(id),
  };
}

/** A view over single-value encoded bounds (data-file column stats, partition summaries). */
export function encodedBoundsView(
  types: Map<number, PrimitiveType>,
  lower: Map<number, Uint8Array> | undefined,
  upper: Map<number, Uint8Array> | undefined,
  nullCount: (id: number) => number | undefined,
  valueCount: (id: number) => number | undefined,
  containsNull?: (id: number) => boolean | undefined,
): BoundsView {
  const dec = (m: Map<number, Uint8Array> | undefined, id: number): IcebergValue | undefined => {
    const b = m?.get(id);
    const t = types.get(id);
    if (!b || !t) return undefined;
    try {
      return decodeSingleValue(t, b);
    } catch {
      return undefined;
    }
  };
  return {
    lower: (id) => dec(lower, id),
    upper: (id) => dec(upper, id),
    mayHaveNull: (id) => {
      const cn = containsNull?.(id);
      if (cn !== undefined) return cn;
      const nc = nullCount(id);
      return nc === undefined || nc > 0;
    },
    allNull: (id) => {
      const nc = nullCount(id);
      const vc = valueCount(id);
      if (nc !== undefined && vc !== undefined) return vc > 0 && nc === vc;
      // A summary with nulls and no bounds holds only nulls.
      return containsNull?.(id) === true && !lower?.has(id) && !upper?.has(id);
    },
    unknown: (id) => !types.has(id),
  };
}

/** Handy constructors for callers building filters. */
export const where = {
  eq: (column: string, value: unknown): Predicate => ({ op: 'eq', column, value }),
  neq: (column: string, value: unknown): Predicate => ({ op: 'neq', column, value }),
  lt: (column: string, value: unknown): Predicate => ({ op: 'lt', column, value }),
  lte: (column: string, value: unknown): Predicate => ({ op: 'lte', column, value }),
  gt: (column: string, value: unknown): Predicate => ({ op: 'gt', column, value }),
  gte: (column: string, value: unknown): Predicate => ({ op: 'gte', column, value }),
  in: (column: string, values: unknown[]): Predicate => ({ op: 'in', column, values }),
  isNull: (column: string): Predicate => ({ op: 'is-null', column }),
  notNull: (column: string): Predicate => ({ op: 'not-null', column }),
  and: (...args: Predicate[]): Predicate => ({ op: 'and', args }),
  or: (...args: Predicate[]): Predicate => ({ op: 'or', args }),
};
