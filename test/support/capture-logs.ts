import { format } from 'node:util';
import { childOutputs, linesWithSecrets } from './secrets';

/**
 * Every test file runs with this: each console line (our JSON logger writes through console) and the
 * output of every server process a test started are captured, and the file fails if any of them holds
 * an API key or an Authorization header value. DEBUG_LOGS=1 also prints them.
 */
const captured: string[] = [];
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
    captured.push(format(...args));
    if (process.env.DEBUG_LOGS) original(...args);
  });
}

afterAll(() => {
  const lines = [...captured, ...childOutputs.flatMap((output) => output().split('\n'))];
  expect(linesWithSecrets(lines)).toEqual([]);
});
