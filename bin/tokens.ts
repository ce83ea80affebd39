import { type CommandGroup, runCommandGroup } from '../cli/command';
import { AdminInputError } from '../domain/core/common/errors';
import { OPERATOR_COMMANDS } from '../local/console/operator-commands';
import { WHERE } from './tokens/common';
import { CUSTOMER_COMMANDS } from './tokens/customer-commands';
import { KEY_COMMANDS } from './tokens/key-commands';
import { PLAN_CLEAR_COMMAND, PLAN_COMMANDS } from './tokens/plan-commands';

/**
 * `npm run tokens`: API keys, customers, tracking plans and operator keys, on the local file or the
 * deployed table (--table). Each group of subcommands lives in bin/tokens/.
 */
const TOKENS: CommandGroup = {
  name: 'npm run tokens --',
  summary:
    "Issues, lists and revokes API keys; sets a customer's status, event aliases and tracking plan; issues operator keys for the console.",
  notes: WHERE,
  // A refused admin input (an unknown key, a bad plan) is the caller's: exit 2, like a usage error.
  isInputError: (error) => error instanceof AdminInputError,
  // In --help's order: keys, customers, plans, the console's operators.
  commands: {
    create: KEY_COMMANDS.create,
    'enable-link': KEY_COMMANDS['enable-link'],
    disable: CUSTOMER_COMMANDS.disable,
    enable: CUSTOMER_COMMANDS.enable,
    list: KEY_COMMANDS.list,
    revoke: KEY_COMMANDS.revoke,
    'alias set': CUSTOMER_COMMANDS['alias set'],
    'alias list': CUSTOMER_COMMANDS['alias list'],
    ...PLAN_COMMANDS,
    ...OPERATOR_COMMANDS,
    ...PLAN_CLEAR_COMMAND,
  },
};

runCommandGroup(TOKENS);
