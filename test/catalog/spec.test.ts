import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isLakehouseError } from 'lakehouse-engine/connectors';
import {
  applyTransform,
  applyUpdates,
  checkRequirements,
  evolveSchema,
  freshSchema,
  hashValue,
  murmur3,
  parseJson,
  parseTableMetadata,
  parseTransform,
  partitionPath,
  buildPartitionSpec,
  serializeTableMetadata,
  stringifyJson,
} from 'lakehouse-engine/catalog';
import { haveFixtures, icebergFixture } from '../helpers/fixtures.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('Murmur3 and bucket hashing (spec Appendix B test vectors)', () => {
  it('hashes each type to the spec value', () => {
    const ms = Date.parse('2017-11-16T22:31:08Z');
    expect(hashValue('int', 34)).toBe(2017239379);
    expect(hashValue('long', 34n)).toBe(2017239379);
    expect(hashValue('decimal(9,2)', 1420n)).toBe(-500754589);
    expect(hashValue('date', Date.parse('2017-11-16') / 86_400_000)).toBe(-653330422);
    expect(hashValue('time', BigInt((22 * 3600 + 31 * 60 + 8) * 1_000_000))).toBe(-662762989);
    expect(hashValue('timestamp', BigInt(ms) * 1000n)).toBe(-2047944441);
    expect(hashValue('timestamptz', BigInt(Date.parse('2017-11-16T14:31:08-08:00')) * 1000n)).toBe(-2047944441);
    expect(hashValue('timestamp_ns', BigInt(ms) * 1_000_000n)).toBe(-2047944441);
    expect(hashValue('string', 'iceberg')).toBe(1210000089);
    expect(hashValue('uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7')).toBe(1488055340);
    expect(hashValue('fixed[4]', Uint8Array.of(0, 1, 2, 3))).toBe(-188683207);
    expect(hashValue('binary', Uint8Array.of(0, 1, 2, 3))).toBe(-188683207);
    expect(murmur3(utf8('iceberg'))).toBe(1210000089);
  });

  it('buckets are the positive hash modulo N', () => {
    expect(applyTransform(parseTransform('bucket[16]'), 'int', 34)).toBe((2017239379 & 0x7fffffff) % 16);
    expect(applyTransform(parseTransform('bucket[100]'), 'string', 'iceberg')).toBe((1210000089 & 0x7fffffff) % 100);
    expect(applyTransform(parseTransform('bucket[7]'), 'uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7')).toBe((1488055340 & 0x7fffffff) % 7);
    expect(applyTransform(parseTransform('bucket[7]'), 'int', null)).toBeNull();
  });
});

describe('partition transforms', () => {
  it('year/month/day/hour agree with calendar arithmetic, before and after the epoch', () => {
    const cases = ['2017-11-16T22:31:08Z', '1969-12-31T23:59:59.999Z', '1900-03-01T00:00:00Z', '2024-02-29T12:00:00Z'];
    for (const iso of cases) {
      const d = new Date(iso);
      const us = BigInt(d.getTime()) * 1000n;
      expect(applyTransform(parseTransform('year'), 'timestamp', us)).toBe(d.getUTCFullYear() - 1970);
      expect(applyTransform(parseTransform('month'), 'timestamptz', us)).toBe((d.getUTCFullYear() - 1970) * 12 + d.getUTCMonth());
      expect(applyTransform(parseTransform('day'), 'timestamp', us)).toBe(Math.floor(d.getTime() / 86_400_000));
      expect(applyTransform(parseTransform('hour'), 'timestamp', us)).toBe(Math.floor(d.getTime() / 3_600_000));
      expect(applyTransform(parseTransform('day'), 'date', Math.floor(d.getTime() / 86_400_000))).toBe(Math.floor(d.getTime() / 86_400_000));
    }
    expect(applyTransform(parseTransform('hour'), 'timestamp', -1n)).toBe(-1);
  });

  it('truncate follows the spec examples', () => {
    const t10 = parseTransform('truncate[10]');
    expect(applyTransform(t10, 'int', 1)).toBe(0);
    expect(applyTransform(t10, 'int', -1)).toBe(-10);
    expect(applyTransform(t10, 'long', -1n)).toBe(-10n);
    expect(applyTransform(parseTransform('truncate[50]'), 'decimal(9,2)', 1065n)).toBe(1050n);
    expect(applyTransform(parseTransform('truncate[3]'), 'string', 'iceberg')).toBe('ice');
    expect(applyTransform(parseTransform('truncate[2]'), 'string', '🐇🐇🐇')).toBe('🐇🐇');
    expect(applyTransform(parseTransform('void'), 'int', 5)).toBeNull();
    expect(() => parseTransform('bucket[0]')).toThrow();
    expect(() => buildPartitionSpec(freshSchema([{ name: 'f', type: 'float' }]).schema, [{ column: 'f', transform: 'bucket[4]' }])).toThrow(/cannot be applied/);
  });

  it('lays out partition paths like other engines', () => {
    const { schema } = freshSchema([{ name: 'ts', type: 'timestamp' }, { name: 'name', type: 'string' }]);
    const spec = buildPartitionSpec(schema, [{ column: 'ts', transform: 'day' }, { column: 'name' }, { column: 'ts', transform: 'hour', name: 'h' }]);
    expect(spec.fields.map((f) => f['field-id'])).toEqual([1000, 1001, 1002]);
    const us = BigInt(Date.parse('2022-01-02T03:00:00Z')) * 1000n;
    const tuple = [applyTransform(parseTransform('day'), 'timestamp', us), 'a b/c', applyTransform(parseTransform('hour'), 'timestamp', us)];
    expect(partitionPath(spec, schema, tuple)).toBe('ts_day=2022-01-02/name=a%20b%2Fc/h=2022-01-02-03');
  });
});

describe('metadata JSON', () => {
  it('keeps 64-bit integers exact', () => {
    const v = parseJson('{"a": 7505300640432048841, "b": 12, "c": [1.5, -9223372036854775808]}') as Record<string, unknown>;
    expect(v.a).toBe(7505300640432048841n);
    expect(v.b).toBe(12);
    expect((v.c as unknown[])[1]).toBe(-9223372036854775808n);
    expect(stringifyJson(v, 0)).toBe('{"a":7505300640432048841,"b":12,"c":[1.5,-9223372036854775808]}');
  });

  it.runIf(haveFixtures())('parses v2 metadata written by Spark, Java and Athena and round-trips it', () => {
    for (const f of ['spark/bunnies/metadata/v5.metadata.json', 'java/bunnies/metadata/v5.metadata.json', 'athena/example/metadata/00001-aaf0d033-d06b-43c7-be60-67f83abd4aca.metadata.json']) {
      const text = readFileSync(icebergFixture(f), 'utf8');
      const md = parseTableMetadata(text);
      const raw = JSON.parse(text.replace(/:\s*(-?\d{16,})/g, ':"$1"'));
      expect(String(md['current-snapshot-id'])).toBe(raw['current-snapshot-id']);
      expect(md.snapshots.length).toBe(raw.snapshots.length);
      expect(parseTableMetadata(serializeTableMetadata(md))).toEqual(md);
    }
  });

  it('reads v1 metadata (single schema and partition-spec fields)', () => {
    const v1 = {
      'format-version': 1,
      'table-uuid': 'd20125c8-7284-442c-9aea-15fee620737c',
      location: 's3://b/t',
      'last-updated-ms': 1602638573874,
      'last-column-id': 2,
      schema: { type: 'struct', fields: [{ id: 1, name: 'x', required: true, type: 'long' }, { id: 2, name: 'd', required: false, type: 'date' }] },
      'partition-spec': [{ name: 'd_day', transform: 'identity', 'source-id': 2 }],
      properties: {},
      'current-snapshot-id': -1,
      snapshots: [],
    };
    const md = parseTableMetadata(JSON.stringify(v1));
    expect(md['partition-specs']).toEqual([{ 'spec-id': 0, fields: [{ name: 'd_day', transform: 'identity', 'source-id': 2, 'field-id': 1000 }] }]);
    expect(md['current-snapshot-id']).toBeUndefined();
    expect(md['last-sequence-number']).toBe(0);
    expect(JSON.parse(serializeTableMetadata(md))['format-version']).toBe(2);
  });

  it('rejects metadata that is not Iceberg with INVALID_METADATA', () => {
    for (const bad of ['{', '{"format-version": 2}', '[1]']) {
      try {
        parseTableMetadata(bad);
        expect.unreachable();
      } catch (err) {
        expect(isLakehouseError(err, 'INVALID_METADATA')).toBe(true);
      }
    }
  });
});

describe('schema evolution and commit requirements', () => {
  it('never reuses a field id', () => {
    const { schema, lastColumnId } = freshSchema([{ name: 'a', type: 'int' }, { name: 'b', type: { type: 'list', 'element-id': 0, element: 'string', 'element-required': false } }]);
    expect(lastColumnId).toBe(3);
    const r1 = evolveSchema(schema, [{ kind: 'drop-column', name: 'a' }], lastColumnId, 1);
    const r2 = evolveSchema(r1.schema, [{ kind: 'add-column', name: 'a', type: 'long' }], r1.lastColumnId, 2);
    expect(r2.schema.fields.map((f) => [f.name, f.id])).toEqual([['b', 2], ['a', 4]]);
    expect(() => evolveSchema(schema, [{ kind: 'add-column', name: 'c', type: 'int', required: true }], 3, 1)).toThrow(/required/);
    expect(() => evolveSchema(schema, [{ kind: 'rename-column', name: 'a', newName: 'b' }], 3, 1)).toThrow(/taken/);
  });

  it.runIf(haveFixtures())('checks requirements and applies updates purely', () => {
    const md = parseTableMetadata(readFileSync(icebergFixture('spark/bunnies/metadata/v5.metadata.json'), 'utf8'));
    const cur = md['current-snapshot-id']!;
    expect(() => checkRequirements(md, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': cur }])).not.toThrow();
    try {
      checkRequirements(md, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 1n }]);
      expect.unreachable();
    } catch (err) {
      expect(isLakehouseError(err, 'COMMIT_CONFLICT')).toBe(true);
    }
    const next = applyUpdates(md, [{ action: 'set-snapshot-ref', 'ref-name': 'main', 'snapshot-id': 7505300640432048841n, type: 'branch' }], { nowMs: md['last-updated-ms'] + 5, baseMetadataLocation: 'file:///x/v5.metadata.json' });
    expect(next['current-snapshot-id']).toBe(7505300640432048841n);
    expect(next['snapshot-log'].at(-1)).toEqual({ 'timestamp-ms': md['last-updated-ms'] + 5, 'snapshot-id': 7505300640432048841n });
    expect(next['metadata-log'].at(-1)!['metadata-file']).toBe('file:///x/v5.metadata.json');
    expect(md['current-snapshot-id']).toBe(cur);
    expect(() => applyUpdates(md, [{ action: 'remove-snapshots', 'snapshot-ids': [cur] }], { nowMs: 0 })).toThrow(/ref "main"/);
  });
});
