import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdminInputError } from '../../../../domain/core/common/errors';
import { DEFAULT_LIMITS } from '../../../../domain/core/ingest/limits';
import { parseBody } from '../../../../domain/core/ingest/parse-body';
import { prepareMessages } from '../../../../domain/core/ingest/prepare-messages';
import { compilePlan, parsePlan } from '../../../../domain/core/quality/tracking-plan';
import { createIdentifyMessage, createTrackMessage } from '../../../support/factories';
import { ROOT } from '../../../support/local-destination';

const SIGNUP_PLAN = JSON.parse(
  readFileSync(join(ROOT, 'test', 'fixtures', 'plans', 'signup-plan.json'), 'utf8'),
);

function prepare(messages: unknown[], plan: unknown) {
  return prepareMessages(parseBody(JSON.stringify(messages), DEFAULT_LIMITS), {
    customerId: 'acme',
    requestId: 'req-plan',
    receivedAt: Date.UTC(2026, 10, 28),
    aliases: new Map(),
    maxMessageBytes: DEFAULT_LIMITS.maxMessageBytes,
    plan: compilePlan(parsePlan(plan)),
  });
}

const valid = () => createTrackMessage({ event: 'sign_up', properties: { plan: 'pro', seats: 3 } });
const invalid = () => createTrackMessage({ event: 'Signed Up', properties: { plan: 'gold', seats: 0 } });
const unplanned = () => createTrackMessage({ event: 'Report Exported', properties: {} });

describe('tracking plans at ingest', () => {
  it('flag mode: lands valid, invalid and unplanned events, each with planned and violations', () => {
    const out = prepare([valid(), invalid(), unplanned()], SIGNUP_PLAN);

    expect(out.quarantine).toEqual([]);
    expect(
      out.events.map((e) => [e.event, e.planned, e.violations.map((v) => `${v.path}:${v.rule}`)]),
    ).toEqual([
      ['Signed Up', true, []],
      ['Signed Up', true, ['properties.plan:enum', 'properties.seats:minimum']],
      ['Report Exported', false, []],
    ]);
  });

  it('quarantine mode: a violating event goes to quarantine as plan_violation, with its violations', () => {
    const out = prepare([valid(), invalid(), unplanned()], { ...SIGNUP_PLAN, mode: 'quarantine' });

    expect(out.events.map((e) => e.event)).toEqual(['Signed Up', 'Report Exported']);
    expect(out.quarantine).toHaveLength(1);
    expect(out.quarantine[0]).toMatchObject({
      reason: {
        code: 'plan_violation',
        message: expect.stringContaining('properties.plan must be equal to one of'),
      },
      violations: [
        { path: 'properties.plan', rule: 'enum' },
        { path: 'properties.seats', rule: 'minimum' },
      ],
    });
    expect(out.errors).toEqual([expect.objectContaining({ index: 1, code: 'plan_violation' })]);
  });

  it('allowUnplanned: false makes an unplanned event a violation too (flagged, or quarantined)', () => {
    const flagged = prepare([unplanned()], { ...SIGNUP_PLAN, allowUnplanned: false });
    const quarantined = prepare([unplanned()], { ...SIGNUP_PLAN, allowUnplanned: false, mode: 'quarantine' });

    expect(flagged.events[0]).toMatchObject({
      planned: false,
      violations: [{ path: 'event', rule: 'unplanned' }],
    });
    expect(quarantined.quarantine[0]).toMatchObject({ reason: { code: 'plan_violation' } });
  });

  it('checks identify traits, and leaves other types and customers without a plan alone', () => {
    const out = prepare(
      [createIdentifyMessage({ traits: { name: 'x' } }), { type: 'page', userId: 'u', name: 'Home' }],
      SIGNUP_PLAN,
    );

    expect(out.events[0]).toMatchObject({
      planned: true,
      violations: [{ path: 'traits.email', rule: 'required' }],
    });
    expect(out.events[1]).toMatchObject({ planned: null, violations: [] });
  });

  it('refuses a plan that does not parse, whose schema does not compile, or that is too large', () => {
    expect(() => parsePlan({ mode: 'maybe', events: {} })).toThrow(/mode must be "flag" or "quarantine"/);
    expect(() => parsePlan({ mode: 'flag', events: { X: { properties: { type: 'nonsense' } } } })).toThrow(
      /does not compile/,
    );
    const huge = {
      mode: 'flag',
      events: Object.fromEntries(
        Array.from({ length: 3_000 }, (_, i) => [`Event ${i} ${'x'.repeat(20)}`, {}]),
      ),
    };
    expect(() => parsePlan(huge)).toThrow(AdminInputError);
  });
});
