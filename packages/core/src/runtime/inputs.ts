import { z } from 'zod';
import {
  clipVisibilitySchema,
  cutModeSchema,
  externalIdSchema,
  libraryIdSchema,
  qualityPresetSchema,
  shareTargetSchema,
} from '../contract/schemas.js';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';

/**
 * Input schemas of the manager's methods. Field rules come from the HTTP contract, so a
 * request the Nest package accepts is one the manager accepts (and the other way round).
 */
const externalId = externalIdSchema;
const libraryId = libraryIdSchema;

export const startInputSchema = z.object({
  userId: externalId,
  roomName: externalId,
  videoTrackId: externalId,
  audioTrackId: externalId.optional(),
  quality: qualityPresetSchema.optional(),
  sourceDimensions: z
    .object({ width: z.number().int().min(16).max(7680), height: z.number().int().min(16).max(4320) })
    .optional(),
  communityId: externalId.optional(),
  channelId: externalId.optional(),
  /** Stop the user's current buffer and start this one (default); `false` refuses with ALREADY_ACTIVE. */
  replace: z.boolean().optional(),
});
export type StartReplayBufferInput = z.input<typeof startInputSchema>;

/** `sessionId` omitted: the user's live buffer. */
export const stopInputSchema = z.object({ userId: externalId, sessionId: libraryId.optional() });
export type StopReplayBufferInput = z.input<typeof stopInputSchema>;

const instant = z
  .union([z.date(), z.number(), z.string().datetime({ offset: true })])
  .transform((v) => new Date(v));

const abortSignal = z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'must be an AbortSignal');

/** Exactly one of `durationSeconds` (the last N seconds) or `startAt` + `endAt` (wall clock). */
const rangeFields = {
  userId: externalId,
  /** Omitted: the user's live buffer, else the one that just ended (still kept). */
  sessionId: libraryId.optional(),
  durationSeconds: z.number().positive().optional(),
  startAt: instant.optional(),
  endAt: instant.optional(),
  mode: cutModeSchema.optional(),
  signal: abortSignal.optional(),
};
const oneRange = (v: {
  durationSeconds?: number | undefined;
  startAt?: Date | undefined;
  endAt?: Date | undefined;
}) =>
  (v.durationSeconds !== undefined) !== (v.startAt !== undefined && v.endAt !== undefined) &&
  (v.startAt === undefined) === (v.endAt === undefined);
const oneRangeMessage = { message: 'give either durationSeconds or both startAt and endAt' };

export const captureInputSchema = z
  .object({
    ...rangeFields,
    title: z.string().max(200).optional(),
    visibility: clipVisibilitySchema.optional(),
    /** Post the clip once saved, through the ClipSharer (a failure to post does not fail the save). */
    share: shareTargetSchema.optional(),
  })
  .refine(oneRange, oneRangeMessage);
export type CaptureReplayInput = z.input<typeof captureInputSchema>;

export const streamInputSchema = z.object(rangeFields).refine(oneRange, oneRangeMessage);
export type StreamReplayInput = z.input<typeof streamInputSchema>;

export const sessionAccessSchema = z.object({ sessionId: libraryId, userId: externalId });
export const currentSessionSchema = z.object({ userId: externalId, sessionId: libraryId.optional() });

/** Parses `input` with `schema`, turning problems into INVALID_INPUT naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || what}: ${issue.message}`);
  throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, `Invalid ${what} — ${problems.join('; ')}`, {
    details: { fields: result.error.issues.map((issue) => issue.path.join('.')) },
  });
}
