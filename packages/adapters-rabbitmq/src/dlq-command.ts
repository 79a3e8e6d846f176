import { parseArgs } from 'node:util';
import { type DeadLetter, isRxtradeError, type ReplayReport } from '@rxtrade/core';
import { createRabbitMqMessageBus } from './rabbitmq-message-bus';

/** Where {@link runDeadLetterCommand} writes. */
export interface DeadLetterCommandIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Read for `RABBITMQ_URL` when `--url` is not given. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const USAGE = `usage: rxtrade-dlq <list|replay|discard> [options]

  list      print the oldest dead letters (nothing is removed)
  replay    send dead letters back to the subscription that failed them
  discard   remove dead letters for good (needs --topic, --group or --all)

options:
  --url <amqp-url>   broker (default: $RABBITMQ_URL, else amqp://guest:guest@127.0.0.1:5672)
  --prefix <name>    the bus's exchange, i.e. its \`exchange\` option (default: rxtrade)
  --topic <pattern>  only original topics matching this pattern (e.g. fills.#)
  --group <name>     only this consumer group's dead letters
  --limit <n>        at most n (default: 100)
  --json             one JSON object per line
  --all              discard: every dead letter (up to --limit)
`;

/**
 * The `rxtrade-dlq` command as a function, so another CLI can mount it: lists, replays or discards
 * a bus's dead letters. Resolves with the exit code (0 done, 1 failed, 2 usage).
 *
 * @example
 * // npx rxtrade-dlq replay --url amqp://guest:guest@127.0.0.1:5672 --prefix rxtrade --topic 'fills.#'
 * process.exitCode = await runDeadLetterCommand(process.argv.slice(2), process);
 */
export async function runDeadLetterCommand(
  args: readonly string[],
  io: DeadLetterCommandIo,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const { command, values } = parsed;
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (command !== 'list' && command !== 'replay' && command !== 'discard') {
    io.stderr.write(
      `${command === undefined ? 'missing command' : `unknown command ${command}`}\n\n${USAGE}`,
    );
    return 2;
  }
  if (command === 'discard' && values.topic === undefined && values.group === undefined && !values.all) {
    io.stderr.write(`discard needs --topic, --group or --all\n\n${USAGE}`);
    return 2;
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  const query = {
    ...(values.topic === undefined ? {} : { topic: values.topic }),
    ...(values.group === undefined ? {} : { group: values.group }),
    ...(limit === undefined ? {} : { limit }),
  };
  const env = io.env ?? process.env;
  const url = values.url ?? env['RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
  try {
    const bus = await createRabbitMqMessageBus({
      url,
      exchange: values.prefix ?? 'rxtrade',
      connectionName: 'rxtrade-dlq',
    });
    try {
      if (command === 'list') printList(await bus.deadLetters(query), values.json === true, io);
      else if (command === 'replay')
        printReplay(await bus.replayDeadLetters(query), values.json === true, io);
      else {
        const discarded = await bus.discardDeadLetters(query);
        io.stdout.write(values.json ? `${JSON.stringify({ discarded })}\n` : `discarded ${discarded}\n`);
      }
    } finally {
      await bus.close();
    }
    return 0;
  } catch (error) {
    const code = isRxtradeError(error) ? `${error.code}: ` : '';
    io.stderr.write(`rxtrade-dlq: ${code}${error instanceof Error ? error.message : String(error)}\n`);
    return isRxtradeError(error) && error.code === 'INVALID_ARGUMENT' ? 2 : 1;
  }
}

function parse(args: readonly string[]) {
  const { positionals, values } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      prefix: { type: 'string' },
      topic: { type: 'string' },
      group: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      all: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals.length > 1) throw new Error(`unexpected arguments: ${positionals.slice(1).join(' ')}`);
  return { command: positionals[0], values };
}

function printList(letters: readonly DeadLetter[], json: boolean, io: DeadLetterCommandIo): void {
  for (const { envelope, replayable } of letters) {
    const { payload } = envelope;
    if (json) {
      io.stdout.write(`${JSON.stringify({ ...envelope, replayable })}\n`);
      continue;
    }
    const flag = replayable ? '' : ' (not replayable)';
    io.stdout.write(
      `${envelope.id}\tgroup=${payload.group ?? 'default'}\ttopic=${payload.topic}\tdeliveries=${payload.deliveries}\t${payload.reason}${flag}\n`,
    );
  }
  if (!json) io.stdout.write(`${letters.length} dead letter${letters.length === 1 ? '' : 's'}\n`);
}

function printReplay(report: ReplayReport, json: boolean, io: DeadLetterCommandIo): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  for (const { id, reason } of report.skipped) io.stdout.write(`skipped ${id}: ${reason}\n`);
  io.stdout.write(`replayed ${report.replayed}, skipped ${report.skipped.length}\n`);
}
