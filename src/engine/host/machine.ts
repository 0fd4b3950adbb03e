/** What machine a comparison ran on, recorded with every result. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';

import { execa } from 'execa';

export interface MachineInfo {
  /** The processor's marketing name, as the OS reports it: a VM often gets only the family name ("AMD EPYC"). */
  cpuModel: string;
  /** Which processor it is under that name (x86: vendor, family, model, stepping; Arm: implementer, part,
   * variant, revision), from /proc/cpuinfo. Records before perfgate 0.3 have none. */
  cpuId?: string;
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

/** The fields of /proc/cpuinfo that tell processors apart where the name does not, in order, with the short
 * label each gets. Three KVM guests this project was developed on reported "AMD EPYC" for Zen 3, Zen 4 and
 * Zen 5 hosts (family 25 model 1, family 25 model 17, family 26 model 2); random_mixed ran 1.8x apart on them. */
const CPU_ID_FIELDS: readonly (readonly [key: string, label: string])[] = [
  ['vendor_id', ''],
  ['cpu family', 'family'],
  ['model', 'model'],
  ['stepping', 'stepping'],
  ['CPU implementer', 'implementer'],
  ['CPU part', 'part'],
  ['CPU variant', 'variant'],
  ['CPU revision', 'revision'],
];

/** The processor's identity from the text of /proc/cpuinfo (its first processor), e.g. "AuthenticAMD family 25
 * model 1 stepping 1"; undefined when none of the fields is there. */
export function cpuIdentity(cpuinfo: string): string | undefined {
  const first = cpuinfo.split(/\n\s*\n/)[0] ?? '';
  const fields = new Map<string, string>();
  for (const line of first.split('\n')) {
    const m = /^([^:]+?)\s*:\s*(.*)$/.exec(line);
    if (m && !fields.has(m[1]!)) fields.set(m[1]!, m[2]!.trim());
  }
  const parts = CPU_ID_FIELDS.flatMap(([key, label]) => {
    const v = fields.get(key);
    return v ? [label ? `${label} ${v}` : v] : [];
  });
  return parts.length ? parts.join(' ') : undefined;
}

/** The machine as one line: name, identity where known, cores. */
export function machineName(m: Pick<MachineInfo, 'cpuModel' | 'cpuId' | 'cores'>): string {
  return `${m.cpuModel}${m.cpuId ? ` (${m.cpuId})` : ''}, ${m.cores} cores`;
}

/** This machine's processor: name, identity and cores. */
function processor(): Pick<MachineInfo, 'cpuModel' | 'cpuId' | 'cores'> {
  return { cpuModel: cpus()[0]?.model ?? 'unknown', cpuId: cpuIdentity(readOr('/proc/cpuinfo') ?? ''), cores: cpus().length };
}

/** This machine as one line (machineName), for scripts that print where they measured. */
export function thisMachineName(): string {
  return machineName(processor());
}

export async function describeMachine(): Promise<MachineInfo> {
  const compiler = await compilerVersion();
  const [l1, l5, l15] = loadavg();
  return {
    ...processor(),
    kernel: release(),
    compiler,
    loadAverage: [l1 ?? 0, l5 ?? 0, l15 ?? 0],
    cpuGovernor: readOr('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor'),
    node: process.version,
  };
}
