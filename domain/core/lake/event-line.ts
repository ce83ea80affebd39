import { EVENT_FIELDS, type LakeEvent } from '../../contract/lake-records';
import { compileLineWriter } from './line-writer';

/**
 * An event's lake line up to its message: `{"schema_version":1,…,"message":`. The message comes last in
 * the contract's order, so the line is this, the message's JSON, and `}`. Written by a writer built once
 * from EVENT_FIELDS (line-writer.ts): the keys, their order and how each is written come from the
 * contract alone. This runs once per event; one JSON.stringify of the event was 11.6 % of the core's
 * time on batches, and this is about half of that (docs/performance.md).
 */
export const eventLineHead: (event: LakeEvent) => string = compileLineWriter<LakeEvent>(
  EVENT_FIELDS,
  'message',
);
