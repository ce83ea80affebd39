import type { MetadataBearer } from '@smithy/types';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';

/**
 * The one way a test stubs an AWS SDK client, so that no stub outlives the test that set it up, whatever
 * fails first (a `restore()` as a test's last line is skipped when an earlier expect throws, and the stub
 * then answers the next test's calls):
 * - a stub made while a test runs is restored after that test;
 * - a stub made for a whole file (in `describe`) is reset after every test — its behaviours and recorded
 *   calls gone, so each test arranges its own — and restored after the file.
 * The hooks are registered for every file by jest.config.ts (setupFilesAfterEnv);
 * test/contract/test-hygiene.test.ts holds that no test calls `mockClient` itself.
 */
type Stub = { reset(): unknown; restore(): void };
const perTest = new Set<Stub>();
const perFile = new Set<Stub>();

export function mockAws<TInput extends object, TOutput extends MetadataBearer, TConfiguration>(
  client: Parameters<typeof mockClient<TInput, TOutput, TConfiguration>>[0],
): AwsStub<TInput, TOutput, TConfiguration> {
  const stub = mockClient(client);
  (expect.getState().currentTestName ? perTest : perFile).add(stub);
  return stub;
}

/** Called after each test (setup): restores the test's own stubs, resets the file's. */
export function afterEachTest(): void {
  for (const stub of perTest) stub.restore();
  perTest.clear();
  for (const stub of perFile) stub.reset();
}

/** Called after each file (setup): restores every stub the file made. */
export function afterEachFile(): void {
  afterEachTest();
  for (const stub of perFile) stub.restore();
  perFile.clear();
}
