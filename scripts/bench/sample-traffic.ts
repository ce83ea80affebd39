import { seededRandom } from '../../domain/core/common/seeded-random';

/**
 * Realistic Segment messages (~1.3 KB, the size the cost model assumes): analytics.js-shaped context,
 * a mix of types and event-name spellings. Seeded, so every run measures the same bytes.
 */
export function sampleMessages(count: number, seed = 1): Record<string, unknown>[] {
  const random = seededRandom(seed);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  const events = [
    'Signed Up',
    'sign_up',
    'Order Completed',
    'Product Viewed',
    'product_added',
    'Checkout Started',
    'button_clicked',
    'Page Scrolled',
  ];
  return Array.from({ length: count }, (_, i) => {
    const type = pick(['track', 'track', 'track', 'track', 'page', 'identify', 'screen']);
    const base: Record<string, unknown> = {
      type,
      messageId: `ajs-next-${seed}-${i}-${Math.floor(random() * 1e12).toString(36)}`,
      anonymousId: `anon-${Math.floor(random() * 1e9).toString(36)}-4e2a-9f1b-${Math.floor(random() * 1e9).toString(36)}`,
      userId: random() < 0.7 ? `user-${Math.floor(random() * 100_000)}` : null,
      timestamp: new Date(Date.UTC(2026, 10, 28, 10) - Math.floor(random() * 86_400_000 * 30)).toISOString(),
      sentAt: new Date(Date.UTC(2026, 10, 28, 10)).toISOString(),
      receivedAt: new Date(Date.UTC(2026, 10, 28, 10, 0, 1)).toISOString(),
      context: {
        library: { name: 'analytics.js', version: 'next-1.70.0' },
        page: {
          path: '/pricing',
          referrer: 'https://www.google.com/',
          search: '?utm_source=google&utm_medium=cpc',
          title: 'Pricing — Example',
          url: 'https://www.example.com/pricing?utm_source=google&utm_medium=cpc',
        },
        userAgent:
          'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
        userAgentData: {
          brands: [
            { brand: 'Chromium', version: '131' },
            { brand: 'Google Chrome', version: '131' },
          ],
          mobile: false,
          platform: 'macOS',
        },
        locale: 'en-US',
        timezone: 'Europe/Berlin',
        ip: `203.0.113.${Math.floor(random() * 255)}`,
        campaign: {
          source: 'google',
          medium: 'cpc',
          name: 'brand-q4',
          term: 'segment destination lake',
          content: 'headline-variant-b',
        },
        screen: { width: 1728, height: 1117, density: 2, innerWidth: 1512, innerHeight: 862 },
        os: { name: 'Mac OS X', version: '10.15.7' },
        instanceId: `${Math.floor(random() * 1e15).toString(16)}-7c1e-4b8a-a9f0-${Math.floor(random() * 1e12).toString(16)}`,
      },
      integrations: {},
      version: 2,
    };
    if (type === 'track')
      return {
        ...base,
        event: pick(events),
        properties: {
          plan: pick(['free', 'pro', 'team']),
          revenue: Math.round(random() * 10_000) / 100,
          currency: 'EUR',
          experiment: 'pricing-v3',
        },
      };
    if (type === 'identify')
      return {
        ...base,
        traits: {
          email: `person${i}@example.com`,
          plan: 'pro',
          company: 'Example GmbH',
          createdAt: '2024-02-01T10:00:00.000Z',
        },
      };
    return { ...base, name: 'Pricing', properties: { path: '/pricing', title: 'Pricing — Example' } };
  });
}
