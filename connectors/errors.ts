/**
 * The one error type of the project. Every failure a user can act on is a `LakehouseError`
 * with a stable `code`; the message says what went wrong and, after "Help:", what to do next.
 * The underlying error (SDK, filesystem, WASM) is kept as `cause`.
 */

export type ErrorCode =
  // object stores
  | 'NOT_FOUND'
  | 'ACCESS_DENIED'
  | 'BUCKET_NOT_FOUND'
  | 'INVALID_URI'
  | 'INVALID_KEY'
  | 'INVALID_ARGUMENT'
  | 'PRECONDITION_UNSUPPORTED'
  | 'PRECONDITION_FAILED'
  | 'STORE_UNAVAILABLE'
  /** Credentials missing or rejected by the store. */
  | 'STORE_AUTH'
  | 'INJECTED_FAULT'
  // file formats
  | 'CORRUPT_FILE'
  | 'UNSUPPORTED'
  | 'SCHEMA_MISMATCH'
  | 'BAD_RECORD'
  // catalog
  | 'TABLE_NOT_FOUND'
  | 'TABLE_EXISTS'
  | 'NAMESPACE_NOT_FOUND'
  | 'NAMESPACE_EXISTS'
  | 'NAMESPACE_NOT_EMPTY'
  | 'INVALID_IDENTIFIER'
  | 'INVALID_METADATA'
  | 'COMMIT_CONFLICT'
  | 'COMMIT_FAILED'
  /** The metadata write may or may not have landed; nothing was cleaned up (see docs/table-format.md). */
  | 'COMMIT_STATE_UNKNOWN'
  | 'SNAPSHOT_NOT_FOUND'
  // engine
  | 'SQL_PARSE_ERROR'
  | 'PLAN_ERROR'
  | 'INVALID_JOB_SPEC'
  | 'CANCELLED'
  | 'TASK_FAILED'
  /** A value does not fit its type: arithmetic overflow, a CAST to a narrower type or decimal. */
  | 'OUT_OF_RANGE'
  /** Text that is not a value of the requested type (CAST('abc' AS INT), a bad CSV field under a declared type). */
  | 'CONVERSION_ERROR'
  /**
   * A documented bound of an operator was reached (the pairs a nested-loop join may compare, the
   * values a holistic aggregate may hold); the help says how to stay under it.
   */
  | 'RESOURCE_LIMIT'
  /**
   * A scalar subquery returned more than one row for one outer row. Help to give: make the
   * subquery return one row (an aggregate such as min()/max(), LIMIT 1, or a tighter WHERE).
   */
  | 'CARDINALITY_VIOLATION'
  // invariants
  /** A broken invariant of this project (a bug): never the user's fault. */
  | 'INTERNAL';

export interface LakehouseErrorOptions {
  cause?: unknown;
  /** What the user should do next; appended to the message as "Help: …". */
  help?: string;
  /** Structured details for programs (e.g. the key or table involved). */
  details?: Record<string, unknown>;
}

export class LakehouseError extends Error {
  readonly code: ErrorCode;
  readonly help: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: LakehouseErrorOptions = {}) {
    super(options.help ? `${message}\nHelp: ${options.help}` : message, { cause: options.cause });
    this.name = 'LakehouseError';
    this.code = code;
    this.help = options.help;
    this.details = options.details ?? {};
  }
}

export function isLakehouseError(err: unknown, code?: ErrorCode): err is LakehouseError {
  return err instanceof LakehouseError && (code === undefined || err.code === code);
}
