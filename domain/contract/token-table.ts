/**
 * The tokens table's global secondary indexes: lib/token-table.ts creates them, the DynamoDB token
 * store queries them. `byCustomer` lists a customer's keys; `byTokenId` finds a key to revoke.
 * Customer items have no `createdAt`, so they stay out of `byCustomer`.
 */
export const TOKEN_TABLE_INDEXES = { byCustomer: 'byCustomer', byTokenId: 'byTokenId' } as const;
/** Each index's key attributes: the table defines them, the store's queries name them. */
export const TOKEN_INDEX_KEYS = {
  byCustomer: { partition: 'customerId', sort: 'createdAt' },
  byTokenId: { partition: 'tokenId' },
} as const;

/** The fair-share table's key (`<customer>#<window>`) and the attribute its items expire by. */
export const FAIR_SHARE_KEY_ATTRIBUTE = 'pk';
export const FAIR_SHARE_EXPIRY_ATTRIBUTE = 'expiresAt';

/** The table's key attribute, and the one attribute the authorizer writes (a key's last use). */
export const TOKEN_KEY_ATTRIBUTE = 'pk';
export const LAST_USED_ATTRIBUTE = 'lastUsedAt';

/**
 * The tag on the tokens table that states the stack's `maxCustomers`: `npm run tokens -- create --table`
 * reads it to warn when onboarding past the capacity (the admin function gets it as MAX_CUSTOMERS).
 */
export const CAPACITY_TAG = 'segment-lake:max-customers';
