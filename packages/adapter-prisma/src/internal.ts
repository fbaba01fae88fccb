import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import { assertExternalId, type SessionStatus } from '@livekit-replay/core/adapter';
import type { DatabaseProvider } from './connection.js';
import type { Prisma, PrismaClient } from './generated/postgresql/client.js';

/**
 * The stores are written against this package's generated client; at run time they get the
 * integrator's client, whose generated code has the same models (the schema fragment).
 */
export type Client = PrismaClient;
export type Tx = Prisma.TransactionClient;

export interface StoreContext {
  /** A PrismaClient with the fragment's models (typed loosely to keep it out of the public types). */
  prisma: object;
  provider: DatabaseProvider;
  now: () => Date;
  transaction: { maxWait: number; timeout: number };
  /** Write a `File` row (resourceType REPLAY_CLIP) beside each clip. */
  clipFiles: boolean;
}

export const db = (ctx: StoreContext): Client => ctx.prisma as Client;

export const LIVE: SessionStatus[] = ['starting', 'active'];
export const STATUSES: readonly SessionStatus[] = ['starting', 'active', 'stopped', 'failed'];

/** Advisory-lock namespaces (first key of pg_advisory_xact_lock(int4, int4)): "LKR" + n. */
export const LOCK = { user: 0x4c4b5201, community: 0x4c4b5202, quota: 0x4c4b5203 } as const;

/**
 * PostgreSQL: serialises the rest of the transaction with every other holder of the same
 * key, on any app instance; released at commit or rollback. SQLite needs none: `transaction`
 * takes the file's single write lock first, which serialises every writer already.
 */
export async function lock(ctx: StoreContext, tx: Tx, namespace: number, key: string): Promise<void> {
  if (ctx.provider !== 'postgresql') return;
  await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock($1::int4, hashtext($2))', namespace, key);
}

/**
 * Runs an interactive transaction. On SQLite its first statement takes the database's write
 * lock (a no-op DELETE on `table`), so two connections never both read and then both try to
 * write — the pattern SQLite answers with SQLITE_BUSY at COMMIT time; a busy database fails
 * that first statement instead and `guard` retries the whole transaction.
 */
export async function transaction<T>(
  ctx: StoreContext,
  table: string,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  return db(ctx).$transaction(async (tx) => {
    if (ctx.provider === 'sqlite') await tx.$executeRawUnsafe(`DELETE FROM "${table}" WHERE 1 = 0`);
    return fn(tx);
  }, ctx.transaction);
}

/** Thrown inside a transaction when a compare-and-set lost a race: the transaction is retried. */
export class WriteConflict extends Error {
  override readonly name = 'WriteConflict';
}

const RETRYABLE = /SQLITE_BUSY|database is locked|deadlock detected|could not serialize/i;

/** Errors after which nothing was written and the same call may simply run again. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof WriteConflict) return true;
  if (error instanceof ReplayBufferError) return false;
  const e = error as { code?: unknown; message?: unknown; meta?: unknown };
  if (e?.code === 'P2034') return true;
  let meta = '';
  try {
    meta = JSON.stringify(e?.meta ?? '');
  } catch {}
  return RETRYABLE.test(`${String(e?.message ?? error)} ${meta}`);
}

export interface UniqueViolation {
  /** Index or constraint name (PostgreSQL) */
  index: string | undefined;
  /** Column names (SQLite) */
  fields: string[];
}

/** The unique constraint a Prisma P2002 error names, or null for any other error. */
export function uniqueViolation(error: unknown): UniqueViolation | null {
  const e = error as { code?: unknown; meta?: Record<string, unknown> };
  if (e?.code !== 'P2002') return null;
  const cause = (e.meta?.driverAdapterError as { cause?: { constraint?: unknown } } | undefined)?.cause;
  const constraint = (cause?.constraint ?? {}) as { index?: unknown; fields?: unknown };
  const target = e.meta?.target;
  const fields = Array.isArray(constraint.fields)
    ? constraint.fields.map(String)
    : Array.isArray(target)
      ? target.map(String)
      : [];
  const index =
    typeof constraint.index === 'string' ? constraint.index : typeof target === 'string' ? target : undefined;
  return { index, fields };
}

/** True when the violation is on `columns` exactly, or on the index of that name. */
export function violates(v: UniqueViolation, indexName: string, columns: string[]): boolean {
  if (v.index !== undefined) return v.index === indexName;
  return v.fields.length === columns.length && columns.every((column) => v.fields.includes(column));
}

/**
 * Normalises whatever the driver threw. Our own errors pass; Prisma's argument validation
 * (a wrongly typed field that got past our checks) is the caller's mistake; the rest —
 * connection refused, timeouts, missing tables — is STORAGE_ERROR with the original as cause.
 */
export function toStoreError(error: unknown, operation: string): ReplayBufferError {
  if (error instanceof ReplayBufferError) return error;
  const name = (error as { name?: unknown })?.name;
  const text = lastLine(error instanceof Error ? error.message : String(error));
  if (name === 'PrismaClientValidationError') {
    return new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, `${operation}: invalid argument (${text})`, {
      cause: error,
    });
  }
  return new ReplayBufferError(
    ReplayErrorCode.STORAGE_ERROR,
    `${operation} failed in the database (${text}); check that the database is reachable and migrated ` +
      '(livekit-replay-prisma migrate), then retry',
    { cause: error },
  );
}

function lastLine(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const last = lines[lines.length - 1] ?? message;
  return last.length > 300 ? `${last.slice(0, 300)}…` : last;
}

/** How often `guard` runs a call again after a write conflict or a busy SQLite file. */
const MAX_ATTEMPTS = 40;

/**
 * Runs a store call: retries it (with jittered back-off, never blocking the event loop) while
 * the database reports a conflict that wrote nothing, then normalises what it threw.
 */
export async function guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt < MAX_ATTEMPTS && isRetryable(error)) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(2 * attempt, 40) + Math.random() * 10));
        continue;
      }
      throw toStoreError(error, operation);
    }
  }
}

export function invalid(message: string, field: string): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, message, { details: { field } });
}

export function assertStatus(value: unknown, field: string): SessionStatus {
  if (!STATUSES.includes(value as SessionStatus)) {
    throw invalid(`${field} must be one of ${STATUSES.join(', ')}`, field);
  }
  return value as SessionStatus;
}

export function assertStatuses(values: unknown, field: string): SessionStatus[] {
  if (!Array.isArray(values)) throw invalid(`${field} must be a list of statuses`, field);
  return values.map((value) => assertStatus(value, field));
}

export function assertDate(value: unknown, field: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw invalid(`${field} must be a valid Date`, field);
  }
  return value;
}

export function assertOptionalDate(value: unknown, field: string): Date | null | undefined {
  return value === null || value === undefined ? value : assertDate(value, field);
}

export function assertOptionalText(value: unknown, field: string): string | null | undefined {
  if (value === null || value === undefined || typeof value === 'string') return value;
  throw invalid(`${field} must be a string or null`, field);
}

export function assertText(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalid(`${field} must be a string`, field);
  return value;
}

export function assertOptionalExternalId(value: unknown, field: string): string | null {
  return value === null ? null : assertExternalId(value, field);
}

export const toBigInt = (value: number): bigint => BigInt(value);
export const toNumber = (value: bigint | number): number => Number(value);
