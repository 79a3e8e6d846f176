import { createRequire } from 'node:module';
import { isRxtradeError } from '@rxtrade/core';
import { UsageError } from './args';
import type { CliIo, Command } from './command';
import { backtestCommand } from './commands/backtest';
import { downloadCommand } from './commands/download';
import { fleetCommand } from './commands/fleet';
import { optimizeCommand } from './commands/optimize';
import { paperCommand } from './commands/paper';

export type { CliIo, Command } from './command';

/**
 * The commands, in the order `rxtrade --help` lists them. A new command is one entry here (and its
 * file under commands/).
 */
export const COMMANDS: Readonly<Record<string, Command>> = {
  backtest: backtestCommand,
  optimize: optimizeCommand,
  paper: paperCommand,
  download: downloadCommand,
  fleet: fleetCommand,
};

/** The CLI's own version, from its package.json (the same file in src/ and dist/ layouts). */
export function cliVersion(): string {
  // CommonJS builds have __dirname and an empty import.meta; ES modules the other way round.
  const here = typeof __dirname === 'string' ? `${__dirname}/` : import.meta.url;
  const pkg = createRequire(here)('../package.json') as { version: string };
  return pkg.version;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `Usage: rxtrade <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Run \`rxtrade <command> --help\` for a command's options.
  --version    print the version
  --debug      show the stack of an error (anywhere on the line)
  --help       show this help

Guides: docs/guides/getting-started.md, importing-data.md, troubleshooting.md
`;
}

/**
 * What the user sees for an error: one or two lines saying what to change. A mistake on the command
 * line points at the command's --help; an rxtrade error names its code; anything else is unexpected
 * and says how to see more. `--debug` adds the stack and every cause.
 */
export function describeError(error: unknown, debug: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  let text: string;
  if (error instanceof UsageError) {
    text = `rxtrade: ${message}\nRun \`rxtrade ${error.command ? `${error.command} ` : ''}--help\` for the options.`;
  } else if (isRxtradeError(error)) {
    text = `rxtrade: ${message} [${error.code}]`;
  } else {
    text = `rxtrade: unexpected error: ${message}\nRun again with --debug to see where it happened; if it looks like a bug in rxtrade, please report it.`;
  }
  if (debug) {
    let cause: unknown = error;
    const seen = new Set<unknown>();
    while (cause !== undefined && cause !== null && !seen.has(cause)) {
      seen.add(cause);
      text += `\n${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`;
      cause = cause instanceof Error ? cause.cause : undefined;
      if (cause !== undefined && cause !== null) text += '\nCaused by:';
    }
  }
  return `${text}\n`;
}

/** Runs the CLI; resolves to the process exit code. Never throws: errors are printed to `io.stderr`. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  const [command, ...rest] = args;
  if (command === '--version' || command === '-v' || command === 'version') {
    io.stdout.write(`${cliVersion()}\n`);
    return 0;
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' && rest[0] !== undefined ? COMMANDS[rest[0]] : undefined;
    io.stdout.write(topic ? topic.usage : usage());
    return command === undefined ? 1 : 0;
  }
  const found = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!found) {
    const names = Object.keys(COMMANDS).join(', ');
    io.stderr.write(
      `rxtrade: unknown command ${command}${command.startsWith('-') ? ' (options go after a command)' : ''}; the commands are ${names}\nRun \`rxtrade --help\` for more.\n`,
    );
    return 1;
  }
  try {
    return await found.run(rest, io);
  } catch (error) {
    io.stderr.write(describeError(error, debug));
    return 1;
  }
}
