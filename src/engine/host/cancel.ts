/** Cancellation of the whole perfgate process (SIGINT, SIGTERM: what a
 * runner's cancel-in-progress sends). `cancel()` marks it, and the parts that
 * own live resources clean them up at once: running process groups are
 * killed (process.ts), and the next step of any command sees CancelledError
 * and unwinds through its `finally` blocks, which remove temporary trees. The
 * command's caller writes what it has (a partial result) and exits. */

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

let cancelledBy: string | undefined;
const hooks: (() => void)[] = [];

export function isCancelled(): boolean {
  return cancelledBy !== undefined;
}

/** The signal that cancelled this process, if one did. */
export function cancelReason(): string | undefined {
  return cancelledBy;
}

/** Registers what to do the moment perfgate is cancelled. */
export function onCancel(hook: () => void): void {
  hooks.push(hook);
}

export function cancel(reason: string): void {
  if (cancelledBy !== undefined) return;
  cancelledBy = reason;
  for (const h of hooks) h();
}

/** Exit status of a process ended by `signal`, as shells report it. */
export function signalExitCode(signal: string): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1;
}

/** SIGINT/SIGTERM cancel; a second one exits at once (the work is being torn down). */
export function cancelOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      if (isCancelled()) process.exit(signalExitCode(signal));
      cancel(signal);
    });
}
