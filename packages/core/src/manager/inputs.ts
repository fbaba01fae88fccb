import { z } from 'zod';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { SAFE_ID_PATTERN } from '../ids.js';
import { MAX_EXTERNAL_ID_LENGTH } from '../store-validation.js';

/** Integrator-supplied ids (user, room, track, community, channel): opaque, bounded like every store bounds them, printable. */
const externalId = z
  .string()
  .min(1)
  .max(MAX_EXTERNAL_ID_LENGTH)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
/** Ids this library generated (sessions, clips). */
const libraryId = z.string().regex(SAFE_ID_PATTERN, 'is not a valid id');

export const startInputSchema = z.object({
  userId: externalId,
  roomName: externalId,
  videoTrackId: externalId,
  audioTrackId: externalId.optional(),
  quality: z.enum(['720p', '1080p', '1440p', 'source']).optional(),
  sourceDimensions: z
    .object({ width: z.number().int().min(16).max(7680), height: z.number().int().min(16).max(4320) })
    .optional(),
  communityId: externalId.optional(),
  channelId: externalId.optional(),
  /** Stop the user's current buffer and start this one instead of refusing with ALREADY_ACTIVE. */
  replaceExisting: z.boolean().optional(),
});
export type StartReplayBufferInput = z.input<typeof startInputSchema>;

export const stopInputSchema = z.object({ sessionId: libraryId, userId: externalId });
export type StopReplayBufferInput = z.input<typeof stopInputSchema>;

const instant = z
  .union([z.date(), z.number(), z.string().datetime({ offset: true })])
  .transform((v) => new Date(v));

export const captureInputSchema = z
  .object({
    sessionId: libraryId,
    userId: externalId,
    /** Save the last N seconds, ending now. */
    durationSeconds: z.number().positive().optional(),
    /** Or an explicit wall-clock range. */
    startAt: instant.optional(),
    endAt: instant.optional(),
    /** Or offsets back from now, seconds (startOffsetSeconds > endOffsetSeconds ≥ 0). */
    startOffsetSeconds: z.number().min(0).optional(),
    endOffsetSeconds: z.number().min(0).optional(),
    mode: z.enum(['accurate', 'fast']).optional(),
    title: z.string().max(200).optional(),
    visibility: z.enum(['private', 'public']).optional(),
  })
  .refine(
    (v) =>
      [v.durationSeconds !== undefined, v.startAt !== undefined, v.startOffsetSeconds !== undefined].filter(
        Boolean,
      ).length === 1,
    { message: 'give exactly one of durationSeconds, startAt/endAt, or startOffsetSeconds/endOffsetSeconds' },
  );
export type CaptureReplayInput = z.input<typeof captureInputSchema>;

export const sessionAccessSchema = z.object({ sessionId: libraryId, userId: externalId });

/** Parses `input` with `schema`, turning problems into INVALID_INPUT naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || what}: ${issue.message}`);
  throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, `Invalid ${what} — ${problems.join('; ')}`, {
    details: { fields: result.error.issues.map((issue) => issue.path.join('.')) },
  });
}
