import type { ReplayBufferManager } from '@livekit-replay/core';
import {
  communityConfigRequestSchema,
  externalIdSchema,
  replayRoutes,
  userQuotaRequestSchema,
} from '@livekit-replay/core/contract';
import { Body, ForbiddenException, Get, Inject, Param, Put, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { ResolvedHttpOptions } from '../options.js';
import { REPLAY_BUFFER_MANAGER, REPLAY_HTTP_OPTIONS } from '../tokens.js';
import { ReplayRequestUsers } from './request-user.js';
import { SchemaPipe } from './schema.pipe.js';

const idPipe = new SchemaPipe(externalIdSchema, 'id');

/** Community settings and user quotas: behind `adminGuards` and/or the `isAdmin` hook. */
export class AdminController {
  constructor(
    @Inject(REPLAY_BUFFER_MANAGER) private readonly manager: ReplayBufferManager,
    @Inject(ReplayRequestUsers) private readonly users: ReplayRequestUsers,
    @Inject(REPLAY_HTTP_OPTIONS) private readonly http: ResolvedHttpOptions,
  ) {}

  private async requireAdmin(req: Request): Promise<void> {
    await this.users.userId(req);
    if (!(await this.users.isAdmin(req, this.http.adminGuards.length > 0))) {
      throw new ForbiddenException('Only administrators may change replay settings');
    }
  }

  @Get(replayRoutes.communityConfig.path)
  async communityConfig(@Req() req: Request, @Param('communityId', idPipe) communityId: string) {
    await this.requireAdmin(req);
    return this.manager.getCommunityConfig({ communityId });
  }

  @Put(replayRoutes.setCommunityConfig.path)
  async setCommunityConfig(
    @Req() req: Request,
    @Param('communityId', idPipe) communityId: string,
    @Body(new SchemaPipe(communityConfigRequestSchema, 'community config'))
    body: { enabled: boolean; maxConcurrent: number },
  ) {
    await this.requireAdmin(req);
    return this.manager.setCommunityConfig({ ...body, communityId });
  }

  @Put(replayRoutes.setUserQuota.path)
  async setUserQuota(
    @Req() req: Request,
    @Param('userId', idPipe) userId: string,
    @Body(new SchemaPipe(userQuotaRequestSchema, 'user quota')) body: { limitBytes: number },
  ) {
    await this.requireAdmin(req);
    return this.manager.setUserQuota({ userId, limitBytes: body.limitBytes });
  }
}
