import { subcommand } from '../../cli/command';
import { customerFlag, jsonFlag } from '../../cli/flags';
import { setCustomerStatus, setEventAlias } from '../../domain/core/keys/token-admin';
import { now, required, say, storeFor, TABLE, textFlag } from './common';

/** A customer's status and event aliases. */
export const CUSTOMER_COMMANDS = {
  disable: statusCommand('disabled'),
  enable: statusCommand('enabled'),
  'alias set': subcommand(
    {
      summary: "map a customer's own event name to a canonical one",
      flags: {
        customer: customerFlag('the customer (required)'),
        from: textFlag('name', "the customer's spelling (required)"),
        to: textFlag('canonical', 'the canonical event name (required)'),
        json: jsonFlag('the customer record as JSON'),
        ...TABLE,
      },
      examples: ['npm run tokens -- alias set --customer acme --from "signup done" --to "Signed Up"'],
    },
    async ({ values }) => {
      const from = required(values.from, '--from <name>');
      const to = required(values.to, '--to <canonical>');
      const updated = await setEventAlias(storeFor(values.table), required(values.customer), from, to, now());
      say(values.json ? JSON.stringify(updated) : `Customer ${updated.customerId}: "${from}" → "${to}".`);
    },
  ),
  'alias list': subcommand(
    {
      summary: "the customer's event aliases",
      flags: { customer: customerFlag('the customer (required)'), json: jsonFlag('on one line'), ...TABLE },
      examples: ['npm run tokens -- alias list --customer acme'],
    },
    async ({ values }) => {
      const found = await storeFor(values.table).getCustomer(required(values.customer));
      say(JSON.stringify(found?.eventAliases ?? {}, null, values.json ? 0 : 2));
    },
  ),
};

/** `disable` and `enable`: the same command, two statuses. */
function statusCommand(status: 'enabled' | 'disabled') {
  return subcommand(
    {
      summary:
        status === 'disabled'
          ? "refuse the customer's requests (403) until enabled again"
          : "accept the customer's requests again",
      flags: {
        customer: customerFlag('the customer (required)'),
        json: jsonFlag('the customer record'),
        ...TABLE,
      },
      examples: [`npm run tokens -- ${status === 'disabled' ? 'disable' : 'enable'} --customer acme`],
    },
    async ({ values }) => {
      const updated = await setCustomerStatus(
        storeFor(values.table),
        required(values.customer),
        status,
        now(),
      );
      say(values.json ? JSON.stringify(updated) : `Customer ${updated.customerId} is ${updated.status}.`);
    },
  );
}
