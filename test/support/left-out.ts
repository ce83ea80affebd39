/**
 * A test this machine cannot run (no jq, no Chromium, not root, no cfn-lint) is left out with one line
 * on stderr that says what and why — never silently. Under CI every one of them runs (.ci/run installs
 * what they need): a missing tool fails there instead of leaving its check out.
 */
const told = new Set<string>();

export function itWhen(available: boolean, leftOut: string): jest.It {
  if (available || process.env.CI) return it;
  if (!told.has(leftOut)) {
    told.add(leftOut);
    process.stderr.write(`left out: ${leftOut}\n`);
  }
  return it.skip;
}
