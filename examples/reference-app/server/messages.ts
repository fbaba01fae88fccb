/**
 * The chat side of the demo: one voice channel with a message feed, and direct messages. Shared
 * clips arrive here through the replay manager's ClipSharer hook — the seam where a real app
 * posts into its own chat. Messages are kept in a JSON file in the data directory.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClipSharer } from '@livekit-replay/core';
import type { ClipShareRequest, ClipShareResult } from '@livekit-replay/core/adapter';
import { Controller, Get, Inject, Param, Req, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import type { ChatMessage, DemoUser } from '../shared/demo-api-types.js';
import { DemoAuthGuard } from './demo-auth.js';

export const DEMO_CHANNEL = {
  id: 'general',
  name: 'general',
  roomName: 'general-voice',
  communityId: 'demo',
} as const;

export class MessageFeed implements ClipSharer {
  private messages: ChatMessage[] = [];
  private writing = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(dataDir: string): Promise<MessageFeed> {
    await mkdir(dataDir, { recursive: true });
    const feed = new MessageFeed(path.join(dataDir, 'messages.json'));
    try {
      feed.messages = JSON.parse(await readFile(feed.file, 'utf8')) as ChatMessage[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return feed;
  }

  /** ClipSharer: the manager has checked ownership and made the clip public already. */
  async share(request: ClipShareRequest): Promise<ClipShareResult> {
    const message: ChatMessage = {
      id: randomUUID(),
      kind: request.target,
      channelId: request.target === 'channel' ? (request.channelId ?? DEMO_CHANNEL.id) : null,
      recipientUserId: request.recipientUserId,
      authorId: request.sharedByUserId,
      text: request.message,
      clipId: request.clip.id,
      createdAt: new Date().toISOString(),
    };
    this.messages.push(message);
    await this.persist();
    return { messageId: message.id };
  }

  channel(channelId: string): ChatMessage[] {
    return this.messages.filter((m) => m.kind === 'channel' && m.channelId === channelId);
  }

  directMessages(userId: string): ChatMessage[] {
    return this.messages.filter(
      (m) => m.kind === 'dm' && (m.recipientUserId === userId || m.authorId === userId),
    );
  }

  /** Writes are serialised and atomic (temp file + rename), so a crash never leaves half a file. */
  private persist(): Promise<void> {
    const snapshot = JSON.stringify(this.messages, null, 1);
    this.writing = this.writing.then(async () => {
      const temp = `${this.file}.${process.pid}.tmp`;
      await writeFile(temp, snapshot);
      await rename(temp, this.file);
    });
    return this.writing;
  }
}

export const MESSAGE_FEED = Symbol('MESSAGE_FEED');

@Controller('api')
@UseGuards(DemoAuthGuard)
export class MessagesController {
  constructor(@Inject(MESSAGE_FEED) private readonly feed: MessageFeed) {}

  @Get('channels')
  channels() {
    return [DEMO_CHANNEL];
  }

  @Get('channels/:channelId/messages')
  channelMessages(@Param('channelId') channelId: string): ChatMessage[] {
    return this.feed.channel(channelId);
  }

  @Get('dms')
  dms(@Req() req: Request & { user: DemoUser }): ChatMessage[] {
    return this.feed.directMessages(req.user.id);
  }
}
