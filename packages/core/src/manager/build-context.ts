import type EventEmitter from 'eventemitter3';
import type { ReplayConfig } from '../config.js';
import type { ReplayManagerEvents } from '../events.js';
import { LiveKitEgressGateway } from '../livekit/livekit-egress-gateway.js';
import { FfmpegMediaPipeline } from '../media/index.js';
import { withPreviewRemux } from '../media/preview-media.js';
import { createMemoryStores } from '../memory/create-memory-stores.js';
import { InProcessJobLock } from '../memory/in-process-job-lock.js';
import { InProcessNotifier } from '../memory/in-process-notifier.js';
import { type RateLimitWindow, SlidingWindowRateLimiter } from '../memory/sliding-window-rate-limiter.js';
import { CaptureSlots } from '../runtime/capture-slots.js';
import type { ManagerContext } from '../runtime/context.js';
import { createSegmentProber } from '../segments/segment-probe.js';
import { LocalClipStorage } from '../storage/local-clip-storage.js';
import { LocalSegmentSourceFactory } from '../storage/local-segment-source.js';
import type { ReplayBufferManagerOptions } from './options.js';

/** Production's limits: 3 saves a minute and 15 an hour per user. */
export const DEFAULT_CAPTURE_RATE_LIMITS: RateLimitWindow[] = [
  { limit: 3, windowMs: 60_000 },
  { limit: 15, windowMs: 3_600_000 },
];

/**
 * Fills every port the options leave out with its default (in-memory stores, in-process
 * coordination, ffmpeg, local storage, livekit-server-sdk) and says once, through `warning`,
 * when records would live in memory only.
 */
export function buildContext(
  config: ReplayConfig,
  options: ReplayBufferManagerOptions,
  events: EventEmitter<ReplayManagerEvents>,
): ManagerContext {
  const stores = options.stores ?? {};
  const memory = createMemoryStores();
  const missing = (['sessions', 'clips', 'quotas', 'communities'] as const).filter((name) => !stores[name]);
  const coordination = options.coordination ?? {};
  const hooks = options.hooks ?? {};
  const media =
    options.media ??
    new FfmpegMediaPipeline({ ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath });
  const segmentProber = createSegmentProber();
  const rateLimiter = coordination.rateLimiter ?? new SlidingWindowRateLimiter(DEFAULT_CAPTURE_RATE_LIMITS);
  if (missing.length > 0) {
    // After the constructor returns, so a listener attached right away hears it.
    process.nextTick(() =>
      events.emit('warning', {
        code: 'IN_MEMORY_STORES',
        message: `No ${missing.join(', ')} store given: using in-memory ones (one process; everything is lost on restart). Pass stores (e.g. @livekit-replay/adapter-prisma) in production.`,
      }),
    );
  }
  return {
    config,
    sessions: stores.sessions ?? memory.sessions,
    clips: stores.clips ?? memory.clips,
    quotas: stores.quotas ?? memory.quotas,
    communities: stores.communities ?? memory.communities,
    egress: options.egress ?? new LiveKitEgressGateway(config.livekit),
    storage: options.storage ?? new LocalClipStorage(config.clipsDir),
    media: withPreviewRemux(media, config.ffmpegPath),
    notifier: coordination.notifier ?? new InProcessNotifier(),
    jobLock: coordination.jobLock ?? new InProcessJobLock(),
    segmentProber,
    segments:
      options.segments ?? new LocalSegmentSourceFactory(config.segmentsDir, { prober: segmentProber }),
    events,
    captureSlots: new CaptureSlots(config.maxConcurrentCaptures),
    rateLimiter: rateLimiter === false ? null : rateLimiter,
    authorize: hooks.authorize ?? null,
    clipSharer: hooks.clipSharer ?? null,
    clipFileRecords: hooks.clipFileRecords ?? null,
    previewUrl: hooks.previewUrl ?? null,
    resolveParticipant: hooks.resolveParticipant ?? null,
  };
}
