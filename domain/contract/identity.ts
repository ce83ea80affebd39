/**
 * Who is who, per customer: the identity graph built from the customer's own data (docs/lake.md,
 * "Identities"). Two tables, the names Segment's warehouses use:
 * - `identities`: every pair of an anonymous id and a user id seen together — in a message carrying
 *   both (an identify at sign-up, any later message), or an alias whose `previousId` is an anonymous id —
 *   with when it was first and last seen, whether the anonymous id is `shared` (seen with more than one
 *   user: a shared device), and whether the link `merged` into the user's person;
 * - `users`: each user with the anonymous ids merged into them, their latest value of each trait (JSON
 *   text, from their identify calls) and when they were first and last seen.
 *
 * The rules, each tested (test/e2e/identities.test.ts):
 * - **Merge protection:** an anonymous id seen with two or more user ids is a shared device: it links to
 *   each of them in `identities` (`shared` true) but merges into none.
 * - **A limit per person:** a user merges at most `anonymousIdsPerUser` anonymous ids, the first seen;
 *   later ones stay in `identities` with `merged` false (a runaway id — a bot, a kiosk — does not pull
 *   thousands of visitors into one person).
 * - **Placeholders link nothing:** ids such as `""`, `"null"`, `"undefined"`, `"0"`, `"guest"`,
 *   `"anonymous"` (PLACEHOLDER_IDS, compared trimmed and in lower case) are no one's.
 * - **Aliases between users:** an `alias` whose `previousId` is itself a user id of the customer merges
 *   that user into the alias's user: the old user id's rows belong to the new one's person, through at
 *   most `aliasHops` aliases (a longer chain stops there).
 */
export const IDENTITY_RULES = {
  anonymousIdsPerUser: 100,
  aliasHops: 5,
} as const;

export const PLACEHOLDER_IDS = [
  '',
  'null',
  'undefined',
  'nil',
  'none',
  'nan',
  '0',
  '-1',
  'guest',
  'anonymous',
  'anon',
  'unknown',
  'n/a',
  'na',
  'false',
] as const;

export const IDENTITIES_TABLE = 'identities';
/**
 * On AWS, the facts the two tables are derived from (domain/contract/sql/identity-sql.ts): an Iceberg
 * table under `curated/identity_facts/` the compaction MERGEs into; `identities` and `users` are views over it.
 */
export const IDENTITY_FACTS_TABLE = 'identity_facts';
export const IDENTITY_FACTS_AREA = 'curated/identity_facts';
/** Written once the facts of the curated table from before the facts table existed were added. */
export const IDENTITY_BACKFILL_MARKER = 'curated/_staging/_identity/backfilled.json';
/** The identity facts a run could not merge, one file per run, until a later run merges them. */
export const IDENTITY_PENDING_PREFIX = 'curated/_staging/_identity/pending/';
export const USERS_TABLE = 'users';
/** Locally: `<lake>/identities/customer_id=<id>/identities.parquet` and `<lake>/users/customer_id=<id>/users.parquet`. */
export const IDENTITY_AREAS = { identities: 'identities', users: 'users' } as const;
export const identityFile = (table: keyof typeof IDENTITY_AREAS, customerId: string) =>
  `${IDENTITY_AREAS[table]}/customer_id=${customerId}/${table}.parquet`;
