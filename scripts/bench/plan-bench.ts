import type { TrackingPlan } from '../../domain/contract/tracking-plan';
import { ingestRequest } from '../../domain/core/ingest/ingest-request';
import { compilePlan } from '../../domain/core/quality/tracking-plan';
import { benchIngestDeps, NO_ALIASES } from './core-bench';
import { sideBySide } from './measure';

export interface PlanBenchResult {
  planEvents: number;
  withPlanEventsPerSecond: number;
  withoutPlanEventsPerSecond: number;
  /** with ÷ without: the share of the core's speed a tracking plan leaves (goal ≥ 0.8). */
  ratio: number;
}

/** A plan of `n` events, each with four typed properties (one an enum, two required). */
function benchPlan(n: number): TrackingPlan {
  return {
    mode: 'flag',
    allowUnplanned: true,
    events: Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        `Bench Event ${i}`,
        {
          properties: {
            type: 'object',
            properties: {
              plan: { enum: ['free', 'pro', 'enterprise'] },
              seats: { type: 'integer', minimum: 1 },
              price: { type: 'number' },
              coupon: { type: 'string' },
            },
            required: ['plan', 'seats'],
          },
        },
      ]),
    ),
  };
}

/**
 * Events/s through the whole core with a 50-event tracking plan against the same core without one, on
 * the same 100-event requests of planned events (every one checked against its schema).
 */
export async function benchPlanCost(seconds: number, planEvents = 50): Promise<PlanBenchResult> {
  const plan = compilePlan(benchPlan(planEvents));
  const bodies = Array.from({ length: 16 }, (_, b) =>
    JSON.stringify({
      batch: Array.from({ length: 100 }, (_, i) => ({
        type: 'track',
        userId: `user-${b}-${i}`,
        messageId: `bench-${b}-${i}`,
        event: `Bench Event ${(b * 100 + i) % planEvents}`,
        timestamp: '2026-11-28T10:00:00.000Z',
        properties: { plan: i % 2 ? 'pro' : 'free', seats: 1 + (i % 9), price: i * 1.5, coupon: `C${i}` },
      })),
    }),
  );
  const deps = benchIngestDeps;
  let i = 0;
  const run = (withPlan: boolean) => async () => {
    const answer = await ingestRequest(
      {
        body: bodies[i++ % bodies.length]!,
        customerId: 'bench',
        requestId: `b-${i}`,
        aliases: NO_ALIASES,
        ...(withPlan ? { plan } : {}),
      },
      deps,
    );
    if (answer.statusCode !== 200) throw new Error(`core answered ${answer.statusCode}`);
    return 100;
  };
  const [withPlan, withoutPlan] = await sideBySide(
    { name: 'with plan', run: run(true) },
    { name: 'without plan', run: run(false) },
    seconds,
  );
  return {
    planEvents,
    withPlanEventsPerSecond: withPlan.eventsPerSecond,
    withoutPlanEventsPerSecond: withoutPlan.eventsPerSecond,
    ratio: withPlan.eventsPerSecond / withoutPlan.eventsPerSecond,
  };
}
