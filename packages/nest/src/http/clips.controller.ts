import type { ReplayBufferManager } from '@livekit-replay/core';
import {
  libraryIdSchema,
  listClipsQuerySchema,
  replayRoutes,
  type ShareTarget,
  shareTargetSchema,
  type UpdateClipRequest,
  updateClipRequestSchema,
} from '@livekit-replay/core/contract';
import {
  Body,
  Delete,
  Get,
  Head,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ReplayBufferModuleOptions } from '../options.js';
import { REPLAY_BUFFER_MANAGER, REPLAY_MODULE_OPTIONS } from '../tokens.js';
import { ReplayRequestUsers } from './request-user.js';
import { type SchemaOutput, SchemaPipe } from './schema.pipe.js';
import { contentDisposition, sendStream } from './send-stream.js';

const clipIdPipe = new SchemaPipe(libraryIdSchema, 'clip id');
const listQueryPipe = new SchemaPipe(listClipsQuerySchema, 'list query');
type ListClipsQuery = SchemaOutput<typeof listClipsQuerySchema>;

/** The clip library: the caller's clips, other users' public ones, files with Range support. */
export class ClipsController {
  constructor(
    @Inject(REPLAY_BUFFER_MANAGER) private readonly manager: ReplayBufferManager,
    @Inject(ReplayRequestUsers) private readonly users: ReplayRequestUsers,
    @Inject(REPLAY_MODULE_OPTIONS) private readonly options: ReplayBufferModuleOptions,
  ) {}

  @Get(replayRoutes.clips.path)
  async list(@Req() req: Request, @Query(listQueryPipe) query: ListClipsQuery) {
    return this.manager.listClips({ ...query, userId: await this.users.userId(req) });
  }

  @Get(replayRoutes.userClips.path)
  async listPublic(
    @Req() req: Request,
    @Param('userId') ownerId: string,
    @Query(listQueryPipe) query: ListClipsQuery,
  ) {
    return this.manager.listPublicClips({ ...query, ownerId, viewerId: await this.users.userId(req) });
  }

  @Get(replayRoutes.quota.path)
  async quota(@Req() req: Request) {
    return this.manager.getQuota({ userId: await this.users.userId(req) });
  }

  @Get(replayRoutes.clip.path)
  async get(@Req() req: Request, @Param('clipId', clipIdPipe) clipId: string) {
    return this.manager.getClip({ clipId, viewerId: await this.users.userId(req) });
  }

  /** Whole file (200) or one byte range (206); 416 with `Content-Range: bytes *\/size` through the filter. */
  @Get(replayRoutes.clipFile.path)
  @Head(replayRoutes.clipFile.path)
  async file(
    @Req() req: Request,
    @Res() res: Response,
    @Param('clipId', clipIdPipe) clipId: string,
  ): Promise<void> {
    const viewerId = await this.users.userId(req);
    if (await this.redirected(res, clipId, viewerId, 'file')) return;
    const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    const file = await this.manager.openClipFile({ clipId, viewerId, ...(range ? { range } : {}) });
    const headers: Record<string, string | number> = {
      'Content-Type': file.mimeType,
      'Content-Length': file.contentLength,
      'Accept-Ranges': 'bytes',
      ETag: `"${file.etag.replace(/"/g, '')}"`,
      'Content-Disposition': contentDisposition(file.fileName),
      'Cache-Control': 'private, max-age=0, must-revalidate',
    };
    if (file.range)
      headers['Content-Range'] = `bytes ${file.range.start}-${file.range.end}/${file.sizeBytes}`;
    await sendStream(req, res, file.stream, file.range ? 206 : 200, headers);
  }

  @Get(replayRoutes.clipPoster.path)
  async poster(
    @Req() req: Request,
    @Res() res: Response,
    @Param('clipId', clipIdPipe) clipId: string,
  ): Promise<void> {
    const viewerId = await this.users.userId(req);
    if (await this.redirected(res, clipId, viewerId, 'poster')) return;
    const poster = await this.manager.openClipPoster({ clipId, viewerId });
    await sendStream(req, res, poster.stream, 200, {
      'Content-Type': poster.mimeType,
      'Content-Length': poster.sizeBytes,
      'Cache-Control': 'private, max-age=3600',
    });
  }

  /** 302 to a presigned storage URL when enabled and the storage can presign; false otherwise. */
  private async redirected(
    res: Response,
    clipId: string,
    viewerId: string,
    kind: 'file' | 'poster',
  ): Promise<boolean> {
    if (this.options.redirectDownloads === false) return false;
    const presigned = await this.manager.getClipFileUrl({ clipId, viewerId, kind });
    if (!presigned) return false;
    // The URL expires soon and is the viewer's own: never cache the redirect.
    res.set('Cache-Control', 'no-store').redirect(302, presigned.url);
    return true;
  }

  @Patch(replayRoutes.updateClip.path)
  async update(
    @Req() req: Request,
    @Param('clipId', clipIdPipe) clipId: string,
    @Body(new SchemaPipe(updateClipRequestSchema, 'clip update')) body: UpdateClipRequest,
  ) {
    return this.manager.updateClip({ ...body, clipId, userId: await this.users.userId(req) });
  }

  @Post(replayRoutes.shareClip.path)
  @HttpCode(200)
  async share(
    @Req() req: Request,
    @Param('clipId', clipIdPipe) clipId: string,
    @Body(new SchemaPipe(shareTargetSchema, 'share target')) share: ShareTarget,
  ) {
    return this.manager.shareClip({ clipId, share, userId: await this.users.userId(req) });
  }

  @Delete(replayRoutes.deleteClip.path)
  async remove(@Req() req: Request, @Param('clipId', clipIdPipe) clipId: string) {
    return this.manager.deleteClip({ clipId, userId: await this.users.userId(req) });
  }
}
