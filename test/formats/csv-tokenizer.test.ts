/**
 * The CSV tokenizer against its own generator: random records (delimiters, quotes, line breaks
 * and non-ASCII inside fields, quoted and unquoted empties, CRLF and LF, blank lines), written
 * as CSV, fed in random chunk sizes, must come back field for field with their line numbers.
 * Plus the syntax errors: garbage after a closing quote, and a quote left open.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLakehouseError, openObjectStore, readCsv } from 'lakehouse-engine/connectors';
import { CsvTokenizer, NULL, type CsvSyntaxError, type CsvToken, type CsvValue } from '../../connectors/csv-tokenizer.js';

function tokenize(chunks: string[], opts: { delimiter?: string; quote?: string; escape?: string; nulls?: string[]; comment?: string } = {}): { records: CsvToken[]; errors: CsvSyntaxError[] } {
  const t = new CsvTokenizer({
    delimiter: opts.delimiter ?? ',', quote: opts.quote ?? '"', escape: opts.escape ?? '"', nullValues: new Set(opts.nulls ?? ['']),
    ...(opts.comment ? { comment: opts.comment } : {}),
  });
  const records: CsvToken[] = [];
  const errors: CsvSyntaxError[] = [];
  chunks.forEach((c, i) => t.push(c, i === chunks.length - 1, (r) => records.push(r), (e) => errors.push(e)));
  return { records, errors };
}

function split(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let at = 0;
  for (const p of points) { out.push(text.slice(at, p)); at = p; }
  out.push(text.slice(at));
  return out;
}

const field = fc.oneof(
  fc.constant(null),
  fc.constant(''),
  fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r\n', 'ü', '€', ';'), maxLength: 8 }),
);

describe('CSV tokenizer', () => {
  it('returns every generated field and line number, whatever the chunking', () => {
    fc.assert(fc.property(
      fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 30 }),
      fc.constantFrom('\n', '\r\n'),
      fc.array(fc.nat(2000), { maxLength: 6 }),
      fc.array(fc.boolean(), { maxLength: 30 }),
      (rows, eol, cuts, blanks) => {
        // A record of one NULL field would be an empty line, which CSV skips: make it quoted ''.
        const recs = rows.map((r) => (r.length === 1 && r[0] === null ? [''] : r));
        let text = '';
        let line = 1;
        const expected: Array<{ values: CsvValue[]; line: number }> = [];
        recs.forEach((r, k) => {
          if (blanks[k]) { text += eol; line++; }
          const cells = r.map((v) => (v === null ? '' : v === '' || /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v));
          expected.push({ values: r.map((v) => (v === null ? NULL : v)), line });
          text += cells.join(',') + eol;
          line += 1 + r.reduce((n, v) => n + (v?.match(/\n/g)?.length ?? 0), 0);
        });
        const { records, errors } = tokenize(split(text, cuts));
        expect(errors).toEqual([]);
        expect(records).toEqual(expected);
      },
    ), { numRuns: 300 });
  });

  it('handles a BOM, comments, a last record without a line end, another delimiter and escape', () => {
    const { records } = tokenize(['\uFEFFa;b\n# note\n"x\\"y";2\r', '\n"";NA'], { delimiter: ';', escape: '\\', nulls: ['NA'], comment: '#' });
    expect(records).toEqual([
      { values: ['a', 'b'], line: 1 },
      { values: ['x"y', '2'], line: 3 },
      { values: ['', NULL], line: 4 },
    ]);
  });

  it('reports garbage after a closing quote and goes on at the next line; an open quote is fatal', () => {
    const bad = tokenize(['a,b\n"x"y,1\n2,3\n']);
    expect(bad.errors).toEqual([{ line: 2, reason: 'unexpected character "y" after a closing quote', fatal: false }]);
    expect(bad.records.map((r) => [r.values, r.line])).toEqual([[['a', 'b'], 1], [['2', '3'], 3]]);
    const open = tokenize(['a,b\n1,"never', ' closed\n2,3\n']);
    expect(open.errors).toEqual([{ line: 2, reason: 'quote not closed before the end of the file', fatal: true }]);
    expect(open.records).toHaveLength(1);
  });

  it('refuses a multi-character delimiter with a clear error', async () => {
    const store = await openObjectStore(`memory://tok-${Date.now()}`);
    await store.put('x.csv', new TextEncoder().encode('a||b\n1||2\n'));
    const err = await (async () => { for await (const b of readCsv(store, 'x.csv', { delimiter: '||' })) void b; })().then(() => undefined, (e: unknown) => e);
    expect(isLakehouseError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toContain('must be one character');
  });
});
