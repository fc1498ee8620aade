import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

// Node does not kill child processes when it exits, so every JVM and temp
// directory the harness creates is recorded here and removed on exit,
// including exits caused by SIGINT/SIGTERM/SIGHUP. (A SIGKILLed test process
// cannot clean up; CI sweeps JVMs started with -Dzkzeo.testing=true.)
const children = new Set<ChildProcess>();
const directories = new Set<string>();
let installed = false;

function cleanUpNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  // A JVM killed a moment ago may still be writing; retry briefly.
  for (const dir of directories) rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  directories.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanUpNow();
  process.removeListener(signal, onSignal);
  // Re-raise only when nobody else handles the signal, so the default
  // behaviour (exit) still happens and other handlers stay in charge.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanUpNow);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}

/** Kills `child` when this process exits, unless it has exited by then. */
export function killOnExit(child: ChildProcess): void {
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Removes `dir` when this process exits, unless {@link forgetDirectory} ran first. */
export function removeOnExit(dir: string): void {
  install();
  directories.add(dir);
}

/** Stops tracking `dir` (it was removed already). */
export function forgetDirectory(dir: string): void {
  directories.delete(dir);
}
