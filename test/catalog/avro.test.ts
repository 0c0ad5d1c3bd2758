import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeSingleValue } from 'lakehouse-engine/connectors';
import {
  buildPartitionSpec,
  freshSchema,
  readAvroContainer,
  readManifest,
  readManifestList,
  writeManifest,
  writeManifestList,
  type DataFile,
  type ManifestFile,
} from 'lakehouse-engine/catalog';
import { haveFixtures, icebergFixture } from '../helpers/fixtures.js';

const { schema } = freshSchema([
  { name: 'id', type: 'long', required: true },
  { name: 'day', type: 'date' },
  { name: 'name', type: 'string' },
  { name: 'amount', type: 'decimal(12,2)' },
  { name: 'flag', type: 'boolean' },
  { name: 'u', type: 'uuid' },
  { name: 'ts', type: 'timestamptz' },
]);
const spec = buildPartitionSpec(schema, [
  { column: 'day' },
  { column: 'id', transform: 'bucket[8]' },
  { column: 'name', transform: 'truncate[2]' },
  { column: 'amount' },
  { column: 'flag' },
  { column: 'u' },
  { column: 'ts', transform: 'hour' },
]);

function file(i: number, partition: DataFile['partition']): DataFile {
  return {
    content: 0,
    filePath: `s3://bucket/t/data/f${i}.parquet`,
    fileFormat: 'PARQUET',
    specId: 0,
    partition,
    recordCount: 10 + i,
    fileSizeInBytes: 1000 + i,
    columnSizes: new Map([[1, 100]]),
    valueCounts: new Map([[1, 10 + i]]),
    nullValueCounts: new Map([[1, 0]]),
    lowerBounds: new Map([[1, encodeSingleValue('long', BigInt(i))]]),
    upperBounds: new Map([[1, encodeSingleValue('long', BigInt(i + 100))]]),
    splitOffsets: [4],
  };
}

describe('Avro manifests', () => {
  const files = [file(0, [19000, 3, 'ab', -12345n, true, 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 400000]), file(1, [null, null, null, null, null, null, null])];
  const big = 7505300640432048841n;
  const manifest: ManifestFile = {
    manifestPath: 's3://bucket/t/metadata/m.avro',
    manifestLength: 0,
    partitionSpecId: 0,
    content: 0,
    sequenceNumber: 7,
    minSequenceNumber: 3,
    addedSnapshotId: big,
    addedFilesCount: 1,
    existingFilesCount: 1,
    deletedFilesCount: 0,
    addedRowsCount: 10,
    existingRowsCount: 11,
    deletedRowsCount: 0,
  };

  it('round-trips entries with inheritance and every partition type', () => {
    const bytes = writeManifest(
      [
        { status: 1, snapshotId: big, sequenceNumber: 0, fileSequenceNumber: 0, dataFile: files[0]!, inherit: true },
        { status: 0, snapshotId: 42n, sequenceNumber: 3, fileSequenceNumber: 3, dataFile: files[1]! },
      ],
      { schema, spec, content: 0 },
    );
    const entries = readManifest(bytes, manifest, spec, schema, 'm.avro');
    // ADDED + null sequence numbers inherit the manifest's; EXISTING keep their own.
    expect(entries.map((e) => [e.status, e.snapshotId, e.sequenceNumber, e.fileSequenceNumber])).toEqual([
      [1, big, 7, 7],
      [0, 42n, 3, 3],
    ]);
    expect(entries.map((e) => e.dataFile)).toEqual(files);
  });

  it('writes the spec field ids and key-value metadata into the header, deflate or null', () => {
    for (const codec of ['deflate', 'null'] as const) {
      const bytes = writeManifest([{ status: 1, snapshotId: 1n, sequenceNumber: 1, fileSequenceNumber: 1, dataFile: files[0]!, inherit: true }], { schema, spec, content: 0, codec });
      const f = readAvroContainer(bytes, 'm');
      expect(f.metadata['avro.codec']).toBe(codec);
      expect(f.metadata['format-version']).toBe('2');
      expect(f.metadata.content).toBe('data');
      expect(f.metadata['partition-spec-id']).toBe('0');
      expect(JSON.parse(f.metadata['partition-spec']!)).toEqual(spec.fields);
      expect(JSON.parse(f.metadata.schema!).fields.map((x: { id: number }) => x.id)).toEqual(schema.fields.map((x) => x.id));
      const ids: number[] = [];
      JSON.stringify(f.schema, (k, v) => (k === 'field-id' && ids.push(v), v));
      for (const id of [0, 1, 2, 3, 4, 100, 101, 102, 103, 104, 108, 109, 110, 125, 128, 132, 134, 137, 1000, 1006, 117, 118]) expect(ids).toContain(id);
    }
  });

  it('round-trips a manifest list with 64-bit snapshot ids and partition summaries', () => {
    const m2: ManifestFile = { ...manifest, partitions: [{ containsNull: true, containsNan: false, lowerBound: Uint8Array.of(1, 0, 0, 0), upperBound: Uint8Array.of(9, 0, 0, 0) }] };
    const bytes = writeManifestList([manifest, m2], { snapshotId: big, parentSnapshotId: -5n, sequenceNumber: 7 });
    expect(readManifestList(bytes, 'l')).toEqual([manifest, m2]);
    const f = readAvroContainer(bytes, 'l');
    expect(f.metadata['snapshot-id']).toBe(String(big));
    expect(f.metadata['parent-snapshot-id']).toBe('-5');
  });

  it.runIf(haveFixtures())('reads manifests Spark wrote', () => {
    const dir = icebergFixture('spark/rename_column/metadata');
    const list = readManifestList(readFileSync(`${dir}/snap-5276958600260276572-1-abf62b15-903b-40b6-9e6b-26bcdceac9b3.avro`), 'l');
    expect(list.length).toBe(1);
    expect(list[0]!.addedSnapshotId).toBe(5276958600260276572n);
    const s = freshSchema([{ name: 'id', type: 'int' }, { name: 'name', type: 'string' }, { name: 'date', type: 'date' }]).schema;
    const sp = { 'spec-id': 0, fields: [{ name: 'id_bucket', transform: 'bucket[4]', 'source-id': 1, 'field-id': 1000 }, { name: 'date', transform: 'identity', 'source-id': 3, 'field-id': 1001 }] };
    const entries = readManifest(readFileSync(`${dir}/abf62b15-903b-40b6-9e6b-26bcdceac9b3-m0.avro`), list[0]!, sp, s, 'm');
    expect(entries.map((e) => e.dataFile.partition).sort()).toEqual([[0, 18993], [2, 18994], [3, null]]);
    expect(entries.reduce((a, e) => a + e.dataFile.recordCount, 0)).toBe(4);
  });
});
