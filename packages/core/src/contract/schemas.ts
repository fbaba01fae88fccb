/**
 * The HTTP contract between the Nest package and the React client: request bodies, queries and
 * JSON responses as zod schemas. Browser-safe: this folder imports nothing from Node or from the
 * rest of core, so `@livekit-replay/core/contract` can be bundled into a web app.
 *
 * Instants travel as ISO-8601 strings; durations in seconds; sizes in bytes.
 */
import { z } from 'zod';

/** Ids the integrator supplies (users, rooms, tracks, communities, channels): opaque, printable, bounded. */
export const externalIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** Ids this library generates (sessions, clips): they end up in paths, so letters, digits, `_`, `-`. */
export const libraryIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'is not a valid id');

export const qualityPresetSchema = z.enum(['720p', '1080p', '1440p', 'source']);
export const clipVisibilitySchema = z.enum(['private', 'public']);
export const cutModeSchema = z.enum(['accurate', 'fast']);
export const sessionStatusSchema = z.enum(['starting', 'active', 'stopped', 'failed']);

/** An absolute instant: ISO string with offset, or epoch milliseconds. */
export const instantSchema = z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]);

// ---- requests ----------------------------------------------------------------------------

export const startBufferRequestSchema = z.object({
  roomName: externalIdSchema,
  videoTrackId: externalIdSchema,
  audioTrackId: externalIdSchema.optional(),
  channelId: externalIdSchema.optional(),
  communityId: externalIdSchema.optional(),
  quality: qualityPresetSchema.optional(),
  sourceDimensions: z
    .object({ width: z.number().int().min(16).max(7680), height: z.number().int().min(16).max(4320) })
    .optional(),
});
export type StartBufferRequest = z.input<typeof startBufferRequestSchema>;

export const shareTargetSchema = z.discriminatedUnion('target', [
  z.object({
    target: z.literal('channel'),
    channelId: externalIdSchema.optional(),
    message: z.string().max(2000).optional(),
  }),
  z.object({
    target: z.literal('dm'),
    recipientUserId: externalIdSchema,
    message: z.string().max(2000).optional(),
  }),
]);
export type ShareTarget = z.input<typeof shareTargetSchema>;

/** Exactly one of: `durationSeconds` (the last N seconds, ending at the press) or `startAt` + `endAt`. */
export const captureRequestSchema = z
  .object({
    durationSeconds: z.number().positive().max(3600).optional(),
    startAt: instantSchema.optional(),
    endAt: instantSchema.optional(),
    mode: cutModeSchema.optional(),
    visibility: clipVisibilitySchema.optional(),
    title: z.string().max(200).optional(),
    /** Post the clip once saved (the integrator's ClipSharer does the posting). */
    share: shareTargetSchema.optional(),
  })
  .refine((v) => (v.durationSeconds !== undefined) !== (v.startAt !== undefined && v.endAt !== undefined), {
    message: 'give either durationSeconds or both startAt and endAt',
  });
export type CaptureRequest = z.input<typeof captureRequestSchema>;

/** `GET stream`: download without saving. Query strings arrive as text, hence the coercion. */
export const streamQuerySchema = z
  .object({
    durationSeconds: z.coerce.number().positive().max(3600).optional(),
    startAt: z.union([z.iso.datetime({ offset: true }), z.coerce.number().int().nonnegative()]).optional(),
    endAt: z.union([z.iso.datetime({ offset: true }), z.coerce.number().int().nonnegative()]).optional(),
    mode: cutModeSchema.optional(),
  })
  .refine((v) => (v.durationSeconds !== undefined) !== (v.startAt !== undefined && v.endAt !== undefined), {
    message: 'give either durationSeconds or both startAt and endAt',
  });
export type StreamQuery = z.input<typeof streamQuerySchema>;

export const listClipsQuerySchema = z.object({
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});
export type ListClipsQuery = z.input<typeof listClipsQuerySchema>;

export const updateClipRequestSchema = z
  .object({ visibility: clipVisibilitySchema.optional(), title: z.string().max(200).nullable().optional() })
  .refine((v) => v.visibility !== undefined || v.title !== undefined, { message: 'nothing to change' });
export type UpdateClipRequest = z.input<typeof updateClipRequestSchema>;

export const thumbnailsQuerySchema = z.object({
  count: z.coerce.number().int().min(1).max(200).optional(),
  width: z.coerce.number().int().min(32).max(640).optional(),
});

export const communityConfigRequestSchema = z.object({
  enabled: z.boolean(),
  maxConcurrent: z.number().int().min(0).max(10_000),
});
export const userQuotaRequestSchema = z.object({ limitBytes: z.number().int().min(0) });
export type CommunityConfigDto = z.infer<typeof communityConfigRequestSchema> & { communityId: string };

// ---- responses ---------------------------------------------------------------------------

export const publicSessionSchema = z.object({
  id: libraryIdSchema,
  status: sessionStatusSchema,
  roomName: z.string(),
  channelId: z.string().nullable(),
  egressId: z.string().nullable(),
  quality: qualityPresetSchema,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
});
export type PublicSessionDto = z.infer<typeof publicSessionSchema>;

export const bufferStatusSchema = z.object({
  session: publicSessionSchema,
  /** Live, but nothing saveable recorded yet. */
  warmingUp: z.boolean(),
  canCapture: z.boolean(),
  bufferStart: z.string().nullable(),
  bufferEnd: z.string().nullable(),
  bufferedSeconds: z.number(),
  gapCount: z.number().int(),
  /** Estimated clip size per preset length, from the measured bitrate. */
  sizeEstimates: z.array(z.object({ seconds: z.number(), available: z.boolean(), bytes: z.number() })),
});
export type BufferStatusDto = z.infer<typeof bufferStatusSchema>;

/** `GET session`: the user's live (or just-ended, still saveable) buffer, or null. */
export const activeSessionResponseSchema = z.object({ status: bufferStatusSchema.nullable() });

export const roomStatusSchema = z.object({
  roomName: z.string(),
  buffering: z.array(
    z.object({ userId: z.string(), sessionId: libraryIdSchema, status: sessionStatusSchema }),
  ),
});

export type RoomStatusDto = z.infer<typeof roomStatusSchema>;

export const clipMetadataSchema = z.object({
  clampedStart: z.boolean(),
  clampedEnd: z.boolean(),
  /** Why the end was clamped, when it was (e.g. `live_edge_timeout`, `buffer_ended`). */
  clampReason: z.string().nullable().optional(),
  gaps: z.array(z.object({ start: z.string(), durationSeconds: z.number() })),
  cutMode: cutModeSchema,
  segmentCount: z.number().int(),
});

/** A clip as its owner sees it. */
export const clipSchema = z.object({
  id: libraryIdSchema,
  ownerId: z.string(),
  sessionId: z.string(),
  channelId: z.string().nullable(),
  title: z.string().nullable(),
  visibility: clipVisibilitySchema,
  durationSeconds: z.number(),
  sizeBytes: z.number(),
  width: z.number(),
  height: z.number(),
  mimeType: z.string(),
  sha256: z.string(),
  requestedStart: z.string(),
  requestedEnd: z.string(),
  actualStart: z.string(),
  actualEnd: z.string(),
  hasPoster: z.boolean(),
  metadata: clipMetadataSchema,
  createdAt: z.string(),
});
export type ClipDto = z.infer<typeof clipSchema>;

/** A clip as anyone else sees it (public listings): no internals. */
export const publicClipSchema = clipSchema.pick({
  id: true,
  ownerId: true,
  title: true,
  visibility: true,
  durationSeconds: true,
  sizeBytes: true,
  width: true,
  height: true,
  mimeType: true,
  actualStart: true,
  actualEnd: true,
  hasPoster: true,
  createdAt: true,
});
export type PublicClipDto = z.infer<typeof publicClipSchema>;

export const clipPageSchema = z.object({ items: z.array(clipSchema), nextCursor: z.string().nullable() });
export const publicClipPageSchema = z.object({
  items: z.array(publicClipSchema),
  nextCursor: z.string().nullable(),
});

export type ClipPageDto = z.infer<typeof clipPageSchema>;
export type PublicClipPageDto = z.infer<typeof publicClipPageSchema>;

export const quotaSchema = z.object({
  userId: z.string(),
  limitBytes: z.number(),
  usedBytes: z.number(),
  reservedBytes: z.number(),
});
export type QuotaDto = z.infer<typeof quotaSchema>;

export const deleteClipResponseSchema = z.object({ deleted: z.boolean(), freedBytes: z.number() });
export const shareClipResponseSchema = z.object({
  clip: clipSchema,
  messageId: z.string(),
  madePublic: z.boolean(),
});

export type DeleteClipResponse = z.infer<typeof deleteClipResponseSchema>;
export type ShareClipResponse = z.infer<typeof shareClipResponseSchema>;

export const previewSchema = z.object({
  sessionId: z.string(),
  /** URL of the VOD playlist for hls.js (relative to the API base). */
  playlistUrl: z.string(),
  start: z.string(),
  end: z.string(),
  durationSeconds: z.number(),
  /** Frames per second of the source, so a trim UI can step one frame. */
  frameRate: z.number().nullable(),
  /** Player time → wall clock: each segment's player offset and its wall-clock start. */
  segments: z.array(
    z.object({ name: z.string(), offsetSeconds: z.number(), start: z.string(), durationSeconds: z.number() }),
  ),
});
export type PreviewDto = z.infer<typeof previewSchema>;

export const thumbnailsSchema = z.object({
  sessionId: z.string(),
  start: z.string(),
  end: z.string(),
  width: z.number(),
  items: z.array(z.object({ name: z.string(), at: z.string(), url: z.string() })),
});

export type ThumbnailsDto = z.infer<typeof thumbnailsSchema>;

/** Every error answer: `userMessage` can be shown to a person as it is. */
export const errorResponseSchema = z.object({
  code: z.string(),
  message: z.string(),
  userMessage: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorResponse = z.infer<typeof errorResponseSchema>;
