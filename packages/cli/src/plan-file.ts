import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  type AccountConfig,
  type AccountManagerOptions,
  type BaseStrategy,
  type InstrumentSpec,
  ManagedAccountSchema,
} from '@rxtrade/core';
import type { FilePlan } from '@rxtrade/fleet/node';
import { z } from 'zod';
import { UsageError } from './args';

const word = z.string().regex(/^[A-Za-z0-9_\-:]{1,64}$/, 'use 1 to 64 of A-Z a-z 0-9 _ - :');

/**
 * A plan file (`--plan`): several strategies, each a module on one symbol for one account. Strategy
 * files are relative to the plan file. One shape for `rxtrade backtest` and `rxtrade fleet`, so the
 * two can be compared. An account may also say how the strategies' signals are sized for it and
 * when it halts, as core's `AccountManager` takes it (`venue`, `sizing`, `canTrade`, `limits`,
 * `halts`), with `flattenOnHalt` and `resumeNextDay` beside the accounts.
 */
const PlanFileSchema = z.strictObject({
  accounts: z.array(ManagedAccountSchema.extend({ id: word, initialCash: z.number().positive() })).min(1),
  /** A halted account's positions are closed too (default false: cancel and halt only). */
  flattenOnHalt: z.boolean().optional(),
  /** A daily-loss halt is lifted on the next UTC day (default false). */
  resumeNextDay: z.boolean().optional(),
  strategies: z
    .array(
      z.strictObject({
        id: word,
        file: z.string().min(1),
        export: z.string().min(1).optional(),
        params: z.record(z.string(), z.unknown()).default({}),
        /** Default: the plan's first account. */
        account: word.optional(),
        /** Default: the data's only symbol. */
        symbol: z.string().min(1).optional(),
        /** In the fleet: `context.account()` of an account other strategies trade too (see the fleet guide). */
        followAccount: z.boolean().optional(),
      }),
    )
    .min(1),
});

/** Example of the shape, for messages and help. */
export const PLAN_EXAMPLE = `{"accounts":[{"id":"a","initialCash":100000}],"strategies":[{"id":"sma","file":"sma.ts","account":"a","symbol":"SPX","params":{"fast":10}}]}`;

/** A plan file read and checked against the data: the fleet's {@link FilePlan} and what a backtest needs. */
export interface PlanFile {
  readonly plan: FilePlan;
  readonly accounts: readonly AccountConfig[];
  /** Core's account manager options, when an account sizes signals or halts (or the plan flattens on halts). */
  readonly accountManager: Omit<AccountManagerOptions, 'marketInputs'> | undefined;
  /** Each strategy's params by id (printed with the results). */
  readonly params: Readonly<Record<string, Record<string, unknown>>>;
  readonly ids: readonly string[];
}

/** Reads `--plan <file.json>` and checks it against the data's instruments; a bad plan is a usage error. */
export async function readPlanFile(
  file: string,
  options: {
    readonly cwd: string;
    readonly instruments: readonly InstrumentSpec[];
    readonly command: string;
  },
): Promise<PlanFile> {
  const fail = (message: string): never => {
    throw new UsageError(`--plan ${file}: ${message}`, options.command);
  };
  const path = isAbsolute(file) ? file : resolve(options.cwd, file);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    fail(`cannot read it as JSON (${(error as Error).message.split('\n')[0]}); e.g. ${PLAN_EXAMPLE}`);
  }
  const parsed = PlanFileSchema.safeParse(json);
  if (!parsed.success) fail(z.prettifyError(parsed.error).replace(/\n+/g, '; '));
  const {
    accounts: managed,
    strategies,
    flattenOnHalt,
    resumeNextDay,
  } = parsed.data as z.output<typeof PlanFileSchema>;
  const accounts = managed.map((a) => ({ id: a.id, initialCash: a.initialCash }));
  const isManaged = (a: (typeof managed)[number]): boolean =>
    Object.keys(a).some((k) => k !== 'id' && k !== 'initialCash');
  const accountManager =
    managed.some(isManaged) || flattenOnHalt !== undefined || resumeNextDay !== undefined
      ? {
          accounts: managed,
          ...(flattenOnHalt === undefined ? {} : { flattenOnHalt }),
          ...(resumeNextDay === undefined ? {} : { resumeNextDay }),
        }
      : undefined;
  const accountIds = new Set(accounts.map((a) => a.id));
  if (accountIds.size !== accounts.length) fail('two accounts share an id');
  if (new Set(strategies.map((s) => s.id)).size !== strategies.length) fail('two strategies share an id');
  const symbols = options.instruments.map((i) => i.id);
  const first = (accounts[0] as (typeof accounts)[number]).id;
  const planned = strategies.map((s) => {
    const accountId = s.account ?? first;
    if (!accountIds.has(accountId)) fail(`strategy ${s.id}: no account ${accountId} in "accounts"`);
    const symbol = s.symbol ?? (symbols.length === 1 ? symbols[0] : undefined);
    if (symbol === undefined)
      fail(`strategy ${s.id}: say which "symbol" it trades (the data has ${symbols.join(', ')})`);
    if (!symbols.includes(symbol as string))
      fail(`strategy ${s.id}: the data has no symbol ${symbol} (it has ${symbols.join(', ')})`);
    return {
      id: s.id,
      symbol: symbol as string,
      accountId,
      file: resolve(dirname(path), s.file),
      params: s.params,
      ...(s.export ? { export: s.export } : {}),
      ...(s.followAccount ? { followAccount: true } : {}),
    };
  });
  return {
    plan: {
      instruments: [...options.instruments],
      accounts,
      strategies: planned,
      cwd: options.cwd,
      ...(accountManager ? { accountManager } : {}),
    },
    accounts,
    accountManager,
    params: Object.fromEntries(planned.map((s) => [s.id, s.params])),
    ids: planned.map((s) => s.id),
  };
}

/**
 * The plan's strategy instances as the fleet builds them (same ids, symbols, accounts and params), for
 * a backtest of the same plan.
 */
export async function planStrategies(plan: FilePlan): Promise<BaseStrategy<object>[]> {
  const [{ ResolvedPlan }, { resolveFilePlan }] = await Promise.all([
    import('@rxtrade/fleet'),
    import('@rxtrade/fleet/node'),
  ]);
  const resolved = new ResolvedPlan(await resolveFilePlan(plan));
  return resolved.strategies.map((s) => resolved.build(s));
}
