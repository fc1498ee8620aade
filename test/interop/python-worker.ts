// One long-lived Python process per test file (test/interop/python/worker.py):
// requests and answers are JSON lines, so a whole batch of cases costs one
// spawn. Python is the system one, which has Debian's python3-persistent,
// python3-zodbpickle, python3-btrees and python3-transaction.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The interpreter with the Debian ZODB packages (a pyenv `python3` on PATH lacks them). */
export const PYTHON = '/usr/bin/python3';

const scriptsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'python');

const PACKAGES = 'python3-persistent python3-zodbpickle python3-btrees python3-transaction';

function missingPackages(extra: readonly string[]): string {
  return (
    `${PYTHON} cannot import the modules the interop tests need (persistent, zodbpickle, BTrees${extra.map((m) => `, ${m}`).join('')}); ` +
    `install them with\n  apt-get install -y --no-install-recommends ${PACKAGES}${extra.map((m) => ` python3-${m}`).join('')}`
  );
}

interface Pending {
  readonly op: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** A running `worker.py`; `call(op, args)` resolves to the `ok` part of its answer. */
export class PythonWorker {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: Interface;
  readonly #queue: Pending[] = [];
  #stderr = '';
  #exit: Error | undefined;

  private constructor(modules: readonly string[]) {
    this.#child = spawn(PYTHON, [path.join(scriptsDir, 'worker.py')], {
      // A fixed hash seed makes set iteration order, and so Python's pickles of sets, repeatable.
      env: { ...process.env, PYTHONPATH: scriptsDir, PYTHONHASHSEED: '0', PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#child.stderr.setEncoding('utf8');
    this.#child.stderr.on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    this.#lines = createInterface({ input: this.#child.stdout });
    this.#lines.on('line', (line) => this.#answer(line));
    this.#child.on('error', (error) => this.#fail(new Error(`cannot run ${PYTHON}: ${error.message}\n${missingPackages(modules)}`)));
    this.#child.on('exit', (code, signal) => {
      const hint = /ModuleNotFoundError|ImportError/.test(this.#stderr) ? `\n${missingPackages(modules)}` : '';
      this.#fail(new Error(`${PYTHON} worker.py exited (${signal ?? code}):\n${this.#stderr}${hint}`));
    });
  }

  /**
   * Starts the worker and checks that it runs with the ZODB packages and the
   * extra `modules` (e.g. `kazoo`), failing with the apt-get line that
   * installs them if not.
   */
  static async start(modules: readonly string[] = []): Promise<PythonWorker> {
    const worker = new PythonWorker(modules);
    try {
      await worker.call('hello', { require: modules });
    } catch (error) {
      worker.close();
      if (error instanceof Error && /ModuleNotFoundError|ImportError/.test(error.message)) {
        throw new Error(`${missingPackages(modules)}\n${error.message}`, { cause: error });
      }
      throw error;
    }
    return worker;
  }

  /** Sends one request; rejects with Python's traceback if the operation failed there. */
  call<T = unknown>(op: string, args: object = {}): Promise<T> {
    if (this.#exit !== undefined) return Promise.reject(this.#exit);
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ op, resolve: resolve as (value: unknown) => void, reject });
      this.#child.stdin.write(`${JSON.stringify({ op, args })}\n`);
    });
  }

  /** Ends the process (closing its stdin ends its loop). */
  close(): void {
    this.#exit ??= new Error('the Python worker is closed');
    this.#child.stdin.end();
  }

  #answer(line: string): void {
    const pending = this.#queue.shift();
    if (pending === undefined) return;
    const reply = JSON.parse(line) as { ok?: unknown; error?: string };
    if (reply.error !== undefined) pending.reject(new Error(`Python ${pending.op} failed:\n${reply.error}`));
    else pending.resolve(reply.ok);
  }

  #fail(error: Error): void {
    this.#exit ??= error;
    for (const pending of this.#queue.splice(0)) pending.reject(error);
  }
}
