import * as v from 'valibot';

/** Validates a function's environment once, at cold start, naming the variable that is wrong. */
export function readEnv<S extends v.GenericSchema>(
  schema: S,
  env: Record<string, string | undefined>,
): v.InferOutput<S> {
  const result = v.safeParse(schema, env);
  if (!result.success) {
    const issue = result.issues[0];
    throw new Error(`Invalid configuration: ${v.getDotPath(issue) ?? 'environment'}: ${issue.message}`);
  }
  return result.output;
}
