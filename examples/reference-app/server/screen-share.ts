/**
 * How a user's screen share reaches LiveKit. With a real LiveKit server the browser connects
 * with a token from here and publishes `getDisplayMedia`; without one, the egress emulator plays
 * a participant publishing a screen share, with the room webhooks LiveKit would send, and the
 * replay buffer starts from those webhooks (server-driven autoStart) exactly as in production.
 */
import type { EgressEmulator, EmulatedScreenShare } from '@livekit-replay/testing';
import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common';
import type { Request } from 'express';
import { AccessToken } from 'livekit-server-sdk';
import type { DemoUser } from '../shared/demo-api-types.js';
import { DemoAuthGuard } from './demo-auth.js';
import type { AppEnvironment } from './environment.js';
import { DEMO_CHANNEL } from './messages.js';

export const APP_ENVIRONMENT = Symbol('APP_ENVIRONMENT');
export const EMULATOR = Symbol('EMULATOR');

type AuthedRequest = Request & { user: DemoUser };

@Controller('api/demo')
@UseGuards(DemoAuthGuard)
export class ScreenShareController {
  private readonly shares = new Map<string, EmulatedScreenShare>();

  constructor(
    @Inject(APP_ENVIRONMENT) private readonly env: AppEnvironment,
    @Inject(EMULATOR) private readonly emulator: EgressEmulator | null,
  ) {}

  /** Which kind of screen share the frontend offers. */
  @Get('mode')
  mode() {
    const autoStart = this.env.serverAutoStart;
    return this.env.livekit
      ? { mode: 'livekit' as const, livekitUrl: this.env.livekit.url, channel: DEMO_CHANNEL, autoStart }
      : { mode: 'emulated' as const, livekitUrl: null, channel: DEMO_CHANNEL, autoStart };
  }

  /** A LiveKit access token for the voice channel's room (real LiveKit only). */
  @Get('livekit-token')
  async token(@Req() req: AuthedRequest): Promise<{ token: string }> {
    if (!this.env.livekit) throw new NotFoundException('No LiveKit server is configured (emulated mode).');
    const token = new AccessToken(this.env.livekit.apiKey, this.env.livekit.apiSecret, {
      identity: req.user.id,
      name: req.user.name,
    });
    token.addGrant({ roomJoin: true, room: DEMO_CHANNEL.roomName, canPublish: true, canSubscribe: true });
    return { token: await token.toJwt() };
  }

  @Get('share')
  current(@Req() req: AuthedRequest): { sharing: boolean } {
    return { sharing: this.shares.has(req.user.id) };
  }

  /** Emulated mode: the user "starts sharing their screen" (video + audio, as a browser does). */
  @Post('share')
  @HttpCode(200)
  async start(@Req() req: AuthedRequest): Promise<{ sharing: boolean }> {
    const emulator = this.requireEmulator();
    if (this.shares.has(req.user.id)) return { sharing: true };
    const share = await emulator.rooms.publishScreenShare({
      roomName: DEMO_CHANNEL.roomName,
      identity: req.user.id,
      audio: true,
    });
    this.shares.set(req.user.id, share);
    return { sharing: true };
  }

  /** Emulated mode: "Stop sharing". */
  @Delete('share')
  @HttpCode(200)
  async stop(@Req() req: AuthedRequest): Promise<{ sharing: boolean }> {
    const emulator = this.requireEmulator();
    const share = this.shares.get(req.user.id);
    if (share) {
      this.shares.delete(req.user.id);
      await emulator.rooms.unpublishScreenShare(share);
    }
    return { sharing: false };
  }

  private requireEmulator(): EgressEmulator {
    if (!this.emulator)
      throw new NotFoundException('Emulated screen share is off: this app talks to a real LiveKit.');
    return this.emulator;
  }
}
