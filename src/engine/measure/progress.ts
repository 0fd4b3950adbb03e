/** What measuring reports while it works, for a progress display. */
import type { Side } from '../types';
import type { CounterTool } from './counters';

export type ProgressEvent =
  | { type: 'build'; side: Side; state: 'start' | 'cached' | 'done' | 'failed'; seconds?: number }
  | { type: 'run'; benchmark: string; kind: 'warmup' | 'pair'; index: number; of: number; side: Side; budgetLeftSeconds?: number }
  | { type: 'look'; benchmark: string; pairs: number; state: 'continue' | 'decided' | 'ceiling' | 'budget' }
  | { type: 'preflight' }
  | { type: 'syscalls'; benchmark: string; side: Side }
  | { type: 'counters'; benchmark: string; side: Side; tool: CounterTool };

export type Progress = (e: ProgressEvent) => void;
