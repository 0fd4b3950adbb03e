/** `perfgate doctor`: what this machine has, what is missing, how to get it. */
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';

import { probeSandbox } from './host/sandbox';
import { PACKAGE_OF, findGnuTime, which } from './host/tools';
import { probePerf } from './measure/counters';
import { straceProblem } from './measure/syscalls';

export interface DoctorCheck {
  name: string;
  status: 'ok' | 'missing' | 'warn';
  detail: string;
  /** Needed for `perfgate compare` at all (vs. optional features). */
  required: boolean;
}

function tool(name: string, required: boolean, purpose: string): DoctorCheck {
  const path = which(name);
  return path
    ? { name, status: 'ok', detail: path, required }
    : { name, status: 'missing', detail: `${purpose}; install the Debian package '${PACKAGE_OF[name] ?? name}'`, required };
}

/** Hardware counters: the same probe `compare` uses to pick perf or valgrind. */
async function perfCounters(): Promise<DoctorCheck> {
  const perf = await probePerf({ PATH: process.env.PATH ?? '/usr/bin:/bin' });
  if (perf === 'missing')
    return {
      name: 'perf counters',
      status: 'missing',
      detail: "instruction counts fall back to valgrind; install the Debian package 'linux-perf'",
      required: false,
    };
  if (perf === 'unsupported')
    return {
      name: 'perf counters',
      status: 'warn',
      detail: 'hardware counters are not available on this machine (common on VMs); instruction counts fall back to valgrind',
      required: false,
    };
  return { name: 'perf counters', status: 'ok', detail: 'instructions:u counts', required: false };
}

export async function runDoctor(): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [
    tool('git', true, 'needed to materialise base and head'),
    tool('make', true, 'needed by the default build command'),
    tool('gcc', true, 'needed to build native/'),
  ];
  const strace = which('strace');
  const problem = await straceProblem(strace);
  checks.push(
    problem
      ? {
          name: 'strace',
          status: strace ? 'warn' : 'missing',
          detail: `${problem}; syscall budgets will be reported as not measured`,
          required: false,
        }
      : { name: 'strace', status: 'ok', detail: `${strace} (ptrace works)`, required: false },
  );
  const gnuTime = findGnuTime();
  checks.push(
    gnuTime
      ? { name: 'GNU time', status: 'ok', detail: gnuTime, required: false }
      : {
          name: 'GNU time',
          status: 'missing',
          detail: "peak RSS and page-fault budgets are not measured without it; install the Debian package 'time'",
          required: false,
        },
  );
  checks.push(tool('taskset', false, 'CPU pinning cuts run-to-run noise'));
  const sandbox = probeSandbox('auto').state;
  checks.push(
    sandbox.active
      ? {
          name: 'sandbox',
          status: 'ok',
          detail: 'bubblewrap: builds and benchmarks of pull requests run in their own PID namespace',
          required: false,
        }
      : {
          name: 'sandbox',
          status: sandbox.problem?.includes('not installed') ? 'missing' : 'warn',
          detail: `${sandbox.problem}`,
          required: false,
        },
  );
  checks.push(tool('valgrind', false, 'deterministic instruction counts'));
  checks.push(await perfCounters());
  let governor: string | undefined;
  try {
    governor = readFileSync('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor', 'utf8').trim();
  } catch {
    governor = undefined;
  }
  checks.push(
    governor === undefined
      ? { name: 'CPU governor', status: 'ok', detail: 'not exposed (typical of VMs)', required: false }
      : {
          name: 'CPU governor',
          status: governor === 'performance' ? 'ok' : 'warn',
          detail: governor === 'performance' ? governor : `${governor}: 'performance' gives steadier timings`,
          required: false,
        },
  );
  const load = loadavg()[0] ?? 0;
  const n = cpus().length;
  checks.push({
    name: 'load',
    status: load > n * 0.5 ? 'warn' : 'ok',
    detail: `1-minute load ${load.toFixed(2)} on ${n} cores${load > n * 0.5 ? ': other work will add noise' : ''}`,
    required: false,
  });
  return checks;
}
