/** What machine a comparison ran on, recorded with every result. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';

import { execa } from 'execa';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  kernel: string;
  compiler?: string;
  loadAverage: [number, number, number];
  cpuGovernor?: string;
  node: string;
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The C compiler a build gets by default ($CC, else cc, else gcc): its version line. */
export async function compilerVersion(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  for (const cc of [env.CC, 'cc', 'gcc']) {
    if (!cc) continue;
    const r = await execa(cc, ['--version'], { reject: false, stdin: 'ignore', env: { PATH: env.PATH ?? '' } });
    if (r.exitCode === 0) return String(r.stdout).split('\n')[0];
  }
  return undefined;
}

export async function describeMachine(): Promise<MachineInfo> {
  const compiler = await compilerVersion();
  const [l1, l5, l15] = loadavg();
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    kernel: release(),
    compiler,
    loadAverage: [l1 ?? 0, l5 ?? 0, l15 ?? 0],
    cpuGovernor: readOr('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor'),
    node: process.version,
  };
}
