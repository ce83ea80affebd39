/**
 * The tokens table's global secondary indexes: lib/token-table.ts creates them, the DynamoDB token
 * store queries them. `byCustomer` lists a customer's keys; `byTokenId` finds a key to revoke.
 * Customer items have no `createdAt`, so they stay out of `byCustomer`.
 */
export const TOKEN_TABLE_INDEXES = { byCustomer: 'byCustomer', byTokenId: 'byTokenId' } as const;
