// Runs one of zkzeo's command-line programs (TypeScript source, through
// tsx) as a child process, collecting its output; the children still
// running are killed by `killCliProcesses` (an afterEach).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `src/cli/<name>.ts`. */
export const cliScript = (name: string): string => path.join(repoRoot, 'src', 'cli', `${name}.ts`);

// The loader as an absolute file URL, resolved once here: a bare `tsx` is looked up
// again by every child, which can fail while node_modules is being rewritten (npm ci).
const TSX_LOADER = import.meta.resolve('tsx');
const children: ChildProcess[] = [];

/** A running (or finished) program. */
export interface CliRun {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  /** Resolves with the first match of `pattern` on stdout; rejects if the program exits first. */
  readonly printed: (pattern: RegExp) => Promise<RegExpExecArray>;
}

/** Starts `script` with `args` in the repository root. */
export function runCli(script: string, args: readonly string[]): CliRun {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const printed = (pattern: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(out);
        if (match !== null) resolve(match);
      };
      child.stdout?.on('data', check);
      void exited.then((code) => reject(new Error(`exited with ${code} before printing ${pattern}: ${err}`)));
      check();
    });
  return { child, stdout: () => out, stderr: () => err, exited, printed };
}

/** Kills every program started by {@link runCli} that still runs. */
export function killCliProcesses(): void {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
