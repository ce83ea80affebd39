import { simulateJourneyStream, simulateJourneys } from '../../../scripts/simulate/journeys';

/**
 * The simulator's people as analytics.js sends them (`identity: 'devices'`): what the identity graph,
 * intent by person and erasure by person must cope with, present in every run.
 */
describe('simulated traffic from people with devices', () => {
  const options = {
    customer: 'acme',
    users: 3_000,
    days: 60,
    seed: 12,
    signal: 'pricing',
    end: '2026-03-31',
    identity: 'devices',
    resendShare: 0,
  } as const;
  const messages = simulateJourneys(options);
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  const person = (m: Record<string, unknown>) =>
    /^(?:anon|user)-(\d+)/.exec(str(m.userId) ?? str(m.anonymousId) ?? '')?.[1];

  it('is the same every run for the same options', () => {
    const again = simulateJourneys(options);
    expect(JSON.stringify(again) === JSON.stringify(messages)).toBe(true);
  });

  it('streams the same messages one at a time (what the bench sends), the resends apart', () => {
    const withResends = simulateJourneys({ ...options, resendShare: 0.05 });
    const streamed = [...simulateJourneyStream(options)];
    expect(streamed.length).toBe(messages.length);
    expect(JSON.stringify(streamed) === JSON.stringify(messages)).toBe(true);
    expect(JSON.stringify(withResends.slice(0, streamed.length)) === JSON.stringify(streamed)).toBe(true);
    expect(withResends.length).toBeGreaterThan(streamed.length);
  });

  it('sends a visitor anonymous until sign-up, then links the device with an identify carrying both ids', () => {
    const anonymousOnly = messages.filter((m) => m.userId === undefined);
    expect(anonymousOnly.length / messages.length).toBeGreaterThan(0.5);
    const signUps = messages.filter(
      (m) => m.type === 'identify' && m.userId && (m.traits as { plan?: string }).plan === 'trial',
    );
    expect(signUps.length).toBeGreaterThan(100);
    for (const m of signUps) expect(m.anonymousId).toEqual(expect.stringMatching(/^anon-/));
  });

  it('gives people several devices, new anonymous ids after log-outs, and shared devices', () => {
    const anonymousIds = new Map<string, Set<string>>();
    const usersOf = new Map<string, Set<string>>();
    for (const m of messages) {
      const anon = str(m.anonymousId)!;
      const who = person(m);
      if (who && anon.startsWith('anon-'))
        anonymousIds.set(who, (anonymousIds.get(who) ?? new Set()).add(anon));
      if (m.userId) usersOf.set(anon, (usersOf.get(anon) ?? new Set()).add(String(m.userId)));
    }
    const several = [...anonymousIds.values()].filter((ids) => ids.size > 1).length;
    expect(several / anonymousIds.size).toBeGreaterThan(0.2);
    // analytics.reset(): a device's next anonymous id.
    expect([...usersOf.keys()].some((anon) => /-r\d+$/.test(anon))).toBe(true);
    // A shared browser: one anonymous id, several people logged in on it.
    const shared = [...usersOf].filter(([anon, users]) => anon.startsWith('shared-') && users.size > 1);
    expect(shared.length).toBeGreaterThan(3);
  });

  it('sends aliases from an anonymous id at sign-up, and from an old user id when a user is renamed', () => {
    const aliases = messages.filter((m) => m.type === 'alias');
    expect(aliases.some((m) => String(m.previousId).startsWith('anon-'))).toBe(true);
    const renamed = aliases.filter((m) => String(m.previousId).startsWith('user-'));
    expect(renamed.length).toBeGreaterThan(0);
    for (const m of renamed) expect(m.userId).toBe(`${String(m.previousId)}-renamed`);
  });
});
