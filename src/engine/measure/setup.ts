/** What every measuring command (compare, rebase, calibrate) sets up once:
 * the tools found, the scrubbed environment, the CPU to pin to; and how a
 * benchmark's configured command becomes a command in one built tree. */
import { cpus } from 'node:os';

import type { BenchmarkSpec, Config } from '../config';
import { findGnuTime, which } from '../host/tools';
import type { BuiltTree } from '../repo/build';
import type { RunContext } from './bench-run';
import { scrubEnv } from '../host/env';
import type { Sandbox } from '../host/sandbox';

/** Where a measured process runs: its environment, and the sandbox if any. */
export interface Launch {
  env: Record<string, string>;
  sandbox?: Sandbox;
}

/** One extra, untimed run of a pass (strace, instruction counts). */
export interface PassRunOptions extends Launch {
  cwd: string;
  preload?: string;
  timeoutSeconds: number;
}

export interface MeasureSetup extends Launch {
  tools: { strace?: string; taskset?: string; gnuTime?: string };
  cpu?: number;
  leftoverProcesses: 'note' | 'fail';
}

export function measureSetup(config: Config, sandbox?: Sandbox): MeasureSetup {
  const tools = { strace: which('strace'), taskset: which('taskset'), gnuTime: findGnuTime() };
  return {
    tools,
    env: scrubEnv(process.env, config.env.allow, config.env.set),
    sandbox,
    cpu: pinCpu(config, tools.taskset),
    leftoverProcesses: config.runs.leftoverProcesses,
  };
}

/** The CPU single-threaded benchmarks are pinned to, if any. */
export function pinCpu(config: Config, taskset: string | undefined): number | undefined {
  if (!taskset || config.runs.pinCpu === 'none') return undefined;
  if (typeof config.runs.pinCpu === 'number') return config.runs.pinCpu;
  const n = cpus().length;
  return n > 1 ? n - 1 : undefined; // leave CPU 0, where most interrupts land
}

/** The context of one run of `spec` in `dir`: pinned only if the benchmark asks for it. */
export function runContext(setup: MeasureSetup, spec: BenchmarkSpec, dir: string): RunContext {
  return {
    cwd: dir,
    env: setup.env,
    sandbox: setup.sandbox,
    leftoverProcesses: setup.leftoverProcesses,
    cpu: spec.pin ? setup.cpu : undefined,
    tools: setup.tools,
  };
}

/** Expands `{build}` and `{root}` in a configured argument. */
export function expand(arg: string, tree: BuiltTree): string {
  return arg.replaceAll('{build}', tree.buildDir).replaceAll('{root}', tree.dir);
}

/** A benchmark's command and preload library in one built tree. */
export interface SideCommand {
  argv: string[];
  preload?: string;
}

export function sideCommand(spec: BenchmarkSpec, tree: BuiltTree, argv: readonly string[] = spec.argv): SideCommand {
  return { argv: argv.map((a) => expand(a, tree)), preload: spec.preload ? expand(spec.preload, tree) : undefined };
}
