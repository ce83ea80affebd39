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
  identity?: 'both' | 'anonymous-until-sign-up';
}

// A base daily sign-up chance of 0.4 %: over a 14-day horizon about 5 % of eligible users convert, and
// about a third of those with the signal — enough positives for a stable AUC at a few thousand users.
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
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const endMs = Date.parse(`${options.end}T00:00:00Z`);
  const dayStart = (d: number) => endMs - (options.days - 1 - d) * 86_400_000;
  const messages: Record<string, unknown>[] = [];
  let counter = 0;
  const signedUp = new Set<number>();
  const anonymousUntilSignUp = options.identity === 'anonymous-until-sign-up';
  const message = (user: number, at: number, body: Record<string, unknown>) => {
    counter += 1;
    messages.push({
      messageId: `sim-${options.seed}-${counter}`,
      ...(anonymousUntilSignUp && !signedUp.has(user) ? {} : { userId: `user-${user}` }),
      anonymousId: `anon-${user}`,
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
        }
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
        if (anonymousUntilSignUp) message(user, at - 1_000, { type: 'identify', traits: { plan: 'trial' } });
        message(user, at, { type: 'track', event: pick(SIGN_UP), properties: { plan: 'trial' } });
        // Only ever after a conversion: a model that sees it has read the future.
        message(user, at + 600_000, {
          type: 'track',
          event: pick(['Onboarding Completed', 'onboarding_completed']),
        });
      }
    }
  }
  // A Replay-like resend of part of the stream: the same messages (same ids) again.
  const resend = options.resendShare ?? 0.03;
  const again = messages.filter(() => random() < resend);
  return [...messages, ...again];
}
