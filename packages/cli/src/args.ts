import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * A mistake in the command line: printed as one line plus a pointer to the command's `--help`,
 * never with a stack.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose `--help` lists the options (`backtest`), or undefined for the top level. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed option values for an options table. */
export type ParsedOptions<T extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>
>['values'];

/**
 * `parseArgs` with messages a user can act on: `unknown option --frob` instead of Node's advice about
 * positionals, `--fee needs a value` instead of `argument missing`.
 */
export function parseOptions<T extends Options>(
  args: readonly string[],
  options: T,
  command: string,
): ParsedOptions<T> {
  try {
    return parseArgs({ args: [...args], strict: true, allowPositionals: false, options }).values;
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown) {
      const name = unknown[1] as string;
      const close = Object.keys(options).find((o) => o.startsWith(name.replace(/^-+/, '').slice(0, 4)));
      throw new UsageError(
        `unknown option ${name}${close && name.length > 3 ? ` (did you mean --${close}?)` : ''}`,
        command,
      );
    }
    const missing = /Option '(-[^ ']+)[^']*' argument missing/.exec(message);
    if (missing) throw new UsageError(`${missing[1]} needs a value`, command);
    const positional = /Unexpected argument '([^']+)'/.exec(message);
    if (positional) {
      throw new UsageError(
        `unexpected argument ${positional[1]}: every value follows its option, e.g. --data bars.csv`,
        command,
      );
    }
    throw new UsageError(message.split('\n')[0] as string, command);
  }
}

/** Bounds of a number option. */
export interface NumberRange {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
}

/** Reads option values for one command; every mistake is a UsageError pointing at its `--help`. */
export class OptionReader {
  constructor(readonly command: string) {}

  /** A number (undefined when absent); an error naming the option when not a number in range (default ≥ 0). */
  number(name: string, text: string | undefined, range: NumberRange = { min: 0 }): number | undefined {
    return text === undefined ? undefined : this.#number(name, text, range);
  }

  #number(name: string, text: string, range: NumberRange): number {
    const value = text.trim() === '' ? Number.NaN : Number(text);
    const { min, max, integer } = range;
    const bad =
      !Number.isFinite(value) ||
      (integer === true && !Number.isInteger(value)) ||
      (min !== undefined && value < min) ||
      (max !== undefined && value > max);
    if (!bad) return value;
    const kind = integer ? 'a whole number' : 'a number';
    const bounds =
      min !== undefined && max !== undefined
        ? ` from ${min} to ${max}`
        : min !== undefined
          ? ` ≥ ${min}`
          : max !== undefined
            ? ` ≤ ${max}`
            : '';
    throw new UsageError(`${name} must be ${kind}${bounds}, got ${JSON.stringify(text)}`, this.command);
  }

  /** A JSON object such as `--params '{"fast":10}'`. */
  jsonObject(name: string, text: string, example = `'{"fast":10,"slow":30}'`): Record<string, unknown> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new UsageError(
        `${name} must be a JSON object such as ${example}, got ${text} (${(error as Error).message}); quote it for the shell`,
        this.command,
      );
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UsageError(`${name} must be a JSON object such as ${example}, got ${text}`, this.command);
    }
    return value as Record<string, unknown>;
  }

  /** One of a few words; an error listing them otherwise. */
  choice<T extends string>(name: string, text: string | undefined, choices: readonly T[]): T | undefined {
    if (text === undefined) return undefined;
    if ((choices as readonly string[]).includes(text)) return text as T;
    throw new UsageError(
      `${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`,
      this.command,
    );
  }

  /** A mistake found after parsing (two options that do not go together, …). */
  fail(message: string): never {
    throw new UsageError(message, this.command);
  }
}
