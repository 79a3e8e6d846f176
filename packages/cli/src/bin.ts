#!/usr/bin/env node
import { describeError, runCli } from './cli';

// runCli prints its own errors; this catch is for a failure outside it (a broken install).
runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(describeError(error, process.argv.includes('--debug')));
    process.exitCode = 1;
  },
);
