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

export async function describeMachine(): Promise<MachineInfo> {
  const cc = await execa('gcc', ['--version'], { reject: false, stdin: 'ignore' });
  const [l1, l5, l15] = loadavg();
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    kernel: release(),
    compiler: cc.exitCode === 0 ? String(cc.stdout).split('\n')[0] : undefined,
    loadAverage: [l1 ?? 0, l5 ?? 0, l15 ?? 0],
    cpuGovernor: readOr('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor'),
    node: process.version,
  };
}
