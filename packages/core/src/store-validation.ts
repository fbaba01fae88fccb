import { ReplayBufferError, ReplayErrorCode } from './errors.js';
import { assertSafeId } from './ids.js';
import type { NewSession, ReplaySession } from './types.js';

/** Longest id an integrator may hand us (user, owner, community, reservation ids). */
export const MAX_EXTERNAL_ID_LENGTH = 128;

function invalid(message: string, field: string): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, message, { details: { field } });
}

/**
 * Ids that come from the integrator (user ids, community ids) never reach a path, so any
 * non-empty string up to 128 characters is accepted.
 */
export function assertExternalId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_EXTERNAL_ID_LENGTH) {
    throw invalid(
      `${field} must be a non-empty string of at most ${MAX_EXTERNAL_ID_LENGTH} characters`,
      field,
    );
  }
  return value;
}

/** Byte counts are whole, non-negative and exactly representable. */
export function assertByteCount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${field} must be a non-negative integer number of bytes`, field);
  }
  return value;
}

export function assertPositiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalid(`${field} must be a positive integer`, field);
  }
  return value;
}

export function assertNonNegativeInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${field} must be a non-negative integer`, field);
  }
  return value;
}

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

const SEGMENT_NAMINGS = new Set(['INDEX', 'TIMESTAMP']);
const QUALITIES = new Set(['720p', '1080p', '1440p', 'source']);

function assertText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024) {
    throw invalid(`${field} must be a non-empty string`, field);
  }
  return value;
}

function assertOptionalText(value: unknown, field: string): string | null {
  return value === null || value === undefined ? null : assertText(value, field);
}

/**
 * Validates what a SessionStore's `create` receives and builds the record it stores: only the
 * known fields, status `starting`, timestamps `now`, counters zero. Every store calls this, so
 * they accept and refuse exactly the same input (INVALID_INPUT naming the field).
 */
export function newSessionRecord(session: NewSession, now: Date): ReplaySession {
  if (session === null || typeof session !== 'object') throw invalid('session must be an object', 'session');
  assertSafeId(session.id, 'session id');
  assertExternalId(session.userId, 'userId');
  if (session.status !== undefined && session.status !== 'starting') {
    throw invalid('a new session must start as "starting"', 'status');
  }
  if (!QUALITIES.has(session.quality))
    throw invalid('quality must be 720p, 1080p, 1440p or source', 'quality');
  if (!SEGMENT_NAMINGS.has(session.segmentNaming))
    throw invalid('segmentNaming must be INDEX or TIMESTAMP', 'segmentNaming');
  // LiveKit's segmentDuration is a whole number of seconds.
  const duration = assertPositiveInteger(session.segmentDurationSeconds, 'segmentDurationSeconds');
  return {
    id: session.id,
    userId: session.userId,
    roomName: assertText(session.roomName, 'roomName'),
    videoTrackId: assertText(session.videoTrackId, 'videoTrackId'),
    audioTrackId: assertOptionalText(session.audioTrackId, 'audioTrackId'),
    communityId: session.communityId == null ? null : assertExternalId(session.communityId, 'communityId'),
    channelId: assertOptionalText(session.channelId, 'channelId'),
    quality: session.quality,
    egressId: session.egressId == null ? null : assertExternalId(session.egressId, 'egressId'),
    status: 'starting',
    segmentDir: assertSafeId(session.segmentDir, 'segmentDir'),
    filenamePrefix: assertText(session.filenamePrefix, 'filenamePrefix'),
    playlistName: assertText(session.playlistName, 'playlistName'),
    livePlaylistName: assertText(session.livePlaylistName, 'livePlaylistName'),
    segmentNaming: session.segmentNaming,
    segmentDurationSeconds: duration,
    createdAt: new Date(now.getTime()),
    updatedAt: new Date(now.getTime()),
    startedAt: null,
    endedAt: null,
    endReason: null,
    error: null,
    missedSightings: 0,
  };
}
