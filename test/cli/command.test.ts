import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDataDir } from '../support/local-destination';

// Every command of the CLI convention (README, "Commands"): --help exits 0 with usage; a bad value and
// a typo'd flag exit 2 with one line that names the flag (and the closest one for a typo).
const COMMANDS: {
  name: string;
  script: string;
  bad: string[];
  badMessage: RegExp;
  typo: string[];
  typoMessage: RegExp;
}[] = [
  {
    name: 'start',
    script: 'local/main.ts',
    bad: ['--port', '5'],
    badMessage: /unknown flag --port; this command takes no flags/,
    typo: ['x'],
    typoMessage: /unexpected argument "x"/,
  },
  {
    name: 'tokens',
    script: 'bin/tokens.ts',
    bad: ['create', '--customer', 'acme', 'extra'],
    badMessage: /unexpected argument "extra"/,
    typo: ['create', '--custmer', 'acme'],
    typoMessage: /^tokens: unknown flag --custmer; did you mean --customer\?/,
  },
  {
    name: 'bench',
    script: 'scripts/bench.ts',
    bad: ['--seconds', 'abc'],
    badMessage: /--seconds must be a whole number/,
    typo: ['--secnds', '3'],
    typoMessage: /did you mean --seconds\?/,
  },
  {
    name: 'profile',
    script: 'scripts/profile.ts',
    bad: ['--out', 'core.json'],
    badMessage: /--out must be a file name ending in \.cpuprofile/,
    typo: ['--evnts', '1'],
    typoMessage: /did you mean --events\?/,
  },
  {
    name: 'cost',
    script: 'scripts/cost.ts',
    bad: ['--events', 'x'],
    badMessage: /--events must be a whole number/,
    typo: ['--event', '5'],
    typoMessage: /did you mean --events\?/,
  },
  {
    name: 'fuzz',
    script: 'scripts/fuzz.ts',
    bad: ['--concurrency', 'abc'],
    badMessage: /--concurrency must be a whole number/,
    typo: ['--requets', '5'],
    typoMessage: /did you mean --requests\?/,
  },
  {
    name: 'redrive',
    script: 'scripts/redrive.ts',
    bad: ['--bucket'],
    badMessage: /--bucket needs a value/,
    typo: ['--bukcet', 'b'],
    typoMessage: /did you mean --bucket\?/,
  },
  {
    name: 'replay-sim',
    script: 'scripts/replay-sim.ts',
    bad: ['--rate', 'x'],
    badMessage: /--rate must be a whole number/,
    typo: ['--rat', '5'],
    typoMessage: /did you mean --rate\?/,
  },
  {
    name: 'plan',
    script: 'scripts/plan.ts',
    bad: ['infer', '--customer', 'a', '--since', 'week'],
    badMessage: /--since must be a number of days/,
    typo: ['infer', '--custmer', 'a'],
    typoMessage: /unknown flag --custmer; did you mean --customer\?/,
  },
  {
    name: 'load',
    script: 'scripts/load.ts',
    bad: ['--rate', 'x'],
    badMessage: /^load: --rate must be a whole number/,
    typo: ['--duraton', '5'],
    typoMessage: /did you mean --duration\?/,
  },
  {
    name: 'query',
    script: 'scripts/query.ts',
    bad: ['--quality', '--customer', 'a', '--since', 'x'],
    badMessage: /--since must be a date/,
    typo: ['--qualty'],
    typoMessage: /unknown flag --qualty; did you mean --quality\?/,
  },
  {
    name: 'compact',
    script: 'scripts/compact.ts',
    bad: ['now'],
    badMessage: /unexpected argument "now"/,
    typo: ['--jsn'],
    typoMessage: /did you mean --json\?/,
  },
  {
    name: 'simulate',
    script: 'scripts/simulate.ts',
    bad: ['--users', 'many'],
    badMessage: /--users must be a whole number/,
    typo: ['--user', '5'],
    typoMessage: /did you mean --users\?/,
  },
  {
    name: 'intent',
    script: 'scripts/intent.ts',
    bad: ['--customer', 'demo', '--event', 'x', '--lookback', 'month'],
    badMessage: /--lookback must be a number of days/,
    typo: ['--evnt', 'x'],
    typoMessage: /did you mean --event\?/,
  },
  {
    name: 'smoke',
    script: 'scripts/smoke.ts',
    bad: ['--endpoint', 'http://plain.example', '--key', 'k'],
    badMessage: /--endpoint must be an https:\/\/ URL/,
    typo: ['--endpont', 'https://x.example'],
    typoMessage: /did you mean --endpoint\?/,
  },
  {
    name: 'audience',
    script: 'scripts/audience.ts',
    bad: ['create', '--customer', 'a', '--event', 'x', '--name', 'n', '--top', '200'],
    badMessage: /^audience: --top must be a number from 0 to 100/,
    typo: ['creat', '--customer', 'a'],
    typoMessage: /^audience: unknown command "creat"; did you mean create\?/,
  },
  {
    name: 'erase',
    script: 'scripts/erase.ts',
    bad: ['--list', '--customer', 'bad id!'],
    badMessage: /--customer must be a customer id/,
    typo: ['--lst'],
    typoMessage: /did you mean --list\?/,
  },
];

describe('one CLI convention for every command', () => {
  it('covers every command package.json runs', () => {
    const scripts = Object.values(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
        .scripts,
    )
      .map((command) => /--require tsx\/cjs (\S+\.ts)/.exec(command)?.[1])
      .filter((file): file is string => file !== undefined);

    expect(scripts.length).toBeGreaterThan(10);
    for (const file of scripts) expect(COMMANDS.map((c) => c.script)).toContain(file);
  });

  const dataDir = tempDataDir('cli-convention-');
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = (script: string, args: string[]) =>
    spawnSync(process.execPath, ['--require', 'tsx/cjs', script, ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir },
      encoding: 'utf8',
      timeout: 30_000,
    });

  // Found by a review: each once gave no suggestion, exit 0 on bad input, or another command's name.
  it.each([
    {
      what: 'a misspelt subcommand gets the closest one',
      script: 'bin/tokens.ts',
      args: ['creat', '--customer', 'acme'],
      env: {},
      message: /^tokens: unknown command "creat"; did you mean create\?/,
    },
    {
      what: 'a customer id that cannot be one is refused before any lookup',
      script: 'bin/tokens.ts',
      args: ['list', '--customer', 'bad id!'],
      env: {},
      message: /^tokens: --customer must be a customer id, not "bad id!"/,
    },
    {
      what: 'npm run soak names itself in its errors',
      script: 'scripts/load.ts',
      args: ['--mode', 'soak', '--rate', 'x'],
      env: {},
      message: /^soak: --rate must be a whole number/,
    },
    {
      what: 'npm start: a setting out of range says the range',
      script: 'local/main.ts',
      args: [],
      env: { PORT: '-1' },
      message: /^npm start: PORT: must be a whole number from 0 to 65535/,
    },
    {
      what: 'npm start: a misspelt setting value is a usage error',
      script: 'local/main.ts',
      args: [],
      env: { LOG_LEVEL: 'loud' },
      message: /^npm start: LOG_LEVEL: must be one of info, warn, error, silent/,
    },
  ])('$what (exit 2, one line)', ({ script, args, env, message }) => {
    const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', script, ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });

    expect([result.status, result.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(result.stderr).toMatch(message);
  });

  it('every command builds on the one CLI layer: no argument parser of its own', () => {
    const entries = [...new Set(COMMANDS.map((c) => c.script))];
    for (const file of entries) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect([file, /\bparseArgs\(/.test(text), /\brunCommand(Group)?\(/.test(text)]).toEqual([
        file,
        false,
        true,
      ]);
    }
  });

  it.each(COMMANDS)(
    '$name: --help, a bad value, a typo',
    ({ script, bad, badMessage, typo, typoMessage }) => {
      const help = run(script, ['--help']);
      const badRun = run(script, bad);
      const typoRun = run(script, typo);

      expect([help.status, help.stdout]).toEqual([0, expect.stringMatching(/^Usage: /)]);
      expect([badRun.status, badRun.stderr.trim().split('\n').length]).toEqual([2, 1]);
      expect(badRun.stderr).toMatch(badMessage);
      expect([typoRun.status, typoRun.stderr.trim().split('\n').length]).toEqual([2, 1]);
      expect(typoRun.stderr).toMatch(typoMessage);
    },
  );

  it('a reader that closes early (| head -c 1) ends the command quietly, exit 0, no EPIPE trace', async () => {
    // The reader is gone before the command writes a byte: its first write fails with EPIPE.
    const child = spawn(
      process.execPath,
      ['--require', 'tsx/cjs', 'scripts/cost.ts', '--curated', '--json'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));

    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  });
});
