import fc from 'fast-check';
import { REASON_CODES } from '../../../../domain/contract/lake-records';
import { type IngestReport, reportJson } from '../../../../domain/core/ingest/ingest-report';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261203) });

// Any text, escapes and lone surrogates included: a sender's messageId ends up in an error.
const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const count = fc.nat({ max: 2_000 });

// Typed as the report, so a field added to IngestReport and not to this test fails to compile.
const report: fc.Arbitrary<IngestReport> = fc.record({
  accepted: count,
  duplicates: count,
  quarantined: count,
  deletes: count,
  erased: count,
  errors: fc.array(
    fc.record({
      index: count,
      messageId: fc.option(anyText),
      code: fc.constantFrom(...REASON_CODES),
      reason: anyText,
    }),
    { maxLength: 3 },
  ),
});

describe('reportJson', () => {
  it('writes, byte for byte, what JSON.stringify writes for the report', () => {
    fc.assert(
      fc.property(report, (r) => {
        expect(reportJson(r)).toBe(JSON.stringify(r));
      }),
      { numRuns: 500 },
    );
  });

  it('writes an empty error list as []', () => {
    const r = { accepted: 1, duplicates: 0, quarantined: 0, deletes: 0, erased: 0, errors: [] };

    expect(JSON.parse(reportJson(r))).toEqual(r);
  });
});
