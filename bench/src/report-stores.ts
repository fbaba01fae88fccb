import type { Measured, VerifyOnlyResult, WebhookBenchResult } from './lifecycle.js';
import type { SweepBench } from './maintenance.js';
import { fmt } from './util.js';

export interface StoreResults {
  webhooks: Array<Measured<WebhookBenchResult>>;
  verifyOnly: VerifyOnlyResult | null;
  sweep: SweepBench | null;
}

export function table(header: string[], rows: string[][], align: 'numbers' | 'text' = 'numbers'): string {
  const sep = header.map((_, i) => (i === 0 || align === 'text' ? '---' : '---:'));
  return [header, sep, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** The webhook throughput and maintenance sweep sections (unchanged from the earlier bench). */
export function renderStoreSections(r: StoreResults): string[] {
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);
  // ── Webhooks ──
  if (r.webhooks.length) {
    push(
      '## Webhook throughput',
      '',
      `\`manager.handleWebhook(rawBody, authorization)\` with bodies signed like LiveKit (\`signWebhook\` from \`@livekit-replay/testing\`; signing is done before the clock starts). Each session gets egress_started and egress_updated(ACTIVE) (applied), then redeliveries of those (80 % egress_updated, duplicates that change nothing), then egress_ended(COMPLETE) for one session in ten (applied) and its redelivery. The final state of every session is checked. "Lookups alone" is the store's \`findByEgressId\` (the first store call of every delivery) at the same concurrency, without signature checks; "No-op CAS alone" is \`transition(id, ['starting'], 'active')\` on sessions already active (what a duplicate egress_updated costs after the lookup).`,
      '',
      table(
        [
          'Session store',
          'Events',
          'Sessions',
          'In flight',
          'Events/s',
          'Applied',
          'State checked',
          'Lookups alone/s',
          'No-op CAS alone/s',
        ],
        r.webhooks.map((w) =>
          'error' in w
            ? [w.kind, `not measured (${w.error})`, '', '', '', '', '', '', '']
            : [
                w.description,
                String(w.events),
                String(w.sessions),
                String(w.concurrency),
                fmt(w.eventsPerSecond, 0),
                String(w.applied),
                w.consistent ? 'ok' : '**mismatch**',
                fmt(w.lookupsPerSecond, 0),
                fmt(w.noopTransitionsPerSecond, 0),
              ],
        ),
      ),
      '',
    );
    if (r.verifyOnly) {
      push(
        `Signature check alone (\`WebhookReceiver.receive\`, same body size): ${fmt(r.verifyOnly.sequentialPerSecond, 0)}/s one at a time, ${fmt(r.verifyOnly.concurrentPerSecond, 0)}/s with ${r.verifyOnly.concurrency} in flight.`,
        '',
      );
    }
  }

  // ── Sweep ──
  if (r.sweep) {
    push(
      '## Maintenance sweep',
      '',
      `\`manager.cleanupOldSegments()\` over live sessions with 1 KiB segment files (LiveKit names, main + live playlists, newest segment ending now; buffer 9 min + 30 s grace, so ~14 segments per session are past the window). "Index reads alone" is \`readSegmentIndex\` of every session right after, without deleting (the part every pass pays). Laying out the files took ${fmt(r.sweep.setupSeconds, 0)} s (not timed).`,
      '',
      table(
        [
          'Session store',
          'Sessions × segments',
          'Sweep (s)',
          'Deleted',
          'Index reads alone (s)',
          'Per session (ms)',
          'Errors',
        ],
        r.sweep.results.map((w) =>
          'error' in w
            ? [w.kind, `not measured (${w.error})`, '', '', '', '', '']
            : [
                w.description,
                `${w.sessions} × ${w.segmentsPerSession}`,
                fmt(w.seconds, 2),
                String(w.segmentsDeleted),
                fmt(w.steadySeconds, 2),
                fmt((w.steadySeconds * 1000) / w.sessions, 1),
                String(w.errors),
              ],
        ),
      ),
      '',
    );
    if (r.sweep.listings.length) {
      push(
        "Per session the sweep reads the segment index (a stat of every segment file and, past the index's 8 192-entry openable cache, an open/close of each listed one) and unlinks what is past the window. It runs here with the in-memory store: apart from the file system it makes three store calls (live sessions, sessions ended before the retention, all sessions); the listing of the live sessions is timed per store with the same sessions (median of 3):",
        '',
        table(
          ['Session store', 'Live sessions', 'listByStatus (ms)'],
          r.sweep.listings.map((l) =>
            'error' in l
              ? [l.kind, `not measured (${l.error})`, '']
              : [l.description, String(l.sessions), fmt(l.medianMs, 1)],
          ),
        ),
        '',
      );
    }
  }

  return out;
}
