import { z } from 'zod';
import { RxtradeError } from '../errors';

interface ZodInternals {
  readonly _zod?: {
    readonly def?: {
      readonly type?: string;
      readonly innerType?: unknown;
      readonly in?: unknown;
      readonly catchall?: unknown;
    };
  };
}

/** The object schema under `.default()`, `.optional()`, `.prefault()` and `.transform()`/`.pipe()` wrappers. */
function objectOf(schema: unknown): z.ZodObject | undefined {
  let current = schema;
  for (let depth = 0; depth < 8 && current !== undefined; depth++) {
    if (current instanceof z.ZodObject) return current;
    const def = (current as ZodInternals)._zod?.def;
    current = def?.innerType ?? def?.in;
  }
  return undefined;
}

/**
 * The parameter names a strategy's `paramsSchema` declares, when it is a zod object (possibly wrapped
 * in a default, an optional or a transform); `undefined` for any other schema.
 */
export function paramKeysOf(schema: unknown): readonly string[] | undefined {
  const object = objectOf(schema);
  return object ? Object.keys(object.shape) : undefined;
}

/**
 * Names in `params` the schema does not declare. A plain `z.object` would drop them silently, so a
 * misspelt `rsiPerod` would run with the default period; an object with a catch-all (`z.looseObject`,
 * `.catchall()`, `.passthrough()`) takes any key on purpose and has none.
 */
export function unknownParamKeys(schema: unknown, params: Readonly<Record<string, unknown>>): string[] {
  const object = objectOf(schema);
  if (!object || object._zod.def.catchall !== undefined) return [];
  const known = object.shape;
  return Object.keys(params).filter((key) => !Object.hasOwn(known, key));
}

/** Edit distance, for "did you mean" (names are short: the quadratic table is fine). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row.push(
        Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, (previous[j - 1] as number) + cost),
      );
    }
    previous = row;
  }
  return previous[b.length] as number;
}

/** `rsiPerod (did you mean rsiPeriod?)`, or the name alone when nothing is close. */
function withSuggestion(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? name : `${name} (did you mean ${best}?)`;
}

/**
 * The message for parameters a strategy does not declare, e.g.
 * `unknown parameter rsiPerod (did you mean rsiPeriod?): RsiStrategy takes rsiPeriod, quantity`.
 */
export function unknownParamsMessage(
  unknown: readonly string[],
  known: readonly string[],
  strategy: string,
): string {
  const names = unknown.map((name) => withSuggestion(name, known)).join(', ');
  const takes = known.length === 0 ? 'takes no parameters' : `takes ${known.join(', ')}`;
  return `unknown parameter${unknown.length === 1 ? '' : 's'} ${names}: ${strategy} ${takes}`;
}

/**
 * Validates a strategy's parameters against its schema: unknown names, then the schema's own rules
 * (defaults applied). Throws `INVALID_CONFIG` naming the strategy, the parameter and what it accepts.
 */
export function parseStrategyParams(
  schema: z.ZodType,
  params: Readonly<Record<string, unknown>>,
  strategy: string,
): unknown {
  const unknown = unknownParamKeys(schema, params);
  if (unknown.length > 0) {
    const known = paramKeysOf(schema) ?? [];
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: unknownParamsMessage(unknown, known, `strategy ${strategy}`),
      details: { unknown, known },
    });
  }
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `invalid parameters for strategy ${strategy}: ${parsed.error.issues
        .map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`)
        .join('; ')}`,
      cause: parsed.error,
    });
  }
  return parsed.data;
}
