import fc from 'fast-check';
import * as v from 'valibot';
import {
  EVENT_FIELDS,
  type Fields,
  type LakeEvent,
  LEDGER_FIELDS,
  type LedgerEntry,
  QUARANTINE_FIELDS,
} from '../../../../domain/contract/lake-records';
import { compileLineWriter, writtenAs } from '../../../../domain/core/lake/line-writer';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261207) });

// Every UTF-16 unit, lone surrogates included, and the ones JSON escapes, often.
const unit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('"', '\\', '\u0000', '\u001f', '\u2028', '\ud800', '\udfff', 'é', '😀', 'a'),
);
const text = fc.string({ unit, maxLength: 30 });
const day = fc
  .date({ min: new Date('1970-01-01'), max: new Date('2099-12-31'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

const event = fc.record({
  schema_version: fc.constant(1 as const),
  area: fc.constant('events' as const),
  message_id: text,
  message_id_generated: fc.boolean(),
  customer_id: text,
  dt: day,
  request_id: text,
  type: fc.constantFrom('identify', 'track', 'page', 'screen', 'group', 'alias') as fc.Arbitrary<
    LakeEvent['type']
  >,
  event: fc.option(text, { nil: null }),
  event_raw: fc.option(text, { nil: null }),
  event_key: fc.option(text, { nil: null }),
  user_id: fc.option(text, { nil: null }),
  anonymous_id: fc.option(text, { nil: null }),
  timestamp: text,
  timestamp_out_of_range: fc.boolean(),
  event_date: day,
  event_date_from_sent_at: fc.boolean(),
  planned: fc.option(fc.boolean(), { nil: null }),
  violations: fc.array(fc.record({ path: text, rule: text, message: text }), { maxLength: 2 }),
  received_at: text,
  message: fc.dictionary(text, fc.oneof(text, fc.integer()), { maxKeys: 3 }),
});

describe('line writers built from the contract', () => {
  it('write an event line head that, with the message and `}`, is JSON.stringify of the event', () => {
    const head = compileLineWriter<LakeEvent>(EVENT_FIELDS, 'message');
    fc.assert(
      fc.property(event, (e) => {
        expect(`${head(e)}${JSON.stringify(e.message)}}`).toBe(JSON.stringify(e));
      }),
      { numRuns: 2_000 },
    );
  });

  it('write a ledger line that is JSON.stringify of the entry', () => {
    const write = compileLineWriter<LedgerEntry>(LEDGER_FIELDS);
    fc.assert(
      fc.property(
        fc.record({
          ledger_version: fc.constant(2 as const),
          area: fc.constant('ledger' as const),
          request_id: text,
          source: fc.constantFrom('ingest', 'redrive') as fc.Arbitrary<LedgerEntry['source']>,
          customer_id: text,
          dt: day,
          received_at: text,
          status: fc.integer({ min: 100, max: 599 }),
          accepted: fc.nat(),
          quarantined: fc.nat(),
          duplicates: fc.nat(),
        }),
        (entry) => {
          expect(write(entry)).toBe(JSON.stringify(entry));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('write each field as cheaply as its schema allows, and escape whatever a schema does not rule out', () => {
    const kinds = Object.fromEntries(Object.entries(EVENT_FIELDS).map(([k, f]) => [k, writtenAs(f)]));
    expect(kinds).toMatchObject({
      schema_version: 'bare',
      area: 'verbatim',
      message_id: 'text',
      message_id_generated: 'bare',
      dt: 'verbatim',
      type: 'verbatim',
      event: 'text',
      timestamp: 'text',
      event_date: 'verbatim',
      planned: 'bare',
      violations: 'json',
      received_at: 'text',
      message: 'json',
    });
    // A picklist with a quote in an option, or a string not marked verbatim, is escaped.
    const risky: Fields = {
      a: { schema: v.picklist(['ok', 'say "hi"']), glue: 'string' },
      b: { schema: v.string(), glue: 'string' },
    };
    const write = compileLineWriter<{ a: string; b: string }>(risky);
    expect(write({ a: 'say "hi"', b: '\\' })).toBe(JSON.stringify({ a: 'say "hi"', b: '\\' }));
  });

  it('refuse a table they cannot write in a fixed order: an optional field, or an open field not last', () => {
    expect(() => compileLineWriter(QUARANTINE_FIELDS)).toThrow(
      /optional fields cannot be written in a fixed order: raw, raw_body/,
    );
    expect(() => compileLineWriter<LakeEvent>(EVENT_FIELDS, 'dt')).toThrow(/must come last/);
  });
});
