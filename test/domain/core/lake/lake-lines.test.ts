import fc from 'fast-check';
import * as v from 'valibot';
import { LEDGER_FIELDS, LedgerEntrySchema } from '../../../../domain/contract/lake-records';
import { ledgerLine } from '../../../../domain/core/lake/lake-lines';
import { isoInstant, utcDate } from '../../../../domain/core/messages/timestamps';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261203) });

// Any text, escapes and lone surrogates included: a customer id or a request id as a caller may pass it.
const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const count = fc.nat({ max: 10_000 });

describe('ledgerLine', () => {
  it('writes, byte for byte, what JSON.stringify writes for the entry in the contract’s key order', () => {
    fc.assert(
      fc.property(
        anyText,
        anyText,
        fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2099-12-31') }),
        fc.constantFrom(200, 400, 413, 501),
        fc.record({ accepted: count, quarantined: count, duplicates: count }),
        fc.constantFrom('ingest' as const, 'redrive' as const),
        (customerId, requestId, at, status, counts, source) => {
          const receivedAt = at.getTime();
          const values: Record<keyof typeof LEDGER_FIELDS, unknown> = {
            ledger_version: 2,
            area: 'ledger',
            request_id: requestId,
            source,
            customer_id: customerId,
            dt: utcDate(receivedAt),
            received_at: isoInstant(receivedAt),
            status,
            ...counts,
          };
          const entry = Object.fromEntries(
            Object.keys(LEDGER_FIELDS).map((key) => [key, values[key as keyof typeof values]]),
          );
          const line = ledgerLine(customerId, requestId, receivedAt, status, counts, source);

          expect(line.json).toBe(JSON.stringify(entry));
          expect(v.safeParse(LedgerEntrySchema, JSON.parse(line.json)).success).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
