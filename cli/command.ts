import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { closest } from '../domain/contract/closest';

/**
 * The one CLI convention of every command (README, "Commands"): `--help`/`-h` prints usage with every
 * flag, its unit and default, and an example; each flag is validated by a valibot schema, with a
 * message naming the flag, the bad value and the expected form; a typo'd flag gets the closest one;
 * unexpected arguments are errors. Exit codes: 0 done, 1 the work failed, 2 a usage error.
 */

/** A flag taking a value, validated and converted by its schema. */
export interface ValueFlag<T> {
  kind: 'value';
  // Given the flag's text; a schema may accept more (the contract's wholeNumber takes numbers too).
  schema: v.GenericSchema<string, T> | v.GenericSchema<string | number, T>;
  /** Shown in --help, e.g. `requests` or `ms`. */
  unit: string;
  description: string;
  default?: string;
}

export interface SwitchFlag {
  kind: 'switch';
  description: string;
  short?: string;
}

export type Flag = ValueFlag<unknown> | SwitchFlag;
/** The parsed values of a command's flags. */
export type CommandValues<F extends Record<string, Flag>> = Values<F>;
type Values<F extends Record<string, Flag>> = {
  [K in keyof F]: F[K] extends ValueFlag<infer T>
    ? F[K]['default'] extends string
      ? T
      : T | undefined
    : boolean;
};

export interface CommandSpec<F extends Record<string, Flag>> {
  /** How to run it, e.g. `npm run fuzz --`. */
  name: string;
  /** The prefix of its error lines; default: the name without `npm run` and `--`. */
  label?: string;
  summary: string;
  flags: F;
  /** Names of the positionals it takes, in order, and how many are required. */
  positionals?: { names: string[]; required: number };
  /** Lines after the flags in --help (e.g. the environment variables a command reads). */
  notes?: string[];
  examples: string[];
  /** Errors of the work that are the caller's input, not a failure: exit 2 like a usage error. */
  isInputError?: (error: unknown) => boolean;
}

export class UsageError extends Error {}

/** A whole number in [min, max], from a flag's text (the contract's one definition). */
export { wholeNumber } from '../domain/contract/formats';

/** A number in [min, max], from a flag's text. */
export const decimal = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+(\.\d+)?$/, `a number from ${min} to ${max}`),
    v.transform(Number),
    v.minValue(min, `a number from ${min} to ${max}`),
    v.maxValue(max, `a number from ${min} to ${max}`),
  );

/** One of the given words. */
export const oneOf = <const T extends readonly [string, ...string[]]>(words: T) =>
  v.picklist(words, `one of ${words.join(', ')}`);

/** @internal */
export function usage<F extends Record<string, Flag>>(spec: CommandSpec<F>): string {
  const args = spec.positionals?.names
    .map((n, i) => (i < spec.positionals!.required ? `<${n}>` : `[${n}]`))
    .join(' ');
  const rows = Object.entries(spec.flags).map(([name, flag]) => {
    const left =
      flag.kind === 'value' ? `--${name} <${flag.unit}>` : `--${name}${flag.short ? `, -${flag.short}` : ''}`;
    const def = flag.kind === 'value' && flag.default !== undefined ? ` (default ${flag.default})` : '';
    return `  ${left.padEnd(28)} ${flag.description}${def}`;
  });
  return [
    `Usage: ${spec.name}${args ? ` ${args}` : ''} [flags]`,
    '',
    spec.summary,
    '',
    ...rows,
    `  ${'--help, -h'.padEnd(28)} this text`,
    '',
    ...(spec.notes ? [...spec.notes, ''] : []),
    ...spec.examples.map((e, i) => `${i === 0 ? 'Example: ' : '         '}${e}`),
  ].join('\n');
}

/** Parses argv by the spec; `'help'` when help was asked for. */
function parseCommand<F extends Record<string, Flag>>(
  spec: CommandSpec<F>,
  argv: string[],
): { values: Values<F>; positionals: string[] } | 'help' {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, flag] of Object.entries(spec.flags))
    options[name] =
      flag.kind === 'value'
        ? { type: 'string' }
        : { type: 'boolean', ...(flag.short ? { short: flag.short } : {}) };
  const { values, positionals } = parseArgs({ args: argv, options, strict: false, allowPositionals: true });
  if (values.help) return 'help';
  for (const name of Object.keys(values))
    if (!(name in options))
      throw new UsageError(
        Object.keys(spec.flags).length === 0
          ? `unknown flag --${name}; this command takes no flags`
          : `unknown flag --${name}; did you mean --${closest(name, Object.keys(spec.flags))}?`,
      );
  const max = spec.positionals?.names.length ?? 0;
  if (positionals.length > max) throw new UsageError(`unexpected argument "${positionals[max]}"`);
  const required = spec.positionals?.required ?? 0;
  if (positionals.length < required)
    throw new UsageError(`missing <${spec.positionals!.names[positionals.length]}>`);
  const out: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(spec.flags)) {
    const raw = values[name];
    if (flag.kind === 'switch') {
      if (typeof raw === 'string') throw new UsageError(`--${name} takes no value, got "${raw}"`);
      out[name] = raw === true;
      continue;
    }
    if (raw === true) throw new UsageError(`--${name} needs a value: <${flag.unit}>`);
    const text = raw ?? flag.default;
    if (text === undefined) continue;
    const parsed = v.safeParse(flag.schema, text);
    if (!parsed.success) throw new UsageError(`--${name} must be ${parsed.issues[0].message}, not "${text}"`);
    out[name] = parsed.output;
  }
  return { values: out as Values<F>, positionals };
}

/** @internal */
export { closest };

/**
 * A reader that closes early (`| head -1`, `| jq` that stopped) makes the next write fail with EPIPE,
 * which Node raises as an unhandled error with a stack trace. The reader has what it wanted: end quietly,
 * exit 0. Any other stream error is a real failure and keeps the convention (one line, exit 1).
 */
let stdoutGuarded = false;
function endQuietlyOnClosedPipe(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    console.error(`cannot write the output: ${error.message}`);
    process.exit(1);
  });
}

/**
 * Runs a command's main: usage errors print one line and exit 2, failures of the work one line and
 * exit 1, and `--help` the usage and exit 0.
 */
export function runCommand<F extends Record<string, Flag>>(
  spec: CommandSpec<F>,
  main: (parsed: { values: Values<F>; positionals: string[] }) => Promise<void> | void,
  argv: string[] = process.argv.slice(2),
): void {
  const label = spec.label ?? spec.name.replace(/^npm (run )?/, '').replace(/ --$/, '');
  endQuietlyOnClosedPipe();
  Promise.resolve()
    .then(() => {
      const parsed = parseCommand(spec, argv);
      if (parsed === 'help') {
        process.stdout.write(`${usage(spec)}\n`);
        return;
      }
      return main(parsed);
    })
    .catch((error: Error) => fail(label, error, spec.isInputError));
}

/** One line on stderr and the exit code of the convention: 2 for the caller's input, 1 for the work. */
function fail(label: string, error: Error, isInputError?: (error: unknown) => boolean): never {
  const isUsage = error instanceof UsageError;
  console.error(`${label}: ${error.message}${isUsage ? ' (see --help)' : ''}`);
  process.exit(isUsage || isInputError?.(error) ? 2 : 1);
}

/** One subcommand of a group: its spec (named by the group) and its main. */
export interface Subcommand {
  spec: Omit<CommandSpec<Record<string, Flag>>, 'name' | 'label'>;
  main: (parsed: { values: Record<string, unknown>; positionals: string[] }) => Promise<void> | void;
}

/** A subcommand, typed by its flags. */
export function subcommand<F extends Record<string, Flag>>(
  spec: Omit<CommandSpec<F>, 'name' | 'label'>,
  main: (parsed: { values: Values<F>; positionals: string[] }) => Promise<void> | void,
): Subcommand {
  return { spec, main } as unknown as Subcommand;
}

/** A command made of subcommands (`npm run tokens -- create …`, `alias set`): one word or two each. */
export interface CommandGroup {
  /** How to run it, e.g. `npm run tokens --`. */
  name: string;
  label?: string;
  summary: string;
  commands: Record<string, Subcommand>;
  /** Lines after the list of subcommands in --help. */
  notes?: string[];
  isInputError?: (error: unknown) => boolean;
}

function groupUsage(group: CommandGroup): string {
  const rows = Object.entries(group.commands).map(
    ([name, { spec }]) => `  ${name.padEnd(20)} ${spec.summary.split('\n')[0]}`,
  );
  return [
    `Usage: ${group.name} <command> [flags]`,
    '',
    group.summary,
    '',
    ...rows,
    '',
    ...(group.notes ? [...group.notes, ''] : []),
    `${group.name} <command> --help shows a command's flags.`,
  ].join('\n');
}

/**
 * Finds the subcommand argv names (the longest of one or two leading words), then runs it as
 * `runCommand` would: a misspelt subcommand is a usage error naming the closest one.
 */
function resolveSubcommand(
  group: CommandGroup,
  argv: string[],
): { name: string; command: Subcommand; rest: string[] } | 'help' {
  const names = Object.keys(group.commands);
  const words = argv
    .slice(0, 2)
    .filter((word, i) => !word.startsWith('-') && (i === 0 || !argv[0]!.startsWith('-')));
  if (words.length === 0) {
    if (argv.includes('--help') || argv.includes('-h')) return 'help';
    throw new UsageError(`name a command: ${names.join(', ')}`);
  }
  for (const count of [2, 1]) {
    const name = words.slice(0, count).join(' ');
    const command = words.length >= count ? group.commands[name] : undefined;
    if (command) return { name, command, rest: argv.slice(count) };
  }
  const prefix = names.filter((name) => name.startsWith(`${words[0]} `));
  if (prefix.length > 0)
    throw new UsageError(
      `${words[0]} takes ${prefix.map((name) => `"${name.slice(words[0]!.length + 1)}"`).join(', ')}`,
    );
  const tried = words.length === 2 && names.some((n) => n.includes(' ')) ? words.join(' ') : words[0]!;
  throw new UsageError(`unknown command "${tried}"; did you mean ${closest(tried, names)}?`);
}

/** Runs a command group's subcommand named by argv, with the convention of runCommand. */
export function runCommandGroup(group: CommandGroup, argv: string[] = process.argv.slice(2)): void {
  const label = group.label ?? group.name.replace(/^npm (run )?/, '').replace(/ --$/, '');
  endQuietlyOnClosedPipe();
  Promise.resolve()
    .then(() => {
      const found = resolveSubcommand(group, argv);
      if (found === 'help') {
        process.stdout.write(`${groupUsage(group)}\n`);
        return;
      }
      const spec = { ...found.command.spec, name: `${group.name} ${found.name}`, label };
      const parsed = parseCommand(spec, found.rest);
      if (parsed === 'help') {
        process.stdout.write(`${usage(spec)}\n`);
        return;
      }
      return found.command.main(parsed);
    })
    .catch((error: Error) => fail(label, error, group.isInputError));
}
