import type { ReplayBufferManager } from '@livekit-replay/core';
import { HttpCode, Inject, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { REPLAY_BUFFER_MANAGER } from '../tokens.js';
import { readRawBody } from './raw-body.js';

/**
 * LiveKit's webhook: the raw body exactly as received (LiveKit sends `application/webhook+json`)
 * and the `Authorization` header go to the manager unchanged. A bad signature is WEBHOOK_INVALID
 * (401) and changes nothing. Its path is set per registration (`webhookPath`).
 */
export class WebhookController {
  constructor(@Inject(REPLAY_BUFFER_MANAGER) private readonly manager: ReplayBufferManager) {}

  @Post()
  @HttpCode(200)
  async receive(@Req() req: Request) {
    const body = await readRawBody(req);
    return this.manager.handleWebhook({ body, authorization: req.headers.authorization });
  }
}
