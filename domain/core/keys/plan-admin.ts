import { parsePlan } from '../quality/tracking-plan';
import { checkCustomerId, existingCustomer } from './token-admin';
import type { CustomerRecord, TokenStore } from './token-store';

// Apart from token-admin.ts because it compiles plans (Ajv, the largest package a bundle can hold): a
// function that issues or revokes keys but never sets a plan (the deployment checks) does not carry it.

/**
 * Sets (or, with `undefined`, clears) a customer's tracking plan, after checking it: every JSON Schema
 * in it must compile. It takes effect within the authorizer cache TTL, like keys and aliases.
 */
export async function setTrackingPlan(
  store: TokenStore,
  customerId: string,
  plan: unknown,
  now: Date,
): Promise<CustomerRecord> {
  checkCustomerId(customerId);
  const customer = await existingCustomer(store, customerId);
  const { trackingPlan: _previous, ...rest } = customer;
  const updated: CustomerRecord =
    plan === undefined
      ? { ...rest, updatedAt: now.toISOString() }
      : { ...rest, trackingPlan: parsePlan(plan), updatedAt: now.toISOString() };
  await store.putCustomer(updated);
  return updated;
}
