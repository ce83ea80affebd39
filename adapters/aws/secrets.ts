import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

/** Whether a secret exists, by its name alone (DescribeSecret: its value is never read). */
export async function secretExists(secrets: SecretsManagerClient, secretId: string): Promise<boolean> {
  try {
    await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return false;
    throw error;
  }
}

/** A secret's text value (undefined when it has none: a binary secret). */
export async function secretText(
  secrets: SecretsManagerClient,
  secretId: string,
): Promise<string | undefined> {
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  return secret.SecretString;
}
