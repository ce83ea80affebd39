import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { PackedRecord, PutOutcome, RecordSink } from '../../domain/core/common/ports';
import { FIREHOSE_MAX_RECORD_BYTES } from '../../domain/core/lake/pack-records';
import { putInCalls } from './put-in-calls';

// Firehose PutRecordBatch: at most 500 records and 4 MiB per call, 1,000 KiB per record.
// Source: Amazon Data Firehose API reference, PutRecordBatch.
const CALL_LIMITS = { maxRecords: 500, maxBytes: 4 * 1024 * 1024, countPartitionKey: false };

/** Puts packed records straight into Firehose (Direct PUT, for small installs), one outcome per record. */
export class FirehoseSink implements RecordSink {
  readonly maxRecordBytes = FIREHOSE_MAX_RECORD_BYTES;

  constructor(
    private readonly client: FirehoseClient,
    private readonly deliveryStreamName: string,
  ) {}

  put(records: readonly PackedRecord[], signal?: AbortSignal): Promise<PutOutcome[]> {
    return putInCalls(records, CALL_LIMITS, async (batch) => {
      const response = await this.client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: this.deliveryStreamName,
          Records: batch.map((r) => ({ Data: r.data })),
        }),
        { abortSignal: signal },
      );
      return batch.map((_, i) =>
        response.RequestResponses?.[i] ? response.RequestResponses[i].ErrorCode : null,
      );
    });
  }
}
