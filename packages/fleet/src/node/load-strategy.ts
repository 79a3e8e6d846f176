import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BaseStrategy, RxtradeError, type StrategyOptions, strategyFromModule } from '@rxtrade/core';
import type { StrategyFactory } from '../plan';

const invalid = (message: string, cause?: unknown): RxtradeError =>
  new RxtradeError({ code: 'INVALID_ARGUMENT', message, ...(cause === undefined ? {} : { cause }) });

/** Options of {@link loadStrategy}. */
export interface LoadStrategyOptions {
  readonly cwd: string;
  readonly params: Record<string, unknown>;
  /** The export to use; default: the default export, else the first BaseStrategy subclass. */
  readonly export?: string;
}

/** Absolute path of a user's file, or an error naming both what was given and where it was looked for. */
export function resolveUserFile(file: string, cwd: string, what: string): string {
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  if (!existsSync(path)) {
    throw invalid(
      `${what} ${file} not found${path === file ? '' : ` (looked at ${path})`}; check the path, relative to the current directory`,
    );
  }
  return path;
}

/** Imports a user's module: TypeScript through tsx, JavaScript as it is. */
export async function importUserModule(path: string, file: string): Promise<Record<string, unknown>> {
  try {
    if (/\.[cm]?tsx?$/.test(path)) {
      const { tsImport } = await import('tsx/esm/api');
      return (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
    }
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    // Only the first line: a compiler's code frame follows it, and --debug shows the whole error.
    const first = ((error as Error).message ?? String(error)).split('\n')[0];
    throw invalid(`cannot load strategy file ${file}: ${first}`, error);
  }
}

/**
 * Loads a user's strategy file (TypeScript through tsx, or JavaScript) and builds the strategy
 * with `params`, picking the export by core's rule (`strategyFromModule`, which the optimiser's
 * workers use too): `export` by name, else the default export, else the first BaseStrategy subclass.
 */
export async function loadStrategy(
  file: string,
  options: LoadStrategyOptions,
): Promise<BaseStrategy<object>> {
  const path = resolveUserFile(file, options.cwd, 'strategy file');
  const module = await importUserModule(path, file);
  return strategyFromModule(module, { file, exportName: options.export }).make(options.params);
}

type StrategyClass = new (options: StrategyOptions<Record<string, unknown>>) => BaseStrategy<object>;

/**
 * A fleet {@link StrategyFactory} from a loaded strategy: a BaseStrategy subclass is built once per
 * strategy instance of the plan (with the plan's id, symbol, account and `params`); a module's ready
 * instance (or a factory's product whose class takes more than options) is used as it is, once.
 */
export function strategyFactoryOf(
  strategy: BaseStrategy<object>,
  params: Record<string, unknown>,
): StrategyFactory {
  const Class = strategy.constructor as StrategyClass;
  if (Object.getPrototypeOf(strategy) === Class.prototype && Class.length <= 1)
    return (options) => new Class({ ...options, params });
  let used = false;
  return () => {
    if (used) throw invalid('a strategy module exporting an instance runs once in a fleet');
    used = true;
    return strategy;
  };
}
