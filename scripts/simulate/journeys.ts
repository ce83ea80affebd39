import { seededRandom } from '../../domain/core/common/seeded-random';

/**
 * A customer's users over `days`, as a Segment source would send them: an identify when first seen,
 * sessions of page views and track events (Segment semantic-spec names in mixed spellings), and for
 * some a conversion ("Signed Up", in several spellings) followed by an event that only happens after
 * it ("Onboarding Completed"). Seeded: the same options give the same messages.
 *
 * The planted signal (`pricing`): each view of the pricing page doubles a user's daily chance to sign
 * up, up to 8× from the third view on — "users who view the pricing page three times convert at 8× the
 * base rate". With `interaction`, pricing views matter by segment: for users of companies of 51-200
 * people each view doubles the chance; everyone else starts at 4× and halves it with each view. Neither
 * views nor size alone predicts much, so a linear model misses what trees find (test/e2e/intent.test.ts:
 * the trees beat the logistic regression by ≥ 0.05 AUC on it). With `none`, signing up is independent of everything
 * a user does: no feature can predict it, and a model that finds otherwise leaks.
 */
export interface SimulationOptions {
  customer: string;
  users: number;
  days: number;
  seed: number;
  signal: 'pricing' | 'interaction' | 'none';
  /** The last simulated day, `YYYY-MM-DD` (UTC). */
  end: string;
  /** Share of messages sent a second time, later, as a Replay would. */
  resendShare?: number;
  /**
   * `both` (default): every message carries both ids, as a server source would. `anonymous-until-sign-up`:
   * as analytics.js sends it — a visitor's messages carry only their `anonymousId` until they sign up;
   * the sign-up's identify and track carry both, and everything after both.
   */
  identity?: 'both' | 'anonymous-until-sign-up' | 'devices';
}

/**
 * Traffic as analytics.js sends it from people, not ids (`identity: 'devices'`):
 * - a person browses from one to three devices of their own, each with its own anonymous id, anonymous
 *   until they sign up (the sign-up's identify links that device);
 * - after signing up, a session on a device they are not logged in on starts anonymous and logs in
 *   (an identify with both ids) most of the time;
 * - some sessions end with a log-out (`analytics.reset()`: the device gets a new anonymous id);
 * - some signed-up people also use a shared device (a family or office browser) and log in on it without
 *   ever logging out, so its anonymous id is seen with several user ids;
 * - some sign-ups also send an `alias` from the anonymous id, and a few users later change their user
 *   id (an `alias` whose `previousId` is their old user id).
 */
const DEVICES = {
  /** Chance of a second personal device, and of a third. */
  second: 0.35,
  third: 0.1,
  /** Chance a session after sign-up, on a device not logged in, logs in at its start. */
  login: 0.7,
  /** Chance a session after sign-up ends with a log-out. */
  logout: 0.1,
  /**
   * Share of people who also use a shared device (about twelve a device, of whom a couple sign up and
   * log in on it), and of their sessions after sign-up spent on it.
   */
  sharer: 0.1,
  sharedSession: 0.25,
  /** Share of sign-ups that also send an alias from the anonymous id; a signed-up user's daily chance of a new user id. */
  aliasAtSignUp: 0.2,
  renamedPerDay: 0.001,
} as const;

// A base daily sign-up chance of 0.15 %. Over a 14-day horizon, as `npm run intent` reports each slice's
// users and conversions: about 2 % of eligible users convert without a signal, 8–11 % with the
// pricing signal (evaluators convert at up to 32× the base) — enough positives for a stable AUC at a
// few thousand users.
const BASE_DAILY = 0.0015;
// Each pricing view doubles the odds, 8× at the third, up to 32×.
const MAX_MULTIPLIER = 32;
const PAGES = ['/', '/features', '/docs', '/blog', '/pricing', '/about'];
const SIGN_UP = ['Signed Up', 'signed_up', 'sign-up', 'signup', 'Sign Up'];
const TRACKS = [
  ['Product Viewed', 'product_viewed', 'Product Viewed'],
  ['Button Clicked', 'button_clicked'],
  ['Feature Used', 'feature-used', 'Feature Used'],
];

export function simulateJourneys(options: SimulationOptions): Record<string, unknown>[] {
  const random = seededRandom(options.seed);
  const messages = [...journeyMessages(options, random)];
  // A Replay-like resend of part of the stream: the same messages (same ids) again.
  const resend = options.resendShare ?? 0.03;
  const again = messages.filter(() => random() < resend);
  return [...messages, ...again];
}

/**
 * The same journeys one message at a time, without the resends (no message is held): what a bench
 * feeds through the ingest core at a scale whose messages would not fit in memory together. The same
 * options and seed give the same messages, in the same order, as `simulateJourneys`.
 */
export function* simulateJourneyStream(options: SimulationOptions): Generator<Record<string, unknown>> {
  yield* journeyMessages(options, seededRandom(options.seed));
}

function* journeyMessages(
  options: SimulationOptions,
  random: () => number,
): Generator<Record<string, unknown>> {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const endMs = Date.parse(`${options.end}T00:00:00Z`);
  const dayStart = (d: number) => endMs - (options.days - 1 - d) * 86_400_000;
  let pending: Record<string, unknown>[] = [];
  let counter = 0;
  const signedUp = new Set<number>();
  const anonymousUntilSignUp = options.identity === 'anonymous-until-sign-up';
  const devices = options.identity === 'devices' ? new DeviceState(random, options.users) : undefined;
  const message = (user: number, at: number, body: Record<string, unknown>) => {
    counter += 1;
    const ids = devices?.ids(user) ?? {
      ...(anonymousUntilSignUp && !signedUp.has(user) ? {} : { userId: `user-${user}` }),
      anonymousId: `anon-${user}`,
    };
    pending.push({
      messageId: `sim-${options.seed}-${counter}`,
      ...ids,
      timestamp: new Date(at).toISOString(),
      context: { library: { name: 'analytics.js', version: 'next-1.70.0' } },
      ...body,
    });
  };

  for (let user = 0; user < options.users; user++) {
    const firstDay = Math.floor(random() * options.days);
    // Evaluators look at pricing often; the rest rarely.
    const evaluator = random() < 0.3;
    const activeChance = 0.15 + random() * 0.35;
    let pricingViews = 0;
    let converted = false;
    const companySize = pick(['1-10', '11-50', '51-200']);
    devices?.meet(user);
    message(user, dayStart(firstDay) + Math.floor(random() * 3_600_000), {
      type: 'identify',
      traits: { plan: pick(['free', 'trial', 'trial']), company_size: companySize },
    });
    for (let day = firstDay; day < options.days; day++) {
      const start = dayStart(day);
      if (random() < activeChance) {
        const sessions = 1 + Math.floor(random() * 2);
        for (let s = 0; s < sessions; s++) {
          let at = start + Math.floor(random() * 20 * 3_600_000);
          const login = devices?.startSession(user);
          if (login) message(user, at - 1_000, { type: 'identify', traits: {} });
          const views = 1 + Math.floor(random() * 4);
          for (let v = 0; v < views; v++) {
            const path =
              random() < (evaluator ? 0.2 : 0.02) ? '/pricing' : pick(PAGES.filter((p) => p !== '/pricing'));
            if (path === '/pricing') pricingViews += 1;
            message(user, at, {
              type: 'page',
              name: path,
              properties: { path, url: `https://www.example.com${path}` },
            });
            at += 30_000 + Math.floor(random() * 240_000);
            if (random() < 0.5) {
              message(user, at, { type: 'track', event: pick(pick(TRACKS)), properties: { path } });
              at += 10_000;
            }
          }
          devices?.endSession(user);
        }
        const renamed = devices?.maybeRename(user);
        if (renamed) message(user, start + 22 * 3_600_000, { type: 'alias', previousId: renamed.previousId });
      }
      if (converted) continue;
      const views = Math.min(Math.log2(MAX_MULTIPLIER), pricingViews);
      const multiplier =
        options.signal === 'pricing'
          ? 2 ** views
          : options.signal === 'interaction'
            ? 2 ** (companySize === '51-200' ? views : 2 - views)
            : 1;
      if (random() < BASE_DAILY * multiplier) {
        converted = true;
        const at = start + 20 * 3_600_000 + Math.floor(random() * 3_000_000);
        // Signing up links the visitor's anonymous id to their new user id: an identify with both.
        signedUp.add(user);
        const previousId = devices?.signUp(user);
        if (anonymousUntilSignUp || devices)
          message(user, at - 1_000, { type: 'identify', traits: { plan: 'trial' } });
        if (previousId) message(user, at - 500, { type: 'alias', previousId });
        message(user, at, { type: 'track', event: pick(SIGN_UP), properties: { plan: 'trial' } });
        // Only ever after a conversion: a model that sees it has read the future.
        message(user, at + 600_000, {
          type: 'track',
          event: pick(['Onboarding Completed', 'onboarding_completed']),
        });
      }
    }
    yield* pending;
    pending = [];
  }
}

/** The devices, log-ins and user ids of `identity: 'devices'` (DEVICES): what each message carries. */
class DeviceState {
  private readonly people = new Map<
    number,
    {
      anon: string[];
      loggedIn: boolean[];
      resets: number[];
      signedUp: boolean;
      userId: string;
      sharer: boolean;
    }
  >();
  /** The device of the session under way, per person: an index of their own, or -1 for the shared one. */
  private readonly current = new Map<number, number>();
  constructor(
    private readonly random: () => number,
    private readonly users: number,
  ) {}

  meet(user: number): void {
    const count = 1 + (this.random() < DEVICES.second ? 1 : 0) + (this.random() < DEVICES.third ? 1 : 0);
    this.people.set(user, {
      anon: Array.from({ length: count }, (_, d) => `anon-${user}-${d}`),
      loggedIn: Array.from({ length: count }, () => false),
      resets: Array.from({ length: count }, () => 0),
      signedUp: false,
      userId: `user-${user}`,
      sharer: this.random() < DEVICES.sharer,
    });
    this.current.set(user, 0);
  }

  /** Picks the session's device; true when the session starts with a log-in (an identify). */
  startSession(user: number): boolean {
    const person = this.people.get(user)!;
    if (person.signedUp && person.sharer && this.random() < DEVICES.sharedSession) {
      // On the shared browser a person always logs in, and nobody logs out.
      this.current.set(user, -1);
      return true;
    }
    // The first device most of the time.
    const device = this.random() < 0.6 ? 0 : Math.floor(this.random() * person.anon.length);
    this.current.set(user, device);
    if (person.signedUp && !person.loggedIn[device] && this.random() < DEVICES.login) {
      person.loggedIn[device] = true;
      return true;
    }
    return false;
  }

  endSession(user: number): void {
    const person = this.people.get(user)!;
    const device = this.current.get(user)!;
    if (device < 0 || !person.loggedIn[device] || this.random() >= DEVICES.logout) return;
    // analytics.reset(): logged out, and a new anonymous id on that device.
    person.loggedIn[device] = false;
    person.resets[device]! += 1;
    person.anon[device] = `anon-${user}-${device}-r${person.resets[device]}`;
  }

  /** Signs the person up on the session's device; an anonymous id to alias from, for some. */
  signUp(user: number): string | undefined {
    const person = this.people.get(user)!;
    person.signedUp = true;
    const device = Math.max(0, this.current.get(user)!);
    this.current.set(user, device);
    person.loggedIn[device] = true;
    return this.random() < DEVICES.aliasAtSignUp ? person.anon[device] : undefined;
  }

  /** After sign-up, now and then a user's id changes: the old id, to alias from. */
  maybeRename(user: number): { previousId: string } | undefined {
    const person = this.people.get(user)!;
    if (!person.signedUp || person.userId !== `user-${user}` || this.random() >= DEVICES.renamedPerDay)
      return undefined;
    const previousId = person.userId;
    person.userId = `user-${user}-renamed`;
    const device = Math.max(0, this.current.get(user)!);
    this.current.set(user, device);
    person.loggedIn[device] = true;
    return { previousId };
  }

  ids(user: number): { userId?: string; anonymousId: string } {
    const person = this.people.get(user)!;
    const device = this.current.get(user)!;
    if (device < 0)
      return {
        userId: person.userId,
        anonymousId: `shared-${user % Math.max(1, Math.floor((this.users * DEVICES.sharer) / 12))}`,
      };
    return {
      ...(person.loggedIn[device] ? { userId: person.userId } : {}),
      anonymousId: person.anon[device]!,
    };
  }
}
