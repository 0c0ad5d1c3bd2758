/**
 * Schema evolution by field id (spec "Schema Evolution"): add, rename, widen, drop, make
 * optional. Each function returns a new schema with the next schema id; the input is never
 * mutated. Ids are never reused: new columns take `lastColumnId + 1…`. Pure.
 */

import { LakehouseError } from '../../connectors/errors.js';
import {
  indexById,
  isPrimitive,
  maxFieldId,
  parseDecimal,
  type IcebergType,
  type NestedField,
  type Schema,
  type StructType,
} from '../../connectors/iceberg-types.js';

export type SchemaChange =
  | { kind: 'add-column'; name: string; type: IcebergType; required?: boolean; doc?: string; parent?: string }
  | { kind: 'rename-column'; name: string; newName: string }
  | { kind: 'widen-column'; name: string; type: IcebergType }
  | { kind: 'drop-column'; name: string }
  | { kind: 'make-optional'; name: string };

const NAME_RE = /^[^.\s][^.]*$/;

/** Finds a (possibly nested, dot-separated) column by name; case-sensitive. */
export function findField(schema: StructType, name: string): NestedField | undefined {
  let struct: StructType | undefined = schema;
  let found: NestedField | undefined;
  for (const part of name.split('.')) {
    if (!struct) return undefined;
    found = struct.fields.find((f) => f.name === part);
    if (!found) return undefined;
    struct = typeof found.type !== 'string' && found.type.type === 'struct' ? found.type : undefined;
  }
  return found;
}

/** Column name (dot path) for every field id reachable through structs. */
export function fieldNamesById(schema: StructType): Map<number, string> {
  const out = new Map<number, string>();
  const visit = (s: StructType, prefix: string): void => {
    for (const f of s.fields) {
      const name = prefix + f.name;
      out.set(f.id, name);
      if (typeof f.type !== 'string' && f.type.type === 'struct') visit(f.type, name + '.');
    }
  };
  visit(schema, '');
  return out;
}

/** Whether `from` may be promoted to `to` (spec: int→long, float→double, decimal precision). */
export function canPromote(from: IcebergType, to: IcebergType): boolean {
  if (from === to) return true;
  if (!isPrimitive(from) || !isPrimitive(to)) return false;
  if (from === 'int' && to === 'long') return true;
  if (from === 'float' && to === 'double') return true;
  const a = parseDecimal(from);
  const b = parseDecimal(to);
  return !!a && !!b && a.scale === b.scale && b.precision >= a.precision;
}

function mapFields(struct: StructType, fn: (f: NestedField) => NestedField | undefined): StructType {
  const fields: NestedField[] = [];
  for (const f of struct.fields) {
    const g = fn(f);
    if (!g) continue;
    if (typeof g.type !== 'string' && g.type.type === 'struct') fields.push({ ...g, type: mapFields(g.type, fn) });
    else fields.push(g);
  }
  return { type: 'struct', fields };
}

/**
 * Applies changes in order. `lastColumnId` is the table's `last-column-id`; the result carries
 * the new one. Errors name the column and what to do.
 */
export function evolveSchema(
  schema: Schema,
  changes: SchemaChange[],
  lastColumnId: number,
  newSchemaId: number,
): { schema: Schema; lastColumnId: number } {
  let cur: StructType = { type: 'struct', fields: schema.fields };
  let lastId = Math.max(lastColumnId, maxFieldId(schema));
  const identifierIds = new Set(schema['identifier-field-ids'] ?? []);
  for (const ch of changes) {
    if (ch.kind === 'add-column') {
      if (!NAME_RE.test(ch.name)) {
        throw new LakehouseError('INVALID_ARGUMENT', `"${ch.name}" is not a valid column name`, { help: 'Column names may not be empty, contain dots or start with whitespace.' });
      }
      const parent = ch.parent ? findField(cur, ch.parent) : undefined;
      if (ch.parent && (!parent || typeof parent.type === 'string' || parent.type.type !== 'struct')) {
        throw new LakehouseError('INVALID_ARGUMENT', `parent column "${ch.parent}" is not a struct`);
      }
      const target = parent ? (parent.type as StructType) : cur;
      if (target.fields.some((f) => f.name === ch.name)) {
        throw new LakehouseError('INVALID_ARGUMENT', `column "${ch.name}" already exists`, { help: 'Choose another name, or rename the existing column first.' });
      }
      if (ch.required) {
        throw new LakehouseError('INVALID_ARGUMENT', `cannot add required column "${ch.name}": existing rows have no value for it`, {
          help: 'Add the column as optional (nullable).',
        });
      }
      const { type, last } = assignIds(ch.type, lastId + 1);
      const field: NestedField = { id: lastId + 1, name: ch.name, required: false, type, ...(ch.doc ? { doc: ch.doc } : {}) };
      lastId = last;
      if (parent) {
        const pid = parent.id;
        cur = mapFields(cur, (f) => (f.id === pid ? { ...f, type: { type: 'struct', fields: [...(f.type as StructType).fields, field] } } : f));
      } else {
        cur = { type: 'struct', fields: [...cur.fields, field] };
      }
      continue;
    }
    const field = findField(cur, ch.name);
    if (!field) {
      throw new LakehouseError('INVALID_ARGUMENT', `column "${ch.name}" does not exist`, { help: 'Check the column name (case-sensitive; nested columns as a.b).' });
    }
    const id = field.id;
    if (ch.kind === 'rename-column') {
      if (!NAME_RE.test(ch.newName)) throw new LakehouseError('INVALID_ARGUMENT', `"${ch.newName}" is not a valid column name`);
      const siblings = ch.name.includes('.') ? (findField(cur, ch.name.slice(0, ch.name.lastIndexOf('.')))!.type as StructType).fields : cur.fields;
      if (siblings.some((f) => f.name === ch.newName && f.id !== id)) {
        throw new LakehouseError('INVALID_ARGUMENT', `cannot rename "${ch.name}" to "${ch.newName}": that name is taken`);
      }
      cur = mapFields(cur, (f) => (f.id === id ? { ...f, name: ch.newName } : f));
    } else if (ch.kind === 'widen-column') {
      if (!canPromote(field.type, ch.type)) {
        throw new LakehouseError('INVALID_ARGUMENT', `cannot change column "${ch.name}" from ${String(field.type)} to ${String(ch.type)}`, {
          help: 'Iceberg allows int→long, float→double and widening a decimal\'s precision (same scale).',
        });
      }
      cur = mapFields(cur, (f) => (f.id === id ? { ...f, type: ch.type } : f));
    } else if (ch.kind === 'drop-column') {
      if (identifierIds.has(id)) {
        throw new LakehouseError('INVALID_ARGUMENT', `cannot drop "${ch.name}": it is an identifier field`);
      }
      cur = mapFields(cur, (f) => (f.id === id ? undefined : f));
    } else {
      cur = mapFields(cur, (f) => (f.id === id ? { ...f, required: false } : f));
    }
  }
  const out: Schema = { type: 'struct', 'schema-id': newSchemaId, fields: cur.fields };
  if (schema['identifier-field-ids']?.length) out['identifier-field-ids'] = schema['identifier-field-ids'];
  return { schema: out, lastColumnId: lastId };
}

/** Gives fresh ids to nested element/key/value/struct fields of an added column's type. */
function assignIds(t: IcebergType, used: number): { type: IcebergType; last: number } {
  let last = used;
  const go = (x: IcebergType): IcebergType => {
    if (typeof x === 'string') return x;
    if (x.type === 'struct') return { type: 'struct', fields: x.fields.map((f) => ({ ...f, id: ++last, type: go(f.type) })) };
    if (x.type === 'list') return { ...x, 'element-id': ++last, element: go(x.element) };
    const keyId = ++last;
    const valueId = ++last;
    return { ...x, 'key-id': keyId, 'value-id': valueId, key: go(x.key), value: go(x.value) };
  };
  const type = go(t);
  return { type, last };
}

/** Assigns ids 1…n to a schema given without ids (ids in the input are ignored). */
export function freshSchema(fields: Array<{ name: string; type: IcebergType; required?: boolean; doc?: string }>, schemaId = 0): { schema: Schema; lastColumnId: number } {
  let last = 0;
  const out: NestedField[] = [];
  const ids = fields.map(() => ++last);
  fields.forEach((f, i) => {
    const { type, last: l } = assignIds(f.type, last);
    last = l;
    out.push({ id: ids[i]!, name: f.name, required: f.required ?? false, type, ...(f.doc ? { doc: f.doc } : {}) });
  });
  const names = new Set<string>();
  for (const f of out) {
    if (names.has(f.name)) throw new LakehouseError('INVALID_ARGUMENT', `duplicate column name "${f.name}"`);
    names.add(f.name);
  }
  return { schema: { type: 'struct', 'schema-id': schemaId, fields: out }, lastColumnId: last };
}

/** Whether two schemas have the same columns (ignoring schema ids). */
export function sameSchemaStructure(a: StructType, b: StructType): boolean {
  return JSON.stringify(a.fields) === JSON.stringify(b.fields);
}

export { indexById };
