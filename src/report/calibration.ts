/** A calibration as a text table: what this machine can and cannot resolve. */
import type { Calibration } from '../engine/calibration';
import { machineName } from '../engine/host/machine';
import { textTable } from './text-table';

export function renderCalibration(cal: Calibration): string {
  const rows: string[][] = [
    ['benchmark', 'metric', 'CV', 'pair SD', 'robust SD', 'interval SD', 'band floor', 'MDE 80%', 'MDE 95%', 'A/A alarms'],
  ];
  for (const [name, b] of Object.entries(cal.benchmarks)) {
    for (const [metric, m] of Object.entries(b.metrics)) {
      rows.push([
        name,
        metric,
        `${m.cvPct.toFixed(2)}%`,
        `${m.pairSdPct.toFixed(2)}%`,
        `${m.robustSdPct.toFixed(2)}%`,
        `${m.intervalSdPct.toFixed(2)}%`,
        `±${m.noiseBandPct.toFixed(2)}%`,
        `${m.mde80Pct.toFixed(2)}%`,
        `${m.mde95Pct.toFixed(2)}%`,
        `${m.falseAlarms}/${m.aaChangesPct.length}`,
      ]);
    }
  }
  const lines = textTable(rows);
  return [
    `calibration: ${cal.comparisons} A/A comparisons of ${cal.pairs} pairs per benchmark, alpha ${cal.alpha}, on ${machineName(cal.machine)}`,
    'band floor: the narrowest band an unchanged benchmark reaches UNCHANGED in by the ceiling (98 %); compare widens min_effect_pct to it where it is wider',
    '',
    ...lines,
  ].join('\n');
}
