import type { BandSource } from '../engine/types';

/** Number formatting shared by the Markdown and terminal reports. */
export function fmtValue(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (a === 0) return '0';
  if (a < 1e-2) return x.toExponential(2);
  return x.toPrecision(4);
}

export function fmtPct(x: number | undefined, signed = true): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  return `${signed && x > 0 ? '+' : ''}${x.toFixed(2)} %`;
}

/** A benchmark's band, marked where a calibration set it: "±1.31 % (cal.)". */
export function fmtBand(pct: number, source?: BandSource): string {
  return `±${pct.toFixed(2)} %${source === 'calibration' ? ' (cal.)' : ''}`;
}
