import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { PackedRecord, PutOutcome, RecordSink } from '../../domain/core/common/ports';
import { FIREHOSE_MAX_RECORD_BYTES } from '../../domain/core/lake/pack-records';
import { putInCalls } from './put-in-calls';

// Kinesis PutRecords: at most 500 records and 5 MiB (data + partition keys) per call; a record's data
// plus key at most 1 MiB. Source: Kinesis Data Streams API reference, PutRecords.
const CALL_LIMITS = { maxRecords: 500, maxBytes: 5 * 1024 * 1024, countPartitionKey: true };
// Kinesis takes a record of 1 MiB with its key, but Firehose reads this stream and refuses records over
// 1,000 KiB: the smaller limit decides, or a record acknowledged here fails in Firehose after the 200.
const MAX_RECORD_BYTES = FIREHOSE_MAX_RECORD_BYTES;

/** Puts packed records into a Kinesis data stream (which Firehose reads), one outcome per record. */
export class KinesisSink implements RecordSink {
  readonly maxRecordBytes = MAX_RECORD_BYTES;

  constructor(
    private readonly client: KinesisClient,
    private readonly streamName: string,
  ) {}

  put(records: readonly PackedRecord[], signal?: AbortSignal): Promise<PutOutcome[]> {
    return putInCalls(records, CALL_LIMITS, async (batch) => {
      const response = await this.client.send(
        new PutRecordsCommand({
          StreamName: this.streamName,
          Records: batch.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey })),
        }),
        { abortSignal: signal },
      );
      return batch.map((_, i) => (response.Records?.[i] ? response.Records[i].ErrorCode : null));
    });
  }
}
