import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretStore } from '../../domain/core/common/ports';

/**
 * Secrets Manager as a SecretStore. Values are read through Powertools Parameters' SecretsProvider, which
 * keeps each one `maxAgeSeconds` in the warm function: a sync's Map asks for a customer's write key once
 * per customer, not once per shard, and a rotated key is used within that age. `exists` is DescribeSecret,
 * so the value is never read just to check it is there.
 */
export function secretsManagerStore(client: SecretsManagerClient, maxAgeSeconds: number): SecretStore {
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  return {
    async exists(name) {
      try {
        await client.send(new DescribeSecretCommand({ SecretId: name }));
        return true;
      } catch (error) {
        if ((error as { name?: string }).name === 'ResourceNotFoundException') return false;
        throw error;
      }
    },
    async text(name) {
      const value = await provider.get(name, { maxAge: maxAgeSeconds });
      return typeof value === 'string' ? value : undefined;
    },
  };
}
