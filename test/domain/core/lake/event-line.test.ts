import fc from 'fast-check';
import * as v from 'valibot';
import { type LakeEvent, LakeEventSchema, SUPPORTED_TYPES } from '../../../../domain/contract/lake-records';
import { EVENT_KEYS, eventLine } from '../../../support/reference-models';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261203) });

// Any text, escapes and lone surrogates included: what a sender can put in an id or an event name.
const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const day = fc
  .date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2099-12-31') })
  .map((d) => d.toISOString().slice(0, 10));
const values = {
  schema_version: fc.constant(1 as const),
  area: fc.constant('events' as const),
  message_id: anyText,
  message_id_generated: fc.boolean(),
  customer_id: anyText,
  dt: day,
  request_id: anyText,
  type: fc.constantFrom(...SUPPORTED_TYPES),
  event: fc.option(anyText),
  event_raw: fc.option(anyText),
  event_key: fc.option(anyText),
  user_id: fc.option(anyText),
  anonymous_id: fc.option(anyText),
  timestamp: anyText,
  timestamp_out_of_range: fc.boolean(),
  event_date: day,
  event_date_from_sent_at: fc.boolean(),
  planned: fc.option(fc.boolean()),
  violations: fc.array(fc.record({ path: anyText, rule: anyText, message: anyText }), { maxLength: 2 }),
  received_at: anyText,
  message: fc.dictionary(anyText, fc.jsonValue(), { maxKeys: 4 }),
};

// The event with its keys in the contract's order, whatever order `values` lists them in.
const event = fc
  .record(values)
  .map((fields) => Object.fromEntries(EVENT_KEYS.map((key) => [key, fields[key]])) as LakeEvent);

describe('eventLine', () => {
  it('writes, byte for byte, what JSON.stringify writes for the event in the contract’s key order', () => {
    expect(Object.keys(values).sort()).toEqual([...EVENT_KEYS].sort());
    fc.assert(
      fc.property(event, (e) => {
        expect(eventLine(e, JSON.stringify(e.message))).toBe(JSON.stringify(e));
      }),
      { numRuns: 500 },
    );
  });

  it('writes a line the contract’s schema reads back', () => {
    fc.assert(
      fc.property(event, (e) => {
        const line = JSON.parse(eventLine(e, JSON.stringify(e.message)));

        expect(Object.keys(line)).toEqual(EVENT_KEYS);
        expect(v.safeParse(LakeEventSchema, line).success).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
