import type { ReplayBufferManager } from '@livekit-replay/core';
import {
  type CaptureRequest,
  captureRequestSchema,
  libraryIdSchema,
  replayRoutes,
  routePath,
  type StartBufferRequest,
  startBufferRequestSchema,
  streamQuerySchema,
  thumbnailsQuerySchema,
} from '@livekit-replay/core/contract';
import { Body, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { REPLAY_BUFFER_MANAGER } from '../tokens.js';
import { ReplayRequestUsers } from './request-user.js';
import { type SchemaOutput, SchemaPipe } from './schema.pipe.js';
import { contentDisposition, sendStream } from './send-stream.js';

const NO_CACHE = 'no-cache, no-store, must-revalidate';

/** `?sessionId=` on the preview routes (optional: default the caller's current buffer), from the contract's schemas. */
const thumbnailsQuerySchemaWithSession = thumbnailsQuerySchema.extend({
  sessionId: libraryIdSchema.optional(),
});
const previewQuerySchema = thumbnailsQuerySchemaWithSession.pick({ sessionId: true });
const previewQueryPipe = new SchemaPipe(previewQuerySchema, 'preview query');
type PreviewQuery = SchemaOutput<typeof previewQuerySchema>;
const thumbnailsQueryPipe = new SchemaPipe(thumbnailsQuerySchemaWithSession, 'thumbnails query');
type ThumbnailsQuery = SchemaOutput<typeof thumbnailsQuerySchemaWithSession>;
type StreamQuery = SchemaOutput<typeof streamQuerySchema>;

/** Buffer control, capture and the trim preview of the caller's own buffer. */
export class ReplayController {
  constructor(
    @Inject(REPLAY_BUFFER_MANAGER) private readonly manager: ReplayBufferManager,
    @Inject(ReplayRequestUsers) private readonly users: ReplayRequestUsers,
  ) {}

  // ── buffer ──────────────────────────────────────────────────────────────────────────

  @Post(replayRoutes.start.path)
  @HttpCode(200)
  async start(
    @Req() req: Request,
    @Body(new SchemaPipe(startBufferRequestSchema, 'start request')) body: StartBufferRequest,
  ) {
    return this.manager.startReplayBuffer({ ...body, userId: await this.users.userId(req) });
  }

  @Post(replayRoutes.stop.path)
  @HttpCode(200)
  async stop(@Req() req: Request) {
    return this.manager.stopReplayBuffer({ userId: await this.users.userId(req) });
  }

  @Get(replayRoutes.session.path)
  async session(@Req() req: Request) {
    return { status: await this.manager.getBufferStatus({ userId: await this.users.userId(req) }) };
  }

  @Get(replayRoutes.room.path)
  async room(@Req() req: Request, @Param('roomName') roomName: string) {
    await this.users.userId(req);
    return this.manager.getRoomStatus({ roomName });
  }

  // ── capture ─────────────────────────────────────────────────────────────────────────

  @Post(replayRoutes.capture.path)
  @HttpCode(201)
  async capture(
    @Req() req: Request,
    @Body(new SchemaPipe(captureRequestSchema, 'capture request')) body: CaptureRequest,
  ) {
    return this.manager.captureReplay({ ...body, userId: await this.users.userId(req) });
  }

  /** The last N seconds (or a range) as an MP4 download, saved nowhere; a client that leaves cancels the work. */
  @Get(replayRoutes.stream.path)
  async stream(
    @Req() req: Request,
    @Res() res: Response,
    @Query(new SchemaPipe(streamQuerySchema, 'stream query')) query: StreamQuery,
  ): Promise<void> {
    const userId = await this.users.userId(req);
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.on('close', onClose);
    const result = await this.manager.streamReplay({ ...query, userId, signal: abort.signal });
    await sendStream(req, res, result.stream, 200, {
      'Content-Type': result.mimeType,
      'Content-Length': result.sizeBytes,
      'Content-Disposition': contentDisposition(result.fileName),
      'Cache-Control': 'no-store',
    });
  }

  // ── trim preview ────────────────────────────────────────────────────────────────────
  // The caller's live (or just-ended) buffer, or the one named by `?sessionId=` (the URLs the
  // preview hands out carry it, so a player keeps reading one buffer).

  @Get(replayRoutes.preview.path)
  async preview(@Req() req: Request, @Query(previewQueryPipe) query: PreviewQuery) {
    return this.manager.getPreview({ ...query, userId: await this.users.userId(req) });
  }

  @Get(replayRoutes.previewPlaylist.path)
  async previewPlaylist(
    @Req() req: Request,
    @Res() res: Response,
    @Query(previewQueryPipe) query: PreviewQuery,
  ): Promise<void> {
    const { playlist, mimeType } = await this.manager.getPreviewPlaylist({
      ...query,
      userId: await this.users.userId(req),
      // Relative to the playlist's own URL (`preview/playlist.m3u8`).
      segmentUrl: ({ sessionId, name }) => `segments/${encodeURIComponent(name)}${sessionQuery(sessionId)}`,
    });
    res.status(200).set({ 'Content-Type': mimeType, 'Cache-Control': NO_CACHE }).send(playlist);
  }

  @Get(replayRoutes.previewSegment.path)
  async previewSegment(
    @Req() req: Request,
    @Res() res: Response,
    @Param('name') name: string,
    @Query(previewQueryPipe) query: PreviewQuery,
  ): Promise<void> {
    const segment = await this.manager.openPreviewSegment({
      ...query,
      userId: await this.users.userId(req),
      name,
    });
    await sendStream(req, res, segment.stream, 200, {
      'Content-Type': segment.mimeType,
      'Content-Length': segment.sizeBytes,
      'Cache-Control': 'private, max-age=3600',
    });
  }

  @Get(replayRoutes.thumbnails.path)
  async thumbnails(@Req() req: Request, @Query(thumbnailsQueryPipe) query: ThumbnailsQuery) {
    const thumbnails = await this.manager.getThumbnails({ ...query, userId: await this.users.userId(req) });
    // URLs of this module's thumbnail route, relative to the API base like the preview's playlistUrl.
    const items = thumbnails.items.map((item) => ({
      ...item,
      url: `${routePath('thumbnail', { name: item.name })}${sessionQuery(thumbnails.sessionId)}`,
    }));
    return { ...thumbnails, items };
  }

  @Get(replayRoutes.thumbnail.path)
  async thumbnail(
    @Req() req: Request,
    @Res() res: Response,
    @Param('name') name: string,
    @Query(previewQueryPipe) query: PreviewQuery,
  ): Promise<void> {
    const image = await this.manager.openThumbnail({ ...query, userId: await this.users.userId(req), name });
    await sendStream(req, res, image.stream, 200, {
      'Content-Type': image.mimeType,
      'Content-Length': image.sizeBytes,
      'Cache-Control': 'private, max-age=3600',
    });
  }
}

function sessionQuery(sessionId: string): string {
  return `?sessionId=${encodeURIComponent(sessionId)}`;
}
