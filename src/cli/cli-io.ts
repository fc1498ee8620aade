import { readFile } from 'node:fs/promises';
import { CommanderError, type Command } from 'commander';
import { ZkzeoError } from '../errors.js';

/** Where a command-line tool reads and writes; tests pass their own. */
export interface CliIo {
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Reads all of standard input. */
  readStdin(): Promise<string>;
}

/** The process's own streams. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** Exit codes shared by the tools. */
export const EXIT = Object.freeze({
  /** Success. */
  ok: 0,
  /** The work failed (unreachable server, missing node, bad data). */
  failed: 1,
  /** The command line was wrong. */
  usage: 2,
} as const);

/** Reads `file`, or standard input for `-` or none. */
export async function readInput(io: CliIo, file: string | undefined): Promise<string> {
  return file === undefined || file === '-' ? io.readStdin() : readFile(file, 'utf8');
}

/**
 * Runs a commander program on `argv` (without node and script), sending
 * its output to `io` and turning errors into exit codes: usage errors 2,
 * failures 1 (with `<name>: <message>` on stderr).
 */
export async function runProgram(program: Command, argv: readonly string[], io: CliIo): Promise<number> {
  program
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError(false);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    const message = error instanceof ZkzeoError || error instanceof Error ? error.message : String(error);
    io.stderr(`${program.name()}: ${message}\n`);
    return EXIT.failed;
  }
}
