import type { PackedRecord, PutOutcome } from '../../domain/core/common/ports';
import { type CallLimits, splitIntoCalls } from '../../domain/core/lake/split-calls';
import { awsErrorName, failedOutcome } from './aws-errors';

/**
 * One call of a batch API: sends some records and answers, per record in order, its error code or
 * `undefined` when it was acknowledged (`null` when the service said nothing about that record).
 */
export type BatchCall = (records: PackedRecord[]) => Promise<(string | undefined | null)[]>;

/**
 * Splits records into calls within the API's limits, sends the calls in parallel, and maps the answers
 * back to one outcome per record. A call that fails whole fails each of its records with its error.
 */
export async function putInCalls(
  records: readonly PackedRecord[],
  limits: CallLimits,
  call: BatchCall,
): Promise<PutOutcome[]> {
  const outcomes = new Array<PutOutcome>(records.length);
  await Promise.all(
    splitIntoCalls(records, limits).map(async (indices) => {
      try {
        const codes = await call(indices.map((i) => records[i]!));
        indices.forEach((recordIndex, i) => {
          const code = codes[i];
          outcomes[recordIndex] =
            code === undefined ? { ok: true } : failedOutcome(code ?? 'MissingRecordResult');
        });
      } catch (error) {
        for (const recordIndex of indices) outcomes[recordIndex] = failedOutcome(awsErrorName(error));
      }
    }),
  );
  return outcomes;
}
