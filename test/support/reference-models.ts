import { createHash } from 'node:crypto';
import type { AudienceGroup } from '../../domain/contract/audiences';
import { EVENT_FIELDS, type LakeEvent } from '../../domain/contract/lake-records';
import { eventLineHead } from '../../domain/core/lake/event-line';
import { eventDating, type TimestampInputs } from '../../domain/core/messages/timestamps';

/*
 * Reference models: the plain statement of something the product computes another way — in SQL (an
 * audience's groups and members, the scores' deciles and percentiles), in pieces on the request path (a
 * lake line), or the other direction (an enable link). Tests hold the product to them; nothing the
 * product runs needs them, so they live here and not in a production module (docs/architecture.md,
 * "Test-only code").
 */

/**
 * Which group a user is in: a keyed hash of the audience's name and the user, so re-running or
 * refreshing an audience never moves anyone between target and holdout (the measurement depends on
 * it), and two audiences hold out independent users.
 *
 * @example groupOf('likely_signups', 'user-1', 10) // 'target' or 'holdout', the same every time
 */
export function groupOf(audience: string, user: string, holdoutPercent: number): AudienceGroup {
  const digest = createHash('sha256').update(audience).update('\n').update(user).digest();
  const unit = digest.readUInt32BE(0) / 2 ** 32;
  return unit < holdoutPercent / 100 ? 'holdout' : 'target';
}

/** The scored users in the top `topPercent` of percentiles (a percentile of 0.9 is the top 10 %). */
export function topMembers<T extends { percentile: number }>(scored: readonly T[], topPercent: number): T[] {
  const floor = 1 - topPercent / 100;
  return scored.filter((s) => s.percentile >= floor - 1e-12);
}

/** Each score's decile (1 = highest scores), in the order of the scores given. */
export function decileOf(scores: number[]): number[] {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
  const out = new Array<number>(scores.length);
  order.forEach(([, i], rank) => {
    out[i] = Math.min(10, Math.floor((rank * 10) / scores.length) + 1);
  });
  return out;
}

/**
 * Each score's percentile cohort, Segment's convention: the share of users who score lower, so 0.8
 * means the top 20 %. Ties share the lower value (the same score, the same cohort).
 */
export function percentileOf(scores: number[]): number[] {
  const sorted = Float64Array.from(scores).sort();
  return scores.map((s) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < s) lo = mid + 1;
      else hi = mid;
    }
    return lo / Math.max(1, scores.length);
  });
}

/** The parts of an enable link, decoded: the inverse of `buildEnableLink` (used by tests and support). */
export function parseEnableLink(link: string): {
  slug: string | null;
  apiKey: unknown;
  redirectUrl: string | null;
} {
  const url = new URL(link);
  const settings = url.searchParams.get('settings');
  const redirect = url.searchParams.get('redirect_url');
  return {
    slug: url.searchParams.get('integration'),
    apiKey:
      settings === null
        ? undefined
        : (JSON.parse(Buffer.from(settings, 'base64').toString('utf8')) as { apiKey?: unknown }).apiKey,
    redirectUrl: redirect === null ? null : Buffer.from(redirect, 'base64').toString('utf8'),
  };
}

/** The event line's keys, in order. */
export const EVENT_KEYS = Object.keys(EVENT_FIELDS) as (keyof LakeEvent)[];

/** An event's lake line, whole: the head, the message's JSON, then `}` (the request path keeps them apart). */
export function eventLine(event: LakeEvent, messageJson: string): string {
  return `${eventLineHead(event)}${messageJson}}`;
}

/** The event date alone (eventDating's `date`). */
export const eventDate = (message: TimestampInputs): string => eventDating(message).date;

/** Whether the event date came from `sentAt` (eventDating's `fromSentAt`). */
export const eventDateFromSentAt = (message: TimestampInputs): boolean => eventDating(message).fromSentAt;
