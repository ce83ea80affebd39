import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The Spec examples live with the deployment's pre-traffic check, which sends them to every new version.
const ROOT = join(__dirname, '..', '..', 'lambdas', 'deploy-check', 'segment-examples');

/** Every valid Segment message fixture, by file name. */
export function validFixtures(): [string, Record<string, unknown>][] {
  return readdirSync(join(ROOT, 'valid')).map((file) => [
    file,
    JSON.parse(readFileSync(join(ROOT, 'valid', file), 'utf8')),
  ]);
}

/** Every invalid fixture, with the quarantine reason code it names. */
export function invalidFixtures(): [string, string, unknown][] {
  return readdirSync(join(ROOT, 'invalid')).map((file) => {
    const { expectedReason, message } = JSON.parse(readFileSync(join(ROOT, 'invalid', file), 'utf8'));
    return [file, expectedReason, message];
  });
}
