import type { TokenStore } from '../keys/token-store';

/**
 * What onboarding says when a stack serves more customers than it was sized for (`maxCustomers`): the
 * key is issued all the same — refusing a customer Segment is already set up for would lose its data —
 * but past the capacity a Firehose stream can overflow its active-partition quota and land records in
 * errors/ after the 200, so the operator must hear it. Customers are counted by their active keys.
 *
 * @example await capacityWarning(store, 150) // undefined while 150 or fewer customers have an active key
 */
export async function capacityWarning(store: TokenStore, maxCustomers: number): Promise<string | undefined> {
  const customers = new Set(
    (await store.listTokens()).filter((t) => t.status === 'active').map((t) => t.customerId),
  );
  if (customers.size <= maxCustomers) return undefined;
  return `WARNING: this stack is sized for ${maxCustomers} customers (maxCustomers) and ${customers.size} now have an active key. Beyond its capacity a Firehose stream can exceed its active-partition quota and land records in errors/ after answering 200. Redeploy with -c maxCustomers=<at least ${customers.size}> (docs/upgrading.md) before the new customer sends.`;
}
