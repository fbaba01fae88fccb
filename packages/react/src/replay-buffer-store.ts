import type { PublicSessionDto, ReplayNotification } from '@livekit-replay/core/contract';
import { type LocalTrackPublication, type Participant, type Room, RoomEvent, Track } from 'livekit-client';
import type { BufferStatus, ReplayClient } from './client.js';
import { type ReplayErrorInfo, toErrorInfo } from './errors.js';
import type { ReplayNotificationSource } from './notifications.js';
import { Store } from './store.js';

export type ReplayBufferPhase =
  | 'idle'
  | 'starting'
  | 'warming-up'
  | 'recording'
  | 'stopping'
  | 'stopped'
  | 'failed';

export interface SizeEstimate {
  seconds: number;
  available: boolean;
  bytes: number;
}

export interface ReplayBufferSnapshot {
  phase: ReplayBufferPhase;
  /** The buffer the server reports (live, or just ended and still saveable). */
  session: PublicSessionDto | null;
  status: BufferStatus | null;
  bufferedSeconds: number;
  sizeEstimates: SizeEstimate[];
  canCapture: boolean;
  /** The local participant is publishing a screen share. */
  sharing: boolean;
  error: ReplayErrorInfo | null;
}

export interface ReplayBufferOptions {
  client: ReplayClient;
  room: Room;
  notifications?: ReplayNotificationSource;
  /** The server starts and stops buffers (webhooks); the hook only shows their state. */
  autoStart?: boolean;
  quality?: '720p' | '1080p' | '1440p' | 'source';
  channelId?: string;
  communityId?: string;
  /** Share toggles within this window are coalesced into one start or stop (default 250 ms). */
  settleMs?: number;
  /** How often buffered seconds are refreshed while live (default 5000 ms). */
  pollIntervalMs?: number;
}

interface Tracks {
  video: { sid: string; width?: number; height?: number } | null;
  audio: string | null;
}

const initialSnapshot: ReplayBufferSnapshot = {
  phase: 'idle',
  session: null,
  status: null,
  bufferedSeconds: 0,
  sizeEstimates: [],
  canCapture: false,
  sharing: false,
  error: null,
};

function phaseOf(status: BufferStatus | null): ReplayBufferPhase {
  if (!status) return 'idle';
  switch (status.session.status) {
    case 'starting':
      return 'warming-up';
    case 'active':
      return status.warmingUp ? 'warming-up' : 'recording';
    case 'stopped':
      return 'stopped';
    default:
      return 'failed';
  }
}

/**
 * The replay buffer of the local participant, driven by its screen share: publishing a
 * ScreenShare track starts a buffer (with ScreenShareAudio, whichever arrives first),
 * unpublishing stops it. Requests are serialised, and the latest wanted state wins.
 */
export class ReplayBufferStore extends Store<ReplayBufferSnapshot> {
  readonly #o: ReplayBufferOptions;
  #wanted: Tracks = { video: null, audio: null };
  /** What the running buffer was started with (null: no buffer of ours runs). */
  #applied: { video: string; audio: string | null } | null = null;
  /** A video track whose buffer ended on the server side: not restarted until the share changes. */
  #endedVideo: string | null = null;
  #failedVideo: string | null = null;
  #busy = false;
  #again = false;
  #settle: ReturnType<typeof setTimeout> | undefined;
  #poll: ReturnType<typeof setInterval> | undefined;
  #cleanups: (() => void)[] = [];
  #disposed = false;
  /** Bumped by every request that sets the phase, so a slower status refresh cannot overwrite it. */
  #generation = 0;

  constructor(options: ReplayBufferOptions) {
    super(initialSnapshot);
    this.#o = options;
  }

  /** Attaches to the room and the notifications; returns the detach. */
  attach(): () => void {
    this.#disposed = false;
    const { room } = this.#o;
    const participant = room.localParticipant;
    for (const pub of participant.trackPublications.values()) this.#onPublished(pub as LocalTrackPublication);
    const published = (pub: LocalTrackPublication, p: Participant) => {
      if (p === room.localParticipant) this.#onPublished(pub);
    };
    const unpublished = (pub: LocalTrackPublication, p: Participant) => {
      if (p === room.localParticipant) this.#onUnpublished(pub);
    };
    room.on(RoomEvent.LocalTrackPublished, published);
    room.on(RoomEvent.LocalTrackUnpublished, unpublished);
    this.#cleanups.push(() => {
      room.off(RoomEvent.LocalTrackPublished, published);
      room.off(RoomEvent.LocalTrackUnpublished, unpublished);
    });
    if (this.#o.notifications) {
      this.#cleanups.push(this.#o.notifications.subscribe((n) => this.#onNotification(n)));
    }
    void this.#exclusive(() => this.#resume());
    return () => this.dispose();
  }

  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#settle);
    clearInterval(this.#poll);
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
  }

  /** Re-reads the server's view (buffered seconds, size estimates). */
  async refresh(): Promise<void> {
    const generation = this.#generation;
    try {
      const status = await this.#o.client.getSession();
      if (generation !== this.#generation || this.#disposed) return;
      this.#showStatus(status);
    } catch (error) {
      if (generation === this.#generation) this.setState({ error: toErrorInfo(error) });
    }
  }

  #onPublished(pub: LocalTrackPublication): void {
    if (pub.source === Track.Source.ScreenShare) {
      const { width, height } = pub.dimensions ?? {};
      this.#wanted = { ...this.#wanted, video: { sid: pub.trackSid, width, height } };
    } else if (pub.source === Track.Source.ScreenShareAudio) {
      this.#wanted = { ...this.#wanted, audio: pub.trackSid };
    } else return;
    this.#changed();
  }

  #onUnpublished(pub: LocalTrackPublication): void {
    if (pub.source === Track.Source.ScreenShare && this.#wanted.video?.sid === pub.trackSid) {
      this.#wanted = { ...this.#wanted, video: null };
    } else if (pub.source === Track.Source.ScreenShareAudio && this.#wanted.audio === pub.trackSid) {
      this.#wanted = { ...this.#wanted, audio: null };
    } else return;
    this.#changed();
  }

  #changed(): void {
    this.setState({ sharing: this.#wanted.video !== null });
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => void this.#exclusive(() => this.#reconcile()), this.#o.settleMs ?? 250);
  }

  /** Runs one task at a time; a call while busy runs the reconcile again afterwards. */
  async #exclusive(task: () => Promise<void>): Promise<void> {
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    try {
      await task();
      while (this.#again && !this.#disposed) {
        this.#again = false;
        await this.#reconcile();
      }
    } finally {
      this.#busy = false;
    }
  }

  /** After a reload: a live buffer on the server is adopted, not started again. */
  async #resume(): Promise<void> {
    let status: BufferStatus | null;
    try {
      status = await this.#o.client.getSession();
    } catch (error) {
      this.setState({ error: toErrorInfo(error) });
      return;
    }
    const live = status && (status.session.status === 'starting' || status.session.status === 'active');
    if (live && this.#wanted.video && !this.#o.autoStart) {
      this.#applied = { video: this.#wanted.video.sid, audio: this.#wanted.audio };
    }
    this.#showStatus(status);
    this.#again = true;
  }

  async #reconcile(): Promise<void> {
    if (this.#o.autoStart || this.#disposed) {
      if (this.#o.autoStart) await this.refresh();
      return;
    }
    const want = this.#wanted;
    const applied = this.#applied;
    if (want.video) {
      const sid = want.video.sid;
      if (sid === this.#endedVideo || sid === this.#failedVideo) return;
      const needsStart = applied?.video !== sid || (want.audio !== null && applied.audio !== want.audio);
      if (needsStart) await this.#start(want);
    } else if (applied) {
      await this.#stop();
    }
  }

  async #start(want: Tracks): Promise<void> {
    const video = want.video!;
    const generation = ++this.#generation;
    this.setState({ phase: 'starting', error: null });
    try {
      const session = await this.#o.client.startBuffer({
        roomName: this.#o.room.name,
        videoTrackId: video.sid,
        audioTrackId: want.audio ?? undefined,
        quality: this.#o.quality,
        channelId: this.#o.channelId,
        communityId: this.#o.communityId,
        sourceDimensions:
          video.width && video.height ? { width: video.width, height: video.height } : undefined,
      });
      this.#applied = { video: video.sid, audio: want.audio };
      this.#endedVideo = null;
      this.#failedVideo = null;
      if (generation === this.#generation) {
        this.setState({ session, phase: session.status === 'failed' ? 'failed' : 'warming-up' });
      }
      this.#generation++;
      await this.refresh();
    } catch (error) {
      this.#applied = null;
      this.#failedVideo = video.sid;
      this.setState({ phase: 'failed', error: toErrorInfo(error) });
    }
  }

  async #stop(): Promise<void> {
    this.#generation++;
    const sessionId = this.getSnapshot().session?.id;
    this.setState({ phase: 'stopping', error: null });
    try {
      const session = await this.#o.client.stopBuffer(sessionId ? { sessionId } : {});
      this.setState({ session });
    } catch (error) {
      // The buffer is gone either way; say why only when it is not simply already stopped.
      const info = toErrorInfo(error);
      if (info.code !== 'SESSION_NOT_FOUND') this.setState({ error: info });
    }
    this.#applied = null;
    this.#generation++;
    await this.refresh();
    if (this.getSnapshot().phase === 'idle') this.setState({ phase: 'stopped' });
  }

  #showStatus(status: BufferStatus | null): void {
    const current = this.getSnapshot();
    let phase = phaseOf(status);
    // "stopped" stays until the next start, even once the server forgets the buffer.
    if (phase === 'idle' && current.phase === 'stopped') phase = 'stopped';
    this.setState({
      phase,
      status,
      session: status?.session ?? (phase === 'idle' ? null : current.session),
      bufferedSeconds: status?.bufferedSeconds ?? 0,
      sizeEstimates: status?.sizeEstimates ?? [],
      canCapture: status?.canCapture ?? false,
    });
    this.#pollWhileLive(phase === 'warming-up' || phase === 'recording');
  }

  #pollWhileLive(live: boolean): void {
    if (live && !this.#poll && !this.#disposed) {
      this.#poll = setInterval(() => void this.refresh(), this.#o.pollIntervalMs ?? 5000);
    } else if (!live && this.#poll) {
      clearInterval(this.#poll);
      this.#poll = undefined;
    }
  }

  #onNotification(n: ReplayNotification): void {
    const current = this.getSnapshot().session;
    const ours = !current || n.sessionId === null || n.sessionId === current.id;
    if (n.type === 'REPLAY_BUFFER_STARTED') {
      this.#generation++;
      this.setState({ session: n.session });
      void this.refresh();
    } else if (n.type === 'REPLAY_BUFFER_STOPPED' && ours) {
      if (this.#applied) this.#endedVideo = this.#applied.video;
      this.#applied = null;
      this.#generation++;
      this.setState({ phase: 'stopped' });
      void this.refresh();
    } else if (n.type === 'REPLAY_BUFFER_FAILED' && ours) {
      if (this.#applied) this.#failedVideo = this.#applied.video;
      this.#applied = null;
      this.#generation++;
      this.#pollWhileLive(false);
      this.setState({
        phase: 'failed',
        error: { code: n.code, message: n.error, userMessage: n.userMessage },
      });
    }
  }
}
