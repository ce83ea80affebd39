import { nearest } from '../../contract/closest';
import { AdminInputError, NotFoundError } from '../common/errors';
import { buildEnableLink, type EnableLinkOptions } from '../onboarding/enable-link';
import type { CustomerRecord, TokenStore } from './token-store';
import { CUSTOMER_ID_PATTERN, type IssuedToken, issueToken, type TokenRecord } from './tokens';

export function checkCustomerId(customerId: string): string {
  if (!CUSTOMER_ID_PATTERN.test(customerId)) {
    throw new AdminInputError(
      `Customer id "${customerId.slice(0, 80)}" is not valid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.`,
    );
  }
  return customerId;
}

async function ensureCustomer(store: TokenStore, customerId: string, now: Date): Promise<CustomerRecord> {
  const existing = await store.getCustomer(customerId);
  if (existing) return existing;
  const created: CustomerRecord = {
    customerId,
    status: 'enabled',
    eventAliases: {},
    updatedAt: now.toISOString(),
  };
  await store.putCustomer(created);
  return created;
}

/**
 * A customer that must already exist (it has been issued a key): settings of a customer id that was
 * never created are a typo, refused with a NotFoundError naming the closest known ids rather than
 * silently creating one.
 */
export async function existingCustomer(store: TokenStore, customerId: string): Promise<CustomerRecord> {
  const existing = await store.getCustomer(customerId);
  if (existing) return existing;
  const known = [...new Set((await store.listTokens()).map((t) => t.customerId))];
  const close = nearest(customerId, known, 3, 3);
  throw new NotFoundError(
    `No customer "${customerId.slice(0, 80)}"${close.length ? `; did you mean ${close.map((c) => `"${c}"`).join(', ')}?` : ''} (a customer exists once it has been issued a key).`,
  );
}

/**
 * Issues a new key for a customer (creating the customer on first use). Earlier keys stay valid until
 * revoked, so keys can be rotated without a gap.
 */
export async function createToken(store: TokenStore, customerId: string, now: Date): Promise<IssuedToken> {
  checkCustomerId(customerId);
  await ensureCustomer(store, customerId, now);
  const issued = issueToken(customerId, now);
  await store.putToken(issued.record);
  return issued;
}

/** Key metadata without the hash: what admins may see. */
export type TokenSummary = Omit<TokenRecord, 'tokenHash'>;

export function summarize(record: TokenRecord): TokenSummary {
  const { tokenHash: _hidden, ...summary } = record;
  return summary;
}

export async function revokeToken(store: TokenStore, tokenId: string, now: Date): Promise<TokenSummary> {
  const revoked = await store.revokeToken(tokenId, now);
  if (!revoked) throw new NotFoundError(`There is no key with id "${tokenId.slice(0, 80)}".`);
  return summarize(revoked);
}

/** Adds or replaces one of a customer's event-name aliases (`from` in any spelling → `to`). */
export async function setEventAlias(
  store: TokenStore,
  customerId: string,
  from: string,
  to: string,
  now: Date,
): Promise<CustomerRecord> {
  checkCustomerId(customerId);
  if (!from.trim() || !to.trim()) throw new AdminInputError('An alias needs a non-empty --from and --to.');
  const customer = await existingCustomer(store, customerId);
  const updated: CustomerRecord = {
    ...customer,
    eventAliases: { ...customer.eventAliases, [from.trim()]: to.trim() },
    updatedAt: now.toISOString(),
  };
  await store.putCustomer(updated);
  return updated;
}

/** A new key and the Segment link that installs it: one operation, so a key is never issued unlinked. */
export async function issueEnableLink(
  store: TokenStore,
  customerId: string,
  link: Omit<EnableLinkOptions, 'token'>,
  now: Date,
): Promise<IssuedToken & { enableUrl: string }> {
  const issued = await createToken(store, customerId, now);
  return { ...issued, enableUrl: buildEnableLink({ ...link, token: issued.token }) };
}

/** Disables or re-enables a customer: a disabled customer's requests are answered 403. */
export async function setCustomerStatus(
  store: TokenStore,
  customerId: string,
  status: CustomerRecord['status'],
  now: Date,
): Promise<CustomerRecord> {
  checkCustomerId(customerId);
  const customer = await existingCustomer(store, customerId);
  const updated: CustomerRecord = { ...customer, status, updatedAt: now.toISOString() };
  await store.putCustomer(updated);
  return updated;
}
