import { readFileSync } from 'node:fs';
import { FileSegmentWriteKeys, keyHint } from '../../adapters/local/segment-write-keys';
import { subcommand } from '../../cli/command';
import { customerFlag, jsonFlag } from '../../cli/flags';
import { AdminInputError } from '../../domain/core/common/errors';
import { setTrackingPlan } from '../../domain/core/keys/plan-admin';
import { readLocalConfig } from '../../local/config';
import { now, required, say, storeFor, TABLE, textFlag } from './common';

/** A customer's tracking plan, and the Segment write key the audience sync sends with. */
export const PLAN_COMMANDS = {
  'plan set': subcommand(
    {
      summary: "set the customer's tracking plan (docs/data-quality.md)",
      flags: {
        customer: customerFlag('the customer (required)'),
        file: textFlag('plan.json', 'the plan, as JSON (required)'),
        json: jsonFlag('the plan as stored'),
        ...TABLE,
      },
      examples: ['npm run tokens -- plan set --customer acme --file plan.json'],
    },
    async ({ values }) => {
      const file = required(values.file, '--file <plan.json>');
      let plan: unknown;
      try {
        plan = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new AdminInputError(`Cannot read ${file} as JSON: ${(error as Error).message}`);
      }
      const updated = await setTrackingPlan(storeFor(values.table), required(values.customer), plan, now());
      const events = Object.keys(updated.trackingPlan?.events ?? {}).length;
      say(
        values.json
          ? JSON.stringify(updated.trackingPlan)
          : `Customer ${updated.customerId}: tracking plan set (${events} events, mode ${updated.trackingPlan?.mode}). It applies within the authorizer cache TTL.`,
      );
    },
  ),
  'plan show': subcommand(
    {
      summary: "print the customer's tracking plan",
      flags: { customer: customerFlag('the customer (required)'), json: jsonFlag('on one line'), ...TABLE },
      examples: ['npm run tokens -- plan show --customer acme'],
    },
    async ({ values }) => {
      const customer = required(values.customer);
      const found = await storeFor(values.table).getCustomer(customer);
      if (!found?.trackingPlan) throw new AdminInputError(`Customer ${customer} has no tracking plan.`);
      say(JSON.stringify(found.trackingPlan, null, values.json ? 0 : 2));
    },
  ),
  'segment-key set': subcommand(
    {
      summary: "store the customer's Segment source write key (npm run audience -- sync sends with it)",
      flags: {
        customer: customerFlag('the customer (required)'),
        'write-key': textFlag('key', 'the write key of the Segment source the predictions go to (required)'),
      },
      notes: [
        'Stored as a secret ($DATA_DIR/secrets/, mode 0600) and never printed back: only its last four characters.',
        'Segment accepts any key with 200, so a wrong one cannot be detected by sending: compare the four',
        'characters with Segment → Connections → Sources → <source> → Settings → API Keys.',
      ],
      examples: ['npm run tokens -- segment-key set --customer acme --write-key <key>'],
    },
    ({ values }) => {
      const customer = required(values.customer);
      const writeKey = required(values['write-key'], '--write-key <key>');
      new FileSegmentWriteKeys(readLocalConfig(process.env).dataDir).set(customer, writeKey);
      say(
        `Segment write key for ${customer} set (${keyHint(writeKey)}). Check those four characters against the source's write key in Segment (Connections → Sources → Settings → API Keys).`,
      );
    },
  ),
};

/** Removing a tracking plan (listed after the operator commands in --help, as before). */
export const PLAN_CLEAR_COMMAND = {
  'plan clear': subcommand(
    {
      summary: "remove the customer's tracking plan",
      flags: {
        customer: customerFlag('the customer (required)'),
        json: jsonFlag('null on success'),
        ...TABLE,
      },
      examples: ['npm run tokens -- plan clear --customer acme'],
    },
    async ({ values }) => {
      const updated = await setTrackingPlan(
        storeFor(values.table),
        required(values.customer),
        undefined,
        now(),
      );
      say(values.json ? JSON.stringify(null) : `Customer ${updated.customerId}: tracking plan cleared.`);
    },
  ),
};
