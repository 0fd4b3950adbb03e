/** The pre-flight noise probe, run before any benchmark: CPU steal and other
 * runnable work from /proc, and the CV of a short fixed CPU workload. A
 * machine too noisy to resolve the configured effect makes the comparison
 * UNSTABLE (after optional waits and retries), never a pass. */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

import { summarize } from '../summary';

export interface PreflightSpec {
  enabled: boolean;
  maxCvPct: number;
  maxStealPct: number;
  /** Runnable tasks other than perfgate, per core. */
  maxBusyPerCore: number;
  retries: number;
  waitSeconds: number;
}

export interface PreflightResult {
  ok: boolean;
  stealPct: number;
  busyPerCore: number;
  probeCvPct: number;
  attempts: number;
  reason?: string;
}

interface CpuSample {
  total: number;
  steal: number;
  running: number;
}

/** Parses /proc/stat: the aggregate "cpu" line and procs_running. */
export function parseProcStat(text: string): CpuSample {
  const cpu = /^cpu\s+(.+)$/m.exec(text)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
  const running = Number(/^procs_running\s+(\d+)/m.exec(text)?.[1] ?? 1);
  return { total: cpu.slice(0, 8).reduce((a, b) => a + b, 0), steal: cpu[7] ?? 0, running };
}

function sample(): CpuSample {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return { total: 0, steal: 0, running: 1 };
  }
}

/** A fixed amount of integer work; its timing spread measures the machine.
 * Each call starts from the previous result, so no call can be skipped. */
function workload(seed: number): number {
  let x = seed | 1;
  for (let i = 0; i < 1_500_000; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}

let probeState = 0x9e3779b9;

async function probeOnce(): Promise<Omit<PreflightResult, 'ok' | 'attempts' | 'reason'>> {
  const before = sample();
  const times: number[] = [];
  let busy = 0;
  for (let i = 0; i < 18; i++) {
    const t0 = process.hrtime.bigint();
    probeState = workload(probeState);
    const dt = Number(process.hrtime.bigint() - t0);
    if (i >= 3) times.push(dt); // the first runs include JIT compilation
    busy += Math.max(0, sample().running - 1);
    await sleep(1); // let the scheduler show other work
  }
  const after = sample();
  const dTotal = after.total - before.total;
  return {
    stealPct: dTotal > 0 ? (100 * (after.steal - before.steal)) / dTotal : 0,
    busyPerCore: busy / 18 / cpus().length,
    probeCvPct: summarize(times).cvPct,
  };
}

export async function preflight(spec: PreflightSpec): Promise<PreflightResult> {
  let attempts = 0;
  for (;;) {
    attempts++;
    const m = await probeOnce();
    const problems: string[] = [];
    if (m.probeCvPct > spec.maxCvPct)
      problems.push(`a fixed CPU workload varied by CV ${m.probeCvPct.toFixed(1)} % (max ${spec.maxCvPct} %)`);
    if (m.stealPct > spec.maxStealPct) problems.push(`CPU steal ${m.stealPct.toFixed(1)} % (max ${spec.maxStealPct} %)`);
    if (m.busyPerCore > spec.maxBusyPerCore)
      problems.push(`${m.busyPerCore.toFixed(2)} other runnable tasks per core (max ${spec.maxBusyPerCore})`);
    if (problems.length === 0) return { ok: true, attempts, ...m };
    if (attempts > spec.retries)
      return { ok: false, attempts, ...m, reason: `the machine is too noisy to measure: ${problems.join('; ')}` };
    await sleep(spec.waitSeconds * 1000);
  }
}
