#!/usr/bin/env node
import { runDeadLetterCommand } from '../dlq-command';

runDeadLetterCommand(process.argv.slice(2), process).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
