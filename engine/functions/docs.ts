/**
 * The function reference generated from the registry: docs/functions.md (written by
 * `npm run docs:functions`, checked by test/engine/functions-docs.test.ts) and the listing of
 * `lake functions`. Pure functions of the registry: the same text on every run.
 */

import { SCALAR_FUNCTIONS } from './registry.js';
import type { Family, ScalarFunction } from './types.js';

const FAMILIES: Array<[Family, string]> = [
  ['string', 'Strings'], ['regex', 'Regular expressions'], ['math', 'Numbers'], ['date', 'Dates and timestamps'], ['conditional', 'Conditional'],
];

const byFamily = (f: Family): ScalarFunction[] => SCALAR_FUNCTIONS.filter((x) => x.family === f).slice().sort((a, b) => a.name.localeCompare(b.name));

const OPERATORS = `## Operators and special forms

| Form | Meaning |
|---|---|
| \`a + b\`, \`a - b\`, \`a * b\`, \`a % b\` | Exact for integers and decimals (OUT_OF_RANGE on overflow); \`/\` is DOUBLE; division or modulo by zero is NULL. |
| \`a // b\`, \`divide(a, b)\` | Integer division (DuckDB): integers truncate toward zero. The SQL dialect we parse (Databricks) does not tokenize \`//\`; write \`divide(a, b)\`. |
| \`a \\|\\| b\` | Concatenation; NULL if either side is NULL (concat() skips NULLs). |
| \`a IS [NOT] DISTINCT FROM b\` | Equality where NULL equals NULL; never NULL. |
| \`x [NOT] LIKE p [ESCAPE 'c']\`, \`x [NOT] ILIKE p\` | \`%\` any run, \`_\` one character; ILIKE ignores case. |
| \`x ~ p\`, \`x !~ p\`, \`x SIMILAR TO p\` | Full-match regular expressions (regexp_full_match). \`x RLIKE p\` / \`x REGEXP p\` match anywhere (regexp_matches). |
| \`CAST(x AS t)\`, \`x::t\`, \`TRY_CAST(x AS t)\` | Conversion; TRY_CAST gives NULL for a value that does not convert. |
| \`EXTRACT(part FROM x)\` | date_part('part', x). |
| \`POSITION(a IN b)\` | strpos(b, a). |
| \`TRIM([BOTH\\|LEADING\\|TRAILING] [chars] FROM s)\` | trim / ltrim / rtrim(s[, chars]). |
| \`d ± INTERVAL 'n' unit\` | units year, quarter, month, week, day, hour, minute, second, millisecond, microsecond; months are added first and clamp to the month end (DATE '2024-01-31' + INTERVAL 1 MONTH = 2024-02-29 00:00:00); a DATE ± INTERVAL is a TIMESTAMP (DuckDB). Multi-part intervals ('1 day 2 hours') are not parsed: add two intervals. |
| \`date - date\` | BIGINT days. \`date ± integer\` is a DATE. \`timestamp - timestamp\` (an INTERVAL in DuckDB) is not supported yet: use date_diff / date_sub. |
`;

const REGEX_NOTES = `### Regular expression syntax

Patterns use RE2 syntax, as DuckDB. They run on JavaScript's engine, so only the part of RE2 that means the same there is accepted; anything else is refused with INVALID_ARGUMENT instead of running with another meaning:
literals, \`.\`, classes \`[...]\` (including \`[[:alpha:]]\`-style POSIX classes), \`* + ? {n,m}\` and lazy forms, \`| ( ) (?: )\`, named groups \`(?P<n>…)\`, anchors \`^ $ \\A \\z \\b \\B\`, \`\\d \\w \\s\` (ASCII, as RE2) and their negations, \`\\pL\` / \`\\p{Greek}\`, \`\\x{hh}\`, escaped punctuation, and a leading \`(?i)\` / \`(?s)\`.
Refused: look-around and backreferences (RE2 has none), \`\\Q…\\E\`, \`\\C\`, flag groups other than a leading (?i)/(?s).
Options (last argument): 'c' case-sensitive (default), 'i' case-insensitive, 's' \`.\` matches newline, 'l' literal pattern, 'g' replace every match (regexp_replace).
`;

const FORMAT_NOTES = `### Date formats

strftime / strptime take DuckDB's \`%\` specifiers: %Y %y %m %-m %d %-d %H %-H %I %-I %M %-M %S %-S %f (microseconds) %g (milliseconds) %n (nanoseconds) %p %j %a %A %b %h %B %w %u %V %G %%. Time zones (%z %Z) and locale forms (%c %x %X, %U %W) are not supported yet.
date_format / to_date / to_timestamp(text, pattern) take Spark's Java-style letters: yyyy yy MM M MMM MMMM dd d HH H hh h mm m ss s SSS SSSSSS a EEE EEEE D DDD and 'quoted text'.
`;

export function functionsMarkdown(): string {
  const out: string[] = [
    '# SQL functions',
    '',
    '<!-- Generated from engine/functions/registry.ts by `npm run docs:functions`; do not edit by hand. -->',
    '',
    'Scalar functions take and return the types of [docs/design.md](design.md); unless noted, a NULL argument gives NULL. Names are case-insensitive; aliases are listed with each function. Aggregates (count, sum, avg, min, max, …) are described with the aggregate registry.',
    '',
    OPERATORS,
  ];
  for (const [fam, title] of FAMILIES) {
    out.push(`## ${title}`, '', '| Function | Description |', '|---|---|');
    for (const f of byFamily(fam)) {
      const aliases = f.aliases?.length ? ` <br>Aliases: ${f.aliases.map((a) => `\`${a}\``).join(', ')}.` : '';
      out.push(`| \`${f.signature.replace(/\|/g, '\\|')}\` | ${f.doc.replace(/\|/g, '\\|')}${aliases} |`);
    }
    out.push('');
    if (fam === 'regex') out.push(REGEX_NOTES);
    if (fam === 'date') out.push(FORMAT_NOTES);
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** `lake functions`: one line per function, by family. */
export function functionsText(): string {
  const lines: string[] = [];
  for (const [fam, title] of FAMILIES) {
    lines.push(`${title}:`);
    for (const f of byFamily(fam)) lines.push(`  ${f.signature}${f.aliases?.length ? `   (also: ${f.aliases.join(', ')})` : ''}`);
    lines.push('');
  }
  lines.push('Operators, interval arithmetic, regex syntax and date formats: docs/functions.md.');
  return lines.join('\n');
}
