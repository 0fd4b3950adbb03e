#!/usr/bin/env node
/** Entry point of the `perfgate` command. */
import { runCli } from './cli/main';
import { cancelOnSignals } from './engine/host/cancel';

cancelOnSignals();

const code = await runCli(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  cwd: process.cwd(),
  isTty: process.stderr.isTTY === true,
});
process.exitCode = code;
