import * as v from 'valibot';
import { STAGING_PREFIX } from './curated-table';
import { CustomerIdSchema, DaySchema } from './formats';

/**
 * The AWS compaction's backlog lane (docs/lake.md, "A backlog beside live traffic"): a customer whose run
 * brings more than a live hour's worth — a Replay — has its landing objects and the event days still to
 * merge written to a batch file here, and its object-log messages removed (the batch is durable; a
 * message received five times would go to the dead-letter queue, one left fourteen days would expire).
 * Each run then merges a bounded share of every backlog, oldest first, after the live customers.
 *
 * A batch holds object keys and day counts only: no row of anyone's data, so an erase has nothing here
 * to remove.
 */
export const BACKLOG_PREFIX = `${STAGING_PREFIX}/backlog/`;

export const backlogBatchKey = (customerId: string, runId: string) =>
  `${BACKLOG_PREFIX}customer_id=${customerId}/run_id=${runId}.json`;

const BacklogDaySchema = v.object({
  eventDate: DaySchema,
  rows: v.pipe(v.number(), v.integer(), v.minValue(1)),
  byId: v.boolean(),
});
export type BacklogDay = v.InferOutput<typeof BacklogDaySchema>;

export const BacklogBatchSchema = v.object({
  version: v.literal(1),
  customerId: CustomerIdSchema,
  /** When the run that set it aside packed it: batches are merged oldest first. */
  createdAt: v.pipe(v.string(), v.isoTimestamp()),
  /** The landing objects (`s3://bucket/key`) the days' rows are in. */
  objects: v.array(v.string()),
  /** The event days not merged yet, with their staged rows. */
  pending: v.array(BacklogDaySchema),
});
export type BacklogBatch = v.InferOutput<typeof BacklogBatchSchema>;

/** A committed backlog item's note, read by the run's finish: these days of these batches are merged. */
export const BacklogDoneSchema = v.object({
  customerId: CustomerIdSchema,
  days: v.array(DaySchema),
  batches: v.array(v.string()),
});
export type BacklogDone = v.InferOutput<typeof BacklogDoneSchema>;
