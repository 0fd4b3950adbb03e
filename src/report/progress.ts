/** Progress of a comparison, for a person at a terminal or for a log.
 * A terminal gets one status line redrawn in place, and a permanent line
 * when a build ends or a benchmark is decided. A log gets one line when a
 * benchmark starts and one when it is decided, grouped per benchmark in
 * GitHub Actions (`::group::`), so hundreds of runs are two lines each. */
import type { ProgressEvent } from '../engine/measure/progress';

const LOOK_STATE = {
  continue: 'undecided, sampling on',
  decided: 'decided',
  ceiling: 'undecided at the ceiling (max_pairs)',
  budget: 'stopped undecided: the time budget has no room for the next look',
} as const;

export interface ProgressSink {
  write: (s: string) => void;
  /** Redraw one line in place (a terminal); else print lines. */
  tty: boolean;
  /** Wrap each benchmark's lines in ::group:: (GitHub Actions logs). */
  groups: boolean;
}

/** A printer of ProgressEvents; call `done()` at the end to clear the status line and close a group. */
export function progressPrinter(sink: ProgressSink): { onProgress: (e: ProgressEvent) => void; done: () => void } {
  let current: string | undefined;
  let status = '';
  const line = (s: string) => {
    if (sink.tty && status) sink.write('\r\x1b[2K');
    sink.write(`${s}\n`);
    if (sink.tty && status) sink.write(status);
  };
  const show = (s: string) => {
    if (!sink.tty) return;
    status = s;
    sink.write(`\r\x1b[2K${s}`);
  };
  const started = new Set<string>();
  // Benchmarks are sampled round robin, look by look: a group per stretch, the start said once.
  const enter = (benchmark: string) => {
    if (benchmark === current) return;
    leave();
    current = benchmark;
    if (sink.groups) sink.write(`::group::${benchmark}\n`);
    if (!started.has(benchmark)) line(`[${benchmark}] measuring`);
    started.add(benchmark);
  };
  const leave = () => {
    if (current !== undefined && sink.groups) sink.write('::endgroup::\n');
    current = undefined;
  };
  const onProgress = (e: ProgressEvent): void => {
    if (e.type === 'preflight') line('[preflight] probing machine noise');
    else if (e.type === 'build') {
      if (e.state !== 'start') line(`[build] ${e.side}: ${e.state}${e.seconds ? ` (${e.seconds.toFixed(1)} s)` : ''}`);
      else show(`[build] ${e.side}: building`);
    } else if (e.type === 'run') {
      enter(e.benchmark);
      const left = e.budgetLeftSeconds !== undefined ? ` · budget left ${Math.ceil(e.budgetLeftSeconds)} s` : '';
      show(`[${e.benchmark}] ${e.kind} ${e.index}/${e.of} ${e.side}${left}`);
    } else if (e.type === 'look') {
      enter(e.benchmark);
      if (e.state === 'continue') show(`[${e.benchmark}] look at ${e.pairs} pairs: ${LOOK_STATE[e.state]}`);
      else line(`[${e.benchmark}] ${LOOK_STATE[e.state]} at ${e.pairs} pairs`);
    } else {
      enter(e.benchmark);
      show(
        e.type === 'syscalls'
          ? `[${e.benchmark}] syscall pass (strace) ${e.side}`
          : `[${e.benchmark}] instruction count (${e.tool}) ${e.side}`,
      );
    }
  };
  const done = () => {
    if (sink.tty && status) sink.write('\r\x1b[2K');
    status = '';
    leave();
  };
  return { onProgress, done };
}
