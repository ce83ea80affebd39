import jsonata from 'jsonata';

/**
 * A state's JSONata `{% … %}` evaluated as Step Functions evaluates it, with `$states` and the run's
 * variables; anything that is not such an expression is its own value.
 */
export async function evaluate(
  expression: unknown,
  states: Record<string, unknown>,
  vars: Record<string, unknown> = {},
): Promise<unknown> {
  if (typeof expression !== 'string') return expression;
  const match = /^\{%(.*)%\}$/s.exec(expression);
  if (!match) return expression;
  return jsonata(match[1]!).evaluate({}, { states, ...vars });
}

/** Evaluates every `{% %}` inside an object (Arguments, Output) as Step Functions does. */
export async function evaluateAll(
  value: unknown,
  states: Record<string, unknown>,
  vars: Record<string, unknown> = {},
): Promise<unknown> {
  if (typeof value === 'string') return evaluate(value, states, vars);
  if (Array.isArray(value)) return Promise.all(value.map((v) => evaluateAll(v, states, vars)));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await evaluateAll(v, states, vars)])),
    );
  return value;
}
