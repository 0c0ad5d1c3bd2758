/**
 * Ctrl-C and SIGTERM for commands that write. The first signal cancels the running work through
 * an AbortSignal: staging stops, the staged files are deleted by the write path's own cleanup,
 * and the command exits 130 (SIGINT) or 143 (SIGTERM) after saying what was cancelled. A commit
 * already under way is not interrupted (it settles, so its outcome is known). A second signal
 * exits at once, saying what may be left behind.
 *
 * Contract: one handler per process (the CLI runs one command); `interrupted()` tells main()
 * which exit code to use; the handler is removed by `dispose()`.
 */

import { LakehouseError } from '../../connectors/errors.js';

export interface Interrupt {
  readonly signal: AbortSignal;
  /** What the command is doing, for the messages (e.g. "ingest into raw.t, commit id …"). */
  describe(text: string): void;
  dispose(): void;
}

const EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
let received: string | undefined;

/** The signal that interrupted this process's command, if any. */
export function interrupted(): { signal: string; exitCode: number } | undefined {
  return received ? { signal: received, exitCode: EXIT_CODES[received] ?? 1 } : undefined;
}

export function onInterrupt(command: string): Interrupt {
  const controller = new AbortController();
  let what = command;
  const handler = (sig: NodeJS.Signals): void => {
    if (received) {
      process.stderr.write(`\nlake: ${sig} again — exiting now; files staged by ${what} may be left behind (lake remove-orphans collects them)\n`);
      process.exit(EXIT_CODES[sig] ?? 1);
    }
    received = sig;
    process.stderr.write(`\nlake: ${sig} — cancelling ${what} and deleting its staged files (${sig === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again exits at once)\n`);
    controller.abort(new LakehouseError('CANCELLED', `${what} was cancelled by ${sig}`, { help: 'Nothing was committed unless the command said so; run it again when ready.' }));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    describe(text) {
      what = text;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
