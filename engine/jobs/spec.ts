/**
 * The batch-job spec: one JSON shape for `lake run job.json` and `engine.submit(spec)`,
 * validated with zod before anything runs. Every problem is reported (path + message), not
 * just the first, so a user fixes a spec in one pass. Pure.
 */

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { LakehouseError } from '../../connectors/errors.js';

const ident = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)+$/, 'must be a table identifier "namespace.table"');

const severity = z.enum(['warn', 'quarantine', 'fail-partition', 'fail-run']);

const ruleBase = { name: z.string().min(1).optional(), severity: severity.default('fail-run') };

export const qualityRuleSchema = z.discriminatedUnion('rule', [
  z.object({ rule: z.literal('not_null'), columns: z.array(z.string().min(1)).min(1), ...ruleBase }).strict(),
  z.object({ rule: z.literal('unique'), columns: z.array(z.string().min(1)).min(1), ...ruleBase }).strict(),
  z
    .object({ rule: z.literal('range'), column: z.string().min(1), min: z.union([z.number(), z.string()]).optional(), max: z.union([z.number(), z.string()]).optional(), ...ruleBase })
    .strict()
    .refine((r) => r.min !== undefined || r.max !== undefined, { message: 'range needs min, max or both' }),
  z.object({ rule: z.literal('accepted_values'), column: z.string().min(1), values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1), ...ruleBase }).strict(),
  z.object({ rule: z.literal('expression'), expression: z.string().min(1), ...ruleBase }).strict(),
  z
    .object({ rule: z.literal('row_count'), min: z.number().int().nonnegative().optional(), max: z.number().int().nonnegative().optional(), ...ruleBase })
    .strict()
    .refine((r) => r.min !== undefined || r.max !== undefined, { message: 'row_count needs min, max or both' }),
  z.object({ rule: z.literal('freshness'), column: z.string().min(1), maxAge: z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as "36h" or "2d"'), ...ruleBase }).strict(),
]);

const parameterValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.object({ type: z.enum(['string', 'int', 'long', 'double', 'boolean', 'date', 'timestamp', 'decimal']), value: z.union([z.string(), z.number(), z.boolean(), z.null()]) }).strict(),
]);

export const jobSpecSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'letters, digits, "_", "-", "." (max 128)'),
    sql: z.string().min(1, 'must not be empty'),
    output: z
      .object({
        table: ident,
        mode: z.enum(['append', 'overwrite-partitions', 'replace']).default('append'),
        partitionBy: z.array(z.string().min(1)).optional(),
        createIfMissing: z.boolean().default(false),
      })
      .strict()
      .optional(),
    inputs: z
      .record(
        ident,
        z
          .object({ snapshotId: z.union([z.string().regex(/^-?\d+$/), z.number().int()]).optional(), asOf: z.string().datetime({ offset: true }).optional() })
          .strict()
          .refine((p) => (p.snapshotId === undefined) !== (p.asOf === undefined), { message: 'pin exactly one of snapshotId or asOf' }),
      )
      .optional(),
    parameters: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'parameter names are identifiers'),
        parameterValue,
      )
      .optional(),
    quality: z.array(qualityRuleSchema).optional(),
    reconcile: z
      .object({
        /** Input rows = accepted + quarantined + filtered must hold (pass-through jobs). */
        rowCounts: z.boolean().default(true),
        /** Columns whose sums must be equal in the input and the output (pass-through jobs). */
        controlTotals: z.array(z.string().min(1)).optional(),
        /** Record a checksum over the output rows in the run manifest. */
        checksum: z.boolean().default(true),
      })
      .strict()
      .optional(),
    /**
     * INSERT OVERWRITE semantics: `partitions` (default) replaces every partition the output
     * touches, whole, and refuses a WHERE that cuts through partitions; `replace-where`
     * replaces exactly the target rows matching the WHERE (copy-on-write, engine/write/replace-where.ts).
     */
    overwrite: z.enum(['partitions', 'replace-where']).optional(),
    idempotencyKey: z.string().min(1).max(512).optional(),
    mode: z.enum(['run', 'dry-run', 'shadow']).default('run'),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(20).default(3),
        baseDelayMs: z.number().int().min(0).default(200),
        maxDelayMs: z.number().int().min(0).default(10_000),
      })
      .strict()
      .optional(),
  })
  .strict();

export type JobSpecInput = z.input<typeof jobSpecSchema>;
export type JobSpec = z.output<typeof jobSpecSchema>;
export type QualityRule = z.output<typeof qualityRuleSchema>;

export interface SpecProblem {
  path: string;
  message: string;
}

/** Validates a spec; throws `INVALID_JOB_SPEC` listing every problem. */
export function parseJobSpec(input: unknown): JobSpec {
  const res = jobSpecSchema.safeParse(input);
  // zod drops a "__proto__" key silently (it is an own key of parsed JSON): refuse it instead of
  // letting a declared parameter vanish.
  const rawParams = (input as { parameters?: unknown } | null)?.parameters;
  const protoKey = rawParams !== null && typeof rawParams === 'object' && Object.hasOwn(rawParams, '__proto__');
  if (res.success && !protoKey) return res.data;
  const issues = [...(res.success ? [] : res.error.issues), ...(protoKey ? [{ path: ['parameters', '__proto__'], message: '"__proto__" cannot be a parameter name' }] : [])];
  const problems: SpecProblem[] = issues.map((i) => ({
    path: i.path.length ? i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(root)',
    message: i.message,
  }));
  throw new LakehouseError('INVALID_JOB_SPEC', `invalid job spec (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`, {
    help: 'Fix the listed fields; see `lake run --help` for the job spec format.',
    details: { problems },
  });
}

/** A stable hash of the spec's meaning (key order does not matter). */
export function specHash(spec: JobSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 32);
}

export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
}

/** Parses a duration like "36h", "5d", "90s" into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) {
    throw new LakehouseError('INVALID_ARGUMENT', `"${text}" is not a duration`, { help: 'Use a number followed by ms, s, m, h or d, e.g. "5d".' });
  }
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return n * unit;
}
