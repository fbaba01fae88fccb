import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import type { ReplaySession, SessionPatch, SessionStatus } from '@livekit-replay/core/adapter';

/**
 * How a ReplaySession is stored: one Redis hash, every value a string. A `null` field is an
 * absent hash field. Dates are epoch milliseconds (what a JS Date holds, so they round-trip
 * exactly, and what the sorted-set scores use); numbers use JS's shortest round-trip form.
 */

const STRING_FIELDS = [
  'id',
  'userId',
  'roomName',
  'videoTrackId',
  'quality',
  'status',
  'segmentDir',
  'filenamePrefix',
  'playlistName',
  'livePlaylistName',
  'segmentNaming',
] as const;
const NULLABLE_STRING_FIELDS = [
  'audioTrackId',
  'communityId',
  'channelId',
  'egressId',
  'endReason',
  'error',
] as const;
const DATE_FIELDS = ['createdAt', 'updatedAt'] as const;
const NULLABLE_DATE_FIELDS = ['startedAt', 'endedAt'] as const;
const NUMBER_FIELDS = ['segmentDurationSeconds', 'missedSightings'] as const;

export const SESSION_STATUSES: readonly SessionStatus[] = ['starting', 'active', 'stopped', 'failed'];

/** Flattens a session into `[field, value, …]` for HSET (null fields left out). */
export function sessionToHashArgs(session: ReplaySession): string[] {
  const args: string[] = [];
  for (const field of STRING_FIELDS) args.push(field, session[field]);
  for (const field of NULLABLE_STRING_FIELDS) {
    const value = session[field];
    if (value !== null) args.push(field, value);
  }
  for (const field of DATE_FIELDS) args.push(field, String(session[field].getTime()));
  for (const field of NULLABLE_DATE_FIELDS) {
    const value = session[field];
    if (value !== null) args.push(field, String(value.getTime()));
  }
  for (const field of NUMBER_FIELDS) args.push(field, String(session[field]));
  return args;
}

function corrupt(id: string | undefined, field: string): ReplayBufferError {
  return new ReplayBufferError(
    ReplayErrorCode.STORAGE_ERROR,
    `the stored session ${id ?? '(unknown id)'} is malformed (field "${field}"); was the key written by something else?`,
    { details: { sessionId: id, field } },
  );
}

function toDate(value: string, id: string | undefined, field: string): Date {
  const ms = Number(value);
  if (!Number.isSafeInteger(ms)) throw corrupt(id, field);
  return new Date(ms);
}

/** Builds a fresh ReplaySession from HGETALL output (an object, or a flat array from Lua). */
export function sessionFromHash(input: Record<string, string> | string[]): ReplaySession {
  const hash: Record<string, string> = {};
  if (Array.isArray(input)) {
    for (let i = 0; i + 1 < input.length; i += 2) hash[input[i]!] = input[i + 1]!;
  } else {
    Object.assign(hash, input);
  }
  const id = hash.id;
  const out: Record<string, unknown> = {};
  for (const field of STRING_FIELDS) {
    const value = hash[field];
    if (value === undefined) throw corrupt(id, field);
    out[field] = value;
  }
  if (!SESSION_STATUSES.includes(out.status as SessionStatus)) throw corrupt(id, 'status');
  for (const field of NULLABLE_STRING_FIELDS) out[field] = hash[field] ?? null;
  for (const field of DATE_FIELDS) {
    const value = hash[field];
    if (value === undefined) throw corrupt(id, field);
    out[field] = toDate(value, id, field);
  }
  for (const field of NULLABLE_DATE_FIELDS) {
    const value = hash[field];
    out[field] = value === undefined ? null : toDate(value, id, field);
  }
  for (const field of NUMBER_FIELDS) {
    const value = Number(hash[field]);
    if (hash[field] === undefined || !Number.isFinite(value)) throw corrupt(id, field);
    out[field] = value;
  }
  return out as unknown as ReplaySession;
}

function invalid(message: string, field: string): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, message, { details: { field } });
}

/**
 * Splits a patch into fields to set and fields to delete (null), validating values before any
 * command is sent. `undefined` fields are left as they are.
 */
export function patchToArgs(patch: SessionPatch): { set: string[]; del: string[] } {
  const set: string[] = [];
  const del: string[] = [];
  if (patch === null || typeof patch !== 'object') throw invalid('patch must be an object', 'patch');
  const nullableString = (field: 'egressId' | 'endReason' | 'error') => {
    const value = patch[field];
    if (value === undefined) return;
    if (value === null) del.push(field);
    else if (typeof value === 'string') set.push(field, value);
    else throw invalid(`${field} must be a string or null`, field);
  };
  const nullableDate = (field: 'startedAt' | 'endedAt') => {
    const value = patch[field];
    if (value === undefined) return;
    if (value === null) del.push(field);
    else if (value instanceof Date && Number.isFinite(value.getTime()))
      set.push(field, String(value.getTime()));
    else throw invalid(`${field} must be a valid Date or null`, field);
  };
  nullableString('egressId');
  nullableDate('startedAt');
  nullableDate('endedAt');
  nullableString('endReason');
  nullableString('error');
  if (patch.missedSightings !== undefined) {
    const value = patch.missedSightings;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw invalid('missedSightings must be a non-negative integer', 'missedSightings');
    }
    set.push('missedSightings', String(value));
  }
  return { set, del };
}

export function assertStatuses(statuses: readonly SessionStatus[], field: string): readonly SessionStatus[] {
  if (!Array.isArray(statuses) || !statuses.every((status) => SESSION_STATUSES.includes(status))) {
    throw invalid(`${field} must be a list of session statuses (${SESSION_STATUSES.join(', ')})`, field);
  }
  return statuses;
}

export function assertStatus(status: SessionStatus, field: string): SessionStatus {
  if (!SESSION_STATUSES.includes(status)) {
    throw invalid(`${field} must be one of ${SESSION_STATUSES.join(', ')}`, field);
  }
  return status;
}
