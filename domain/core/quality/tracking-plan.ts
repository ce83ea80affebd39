import type { default as Ajv, ErrorObject, ValidateFunction } from 'ajv';
import * as v from 'valibot';
import {
  MAX_PLAN_BYTES,
  type TrackingPlan,
  TrackingPlanSchema,
  type Violation,
} from '../../contract/tracking-plan';
import { boundedMemo } from '../common/bounded-memo';
import { AdminInputError } from '../common/errors';
import { foldEventName } from '../messages/normalize-event-name';

/** How one event stands against its customer's plan. */
interface PlanCheck {
  /** Whether the plan names the event; null without a plan (or for types a plan does not cover). */
  planned: boolean | null;
  violations: Violation[];
}

export interface CompiledPlan {
  mode: TrackingPlan['mode'];
  /** Checks a normalized event: its type, its canonical name's folded key, and its canonical fields. */
  check(type: string, eventKey: string | null, fields: Record<string, unknown>): PlanCheck;
}

const NO_PLAN: PlanCheck = { planned: null, violations: [] };

// An event that breaks a schema everywhere gets at most this many violations in its record.
const MAX_VIOLATIONS = 20;

// One validator for every plan: schemas compile to functions once per plan (memoized below), and
// allErrors reports every way an event breaks its schema, not just the first. strict: false accepts
// schemas written for other validators (unknown keywords and formats are ignored, not errors). Loaded
// at the first plan, not at cold start: most customers have none, and it is most of the ingest bundle.
let validator: Ajv | undefined;
function ajv(): Ajv {
  if (!validator) {
    const { default: AjvClass } = require('ajv') as typeof import('ajv');
    validator = new AjvClass({ allErrors: true, strict: false });
  }
  return validator;
}

/**
 * A tracking plan from what an operator wrote: parsed with the plan's schema, every JSON Schema in it
 * compiled (so a broken schema is refused when the plan is set, not at ingest), within the size cap.
 *
 * @throws AdminInputError naming what is wrong
 */
export function parsePlan(input: unknown): TrackingPlan {
  const text = JSON.stringify(input) ?? '';
  if (Buffer.byteLength(text) > MAX_PLAN_BYTES)
    throw new AdminInputError(
      `The plan is ${Buffer.byteLength(text)} bytes as JSON; at most ${MAX_PLAN_BYTES} are allowed.`,
    );
  const result = v.safeParse(TrackingPlanSchema, input);
  if (!result.success) {
    const issue = result.issues[0];
    throw new AdminInputError(`The plan is not valid: ${v.getDotPath(issue) ?? 'plan'}: ${issue.message}`);
  }
  try {
    compilePlan(result.output);
  } catch (error) {
    throw new AdminInputError(
      `The plan has a JSON Schema that does not compile: ${(error as Error).message}`,
    );
  }
  return result.output;
}

/** Compiles a plan's schemas into a checker. */
export function compilePlan(plan: TrackingPlan): CompiledPlan {
  const events = new Map<string, ValidateFunction | undefined>();
  for (const [name, entry] of Object.entries(plan.events))
    events.set(foldEventName(name), entry.properties ? ajv().compile(entry.properties) : undefined);
  const traits = plan.identify?.traits ? ajv().compile(plan.identify.traits) : undefined;
  return {
    mode: plan.mode,
    check(type, eventKey, fields) {
      if (type === 'identify') {
        if (!plan.identify) return NO_PLAN;
        return {
          planned: true,
          violations: traits ? violationsOf(traits, fields.traits ?? {}, 'traits') : [],
        };
      }
      if (type !== 'track' || eventKey === null) return NO_PLAN;
      if (!events.has(eventKey)) {
        return plan.allowUnplanned
          ? { planned: false, violations: [] }
          : {
              planned: false,
              violations: [
                { path: 'event', rule: 'unplanned', message: 'the tracking plan does not name this event' },
              ],
            };
      }
      const schema = events.get(eventKey);
      return {
        planned: true,
        violations: schema ? violationsOf(schema, fields.properties ?? {}, 'properties') : [],
      };
    },
  };
}

function violationsOf(validate: ValidateFunction, value: unknown, root: string): Violation[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, MAX_VIOLATIONS).map((error) => violation(error, root));
}

function violation(error: ErrorObject, root: string): Violation {
  const at = error.instancePath.split('/').filter(Boolean);
  const missing = (error.params as { missingProperty?: string }).missingProperty;
  if (missing) at.push(missing);
  const path = [root, ...at].join('.');
  return { path, rule: error.keyword, message: `${path} ${error.message ?? 'is not valid'}` };
}

/**
 * The compiled plan of an authorizer verdict's plan text ('' when the customer has none). Warm
 * functions see the same few plans over and over: each is compiled once.
 */
export const planFromText = boundedMemo(1_000, (text: string): CompiledPlan | undefined =>
  text ? compilePlan(v.parse(TrackingPlanSchema, JSON.parse(text))) : undefined,
);
