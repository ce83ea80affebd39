import * as v from 'valibot';
import { CUSTOMER_ID_PATTERN } from '../../domain/core/keys/tokens';
import { type EraseStepsDeps, eraseSteps } from './erase-steps';

const Customer = v.pipe(v.string(), v.regex(CUSTOMER_ID_PATTERN, 'a customer id'));
const Pass = v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/, 'a pass id (a digest of its requests)'));
const QueryId = v.pipe(v.string(), v.uuid());
const EraseStep = v.variant('step', [
  // A run id is the state machine's execution name: letters, digits, `-` and `_` (never a path).
  v.object({ step: v.literal('purgeCurated') }),
  v.object({ step: v.literal('planRun'), runId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,80}$/)) }),
  v.object({ step: v.literal('prepare'), customerId: Customer, passId: Pass, linkQueryId: QueryId }),
  v.object({ step: v.literal('identityErase') }),
  v.object({
    step: v.literal('removeErasedIds'),
    passes: v.array(v.object({ customerId: Customer, passId: Pass })),
  }),
  v.object({ step: v.literal('planObjects'), customerId: Customer, passId: Pass, objectsQueryId: QueryId }),
  v.object({
    step: v.literal('rewrite'),
    customerId: Customer,
    passId: Pass,
    keys: v.array(v.string()),
    stale: v.optional(v.boolean(), false),
  }),
  v.object({
    step: v.literal('finish'),
    customerId: Customer,
    passId: Pass,
    curatedBefore: QueryId,
    curatedAfter: QueryId,
    landingAfter: QueryId,
  }),
]);

/** The erase state machine's function: one step of a pass per invocation (lib/user-erasure.ts). */
export function createEraseHandler(deps: EraseStepsDeps) {
  const steps = eraseSteps(deps);
  return async function eraseStep(input: unknown) {
    const step = v.parse(EraseStep, input);
    switch (step.step) {
      case 'purgeCurated':
        return steps.purgeCurated();
      case 'planRun':
        return steps.planRun(step.runId);
      case 'prepare':
        return steps.prepare(step.customerId, step.passId, step.linkQueryId);
      case 'identityErase':
        return steps.identityErase();
      case 'removeErasedIds':
        return steps.removeErasedIds(step.passes);
      case 'planObjects':
        return steps.planObjects(step.customerId, step.passId, step.objectsQueryId);
      case 'rewrite':
        return steps.rewrite(step.customerId, step.passId, step.keys, step.stale);
      case 'finish':
        return steps.finish(step.customerId, step.passId, step);
    }
  };
}
