import * as v from 'valibot';
import { BacklogDoneSchema } from '../../domain/contract/curated-backlog';
import { IDENTITY_PENDING_PREFIX } from '../../domain/contract/identity';
import { athenaStagedPartitions } from '../../domain/contract/sql/curated-sql';
import type { Clock, Logger } from '../../domain/core/common/ports';
import { CUSTOMER_ID_PATTERN } from '../../domain/core/keys/tokens';
import {
  commitItem,
  finishRun,
  identityFactsDue,
  markIdentityFacts,
  type ObjectLog,
  packRun,
  planRunIdentities,
  type RunFiles,
  stageRun,
} from '../../domain/core/lake/compaction-run';

const Customer = v.pipe(v.string(), v.regex(CUSTOMER_ID_PATTERN, 'a customer id'));
/** A run id is the state machine's execution name: letters, digits, `-` and `_` (never SQL). */
const RunId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,80}$/, 'a run id is an execution name'));
const CompactionStep = v.variant('step', [
  v.object({ step: v.literal('stage'), runId: RunId }),
  v.object({
    step: v.literal('pack'),
    runId: RunId,
    // None when the run staged nothing new: only the backlog's next share is packed.
    queryExecutionId: v.optional(v.nullable(v.pipe(v.string(), v.uuid())), null),
  }),
  v.object({
    step: v.literal('commitItem'),
    runId: RunId,
    customers: v.array(Customer),
    backlog: v.optional(v.nullable(BacklogDoneSchema), null),
  }),
  v.object({ step: v.literal('finish'), runId: RunId, parked: v.optional(v.array(Customer), []) }),
  v.object({ step: v.literal('identityFactsDue') }),
  v.object({
    step: v.literal('markIdentityFacts'),
    runId: RunId,
    whole: v.optional(v.boolean(), false),
    // Only the identity pending files (never another key): what the steps put there.
    pendingKeys: v.optional(
      v.array(
        v.pipe(
          v.string(),
          v.check(
            (key) =>
              key.startsWith(IDENTITY_PENDING_PREFIX) &&
              /^[A-Za-z0-9_-]{1,80}\.json$/.test(key.slice(IDENTITY_PENDING_PREFIX.length)),
            'an identity pending file',
          ),
        ),
      ),
      [],
    ),
  }),
  v.object({ step: v.literal('planRunIdentities'), runId: RunId }),
]);

export interface CompactionDeps {
  log: ObjectLog;
  files: RunFiles;
  lakeBucket: string;
  database: string;
  logger: Logger;
  clock: Pick<Clock, 'now'>;
}

/** The compaction state machine's function: one step of a run per invocation (lib/curated-compaction.ts). */
export function createCompactionHandler(deps: CompactionDeps) {
  return async function compactionStep(input: unknown) {
    const step = v.parse(CompactionStep, input);
    switch (step.step) {
      case 'stage': {
        const staged = await stageRun(step.runId, deps.lakeBucket, deps.log, deps.files);
        deps.logger.info('staged', {
          runId: step.runId,
          objects: staged.objects,
          customers: staged.customers.length,
        });
        // The next state asks Athena for the run's partitions with this statement (none: nothing staged).
        return {
          ...staged,
          planSql:
            staged.customers.length > 0
              ? athenaStagedPartitions(deps.database, step.runId, staged.customers)
              : undefined,
        };
      }
      case 'pack': {
        const packed = await packRun(
          step.runId,
          deps.database,
          step.queryExecutionId ?? undefined,
          deps.files,
          deps.log,
          deps.clock.now(),
        );
        if (packed.setAside.length > 0)
          deps.logger.info('backlog: customers set aside to the backlog lane', {
            runId: step.runId,
            customers: packed.setAside,
          });
        if (packed.damagedBatches.length > 0)
          deps.logger.error('backlog batches that cannot be read are left as they are', {
            runId: step.runId,
            batches: packed.damagedBatches,
          });
        const { setAside: _, damagedBatches: __, ...answer } = packed;
        return answer;
      }
      // The identity facts (identity-sql.ts): a lake's whole table once, then what earlier runs left.
      case 'identityFactsDue':
        return identityFactsDue(deps.database, deps.files);
      case 'markIdentityFacts':
        return markIdentityFacts(deps.files, {
          whole: step.whole,
          pendingKeys: step.pendingKeys,
          runId: step.runId,
          at: new Date(deps.clock.now()).toISOString(),
        });
      case 'planRunIdentities':
        return planRunIdentities(step.runId, deps.database, deps.files);
      case 'commitItem':
        return commitItem(step.runId, step.customers, deps.log, deps.files, step.backlog);
      case 'finish': {
        const finished = await finishRun(step.runId, deps.log, deps.files, step.parked);
        if (finished.parked.length > 0)
          deps.logger.error('customers parked: their MERGE failed alone; their objects stay in the log', {
            runId: step.runId,
            parked: finished.parked,
          });
        return finished;
      }
    }
  };
}
