import { createCallbackHandler } from './create-callback-handler';

/** The deployed callback page (lib/admin-api.ts): nothing to compose, no environment. */
export const handler = createCallbackHandler();
