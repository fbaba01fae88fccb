import { randomBytes } from 'node:crypto';
import { ParticipantInfo, Room, TrackInfo, TrackSource, TrackType, WebhookEvent } from '@livekit/protocol';
import { signWebhook } from './auth.js';
import { livekitId } from './util.js';

export type RoomWebhookName =
  | 'participant_joined'
  | 'participant_left'
  | 'track_published'
  | 'track_unpublished';

/** One room webhook the emulator sent, exactly as posted. */
export interface RoomWebhookLogEntry {
  id: string;
  event: RoomWebhookName;
  roomName: string;
  identity: string;
  trackSid: string | null;
  body: string;
  authorization: string;
  /** HTTP status of the answer, or null when nothing answered (or no webhook URL). */
  httpStatus: number | null;
}

/** The tracks of one emulated screen share. */
export interface EmulatedScreenShare {
  roomName: string;
  identity: string;
  videoTrackSid: string;
  audioTrackSid: string | null;
}

function trackSid(): string {
  return `TR_${randomBytes(9).toString('base64url').slice(0, 12)}`;
}

/**
 * Emulates participants of a LiveKit room publishing and unpublishing a screen share: each step
 * posts the signed room webhook LiveKit's server would (`track_published` / `track_unpublished`
 * with `room`, `participant` and `track`, `source` SCREEN_SHARE or SCREEN_SHARE_AUDIO), one at a
 * time and in order. Each call resolves once the webhook was answered, so a test can assert on
 * its effect right away.
 */
export class EmulatedRooms {
  readonly log: RoomWebhookLogEntry[] = [];
  private readonly rooms = new Map<string, string>();
  private readonly participants = new Map<string, string>();

  constructor(
    private readonly options: { apiKey: string; apiSecret: string; url: () => string | undefined },
  ) {}

  /**
   * `track_published` for the screen-share video; with `audio`, its audio right after (or, with
   * `'first'`, right before: browsers publish both at once, so either order happens).
   */
  async publishScreenShare(input: {
    roomName: string;
    identity: string;
    audio?: boolean | 'first';
    width?: number;
    height?: number;
  }): Promise<EmulatedScreenShare> {
    const share: EmulatedScreenShare = {
      roomName: input.roomName,
      identity: input.identity,
      videoTrackSid: trackSid(),
      audioTrackSid: null,
    };
    if (input.audio === 'first') await this.publishScreenShareAudio(share);
    await this.send('track_published', share, this.videoTrack(share, input.width, input.height));
    if (input.audio === true) await this.publishScreenShareAudio(share);
    return share;
  }

  /** `track_published` for SCREEN_SHARE_AUDIO of a share already published (browsers may send it later). */
  async publishScreenShareAudio(share: EmulatedScreenShare): Promise<EmulatedScreenShare> {
    share.audioTrackSid = trackSid();
    await this.send('track_published', share, this.audioTrack(share.audioTrackSid));
    return share;
  }

  /** `track_unpublished` for the share's tracks (audio first, like a browser's "Stop sharing"). */
  async unpublishScreenShare(share: EmulatedScreenShare): Promise<void> {
    if (share.audioTrackSid)
      await this.send('track_unpublished', share, this.audioTrack(share.audioTrackSid));
    await this.send('track_unpublished', share, this.videoTrack(share));
  }

  /** `participant_left`: LiveKit sends it when a participant leaves or its connection drops. */
  async leave(share: Pick<EmulatedScreenShare, 'roomName' | 'identity'>): Promise<void> {
    await this.send('participant_left', share, undefined);
  }

  private videoTrack(share: EmulatedScreenShare, width = 1920, height = 1080): TrackInfo {
    return new TrackInfo({
      sid: share.videoTrackSid,
      type: TrackType.VIDEO,
      source: TrackSource.SCREEN_SHARE,
      name: 'screen',
      width,
      height,
    });
  }

  private audioTrack(sid: string): TrackInfo {
    return new TrackInfo({
      sid,
      type: TrackType.AUDIO,
      source: TrackSource.SCREEN_SHARE_AUDIO,
      name: 'screen_audio',
    });
  }

  private async send(
    event: RoomWebhookName,
    who: Pick<EmulatedScreenShare, 'roomName' | 'identity'>,
    track: TrackInfo | undefined,
  ): Promise<RoomWebhookLogEntry> {
    const roomSid = this.rooms.get(who.roomName) ?? livekitId('RM_');
    this.rooms.set(who.roomName, roomSid);
    const key = `${who.roomName}\u0000${who.identity}`;
    const participantSid =
      this.participants.get(key) ?? `PA_${randomBytes(9).toString('base64url').slice(0, 12)}`;
    this.participants.set(key, participantSid);
    const webhook = new WebhookEvent({
      room: new Room({ sid: roomSid, name: who.roomName }),
      participant: new ParticipantInfo({ sid: participantSid, identity: who.identity }),
      ...(track ? { track } : {}),
      id: livekitId('EV_'),
      createdAt: BigInt(Math.floor(Date.now() / 1000)),
    });
    // Set after construction: see DESIGN.md (the SDK's constructor can drop `event`).
    webhook.event = event;
    const body = webhook.toJsonString();
    const authorization = await signWebhook(body, this.options.apiKey, this.options.apiSecret);
    const entry: RoomWebhookLogEntry = {
      id: webhook.id,
      event,
      roomName: who.roomName,
      identity: who.identity,
      trackSid: track?.sid ?? null,
      body,
      authorization,
      httpStatus: null,
    };
    this.log.push(entry);
    const url = this.options.url();
    if (url) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/webhook+json', Authorization: authorization },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        entry.httpStatus = res.status;
      } catch {
        entry.httpStatus = null;
      }
    }
    return entry;
  }
}
