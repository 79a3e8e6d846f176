/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly cwd: string;
}

/**
 * One `rxtrade <command>`: its line in `rxtrade --help`, its own `--help`, and what it does. `run`
 * resolves to the exit code; it may throw a `UsageError` or an `RxtradeError`, which the CLI prints as
 * one or two lines (the stack only with `--debug`).
 */
export interface Command {
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}
