// zc.zk's command-line tools: zookeeper-export, zookeeper-import and
// zookeeper-set-property. Argument parsing only; the work is the
// registry's.
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError as CommanderArgumentError } from 'commander';
import { parsePythonLiteral } from '../registry/python-literal.js';
import type { PropertyValue } from '../registry/property-value.js';
import { ZooKeeper } from '../registry/zookeeper.js';
import { Perms } from '../zk/types.js';
import { readInput, runProgram, type CliIo } from './cli-io.js';

async function withZooKeeper<T>(connection: string, work: (zk: ZooKeeper) => Promise<T>): Promise<T> {
  const zk = await ZooKeeper.connect(connection, { connectTimeoutMs: 10_000 });
  try {
    return await work(zk);
  } finally {
    await zk.close();
  }
}

/** `zookeeper-export [-e] [-o FILE] CONNECTION [PATH]`: prints (or writes) a tree as text. */
export function zookeeperExport(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command('zookeeper-export')
    .description('Export a ZooKeeper tree as zc.zk tree text.')
    .argument('<connection>', 'ZooKeeper connection string or zookeeper: URL')
    .argument('[path]', 'the node to export', '/')
    .option('-e, --ephemeral', 'include ephemeral nodes')
    .option('-o, --output <file>', 'write to FILE instead of standard output')
    .action(async (connection: string, path: string, options: { ephemeral?: boolean; output?: string }) => {
      const text = await withZooKeeper(connection, (zk) => zk.exportTree(path, { ephemeral: options.ephemeral ?? false }));
      if (options.output === undefined) io.stdout(text);
      else await writeFile(options.output, text);
    });
  return runProgram(program, argv, io);
}

function permissionBits(value: string): number {
  const bits = Number(value);
  if (!Number.isInteger(bits) || bits < 1 || bits > Perms.ALL) {
    throw new CommanderArgumentError(`expected permission bits from 1 to ${Perms.ALL}`);
  }
  return bits;
}

/** `zookeeper-import [-d] [-t] [-p BITS] CONNECTION [FILE [PATH]]`: imports tree text (FILE `-` or none: standard input). */
export function zookeeperImport(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command('zookeeper-import')
    .description('Import zc.zk tree text into ZooKeeper.')
    .argument('<connection>', 'ZooKeeper connection string or zookeeper: URL')
    .argument('[file]', 'tree text file; - or none for standard input')
    .argument('[path]', 'where to import', '/')
    .option('-d, --dry-run', 'only say what would change')
    .option('-t, --trim', 'delete nodes the text does not mention (not ephemeral ones)')
    .option('-p, --permission <bits>', 'ZooKeeper permission bits for the world ACL', permissionBits, Perms.ALL)
    .action(
      async (
        connection: string,
        file: string | undefined,
        path: string,
        options: { dryRun?: boolean; trim?: boolean; permission: number },
      ) => {
        const text = await readInput(io, file);
        await withZooKeeper(connection, (zk) =>
          zk.importTree(text, path, {
            // zc.zk's -t only turns trimming on; without it extra nodes are reported.
            ...(options.trim === true ? { trim: true } : {}),
            dryRun: options.dryRun ?? false,
            acl: [{ perms: options.permission, scheme: 'world', id: 'anyone' }],
            onMessage: (line) => io.stdout(`${line}\n`),
          }),
        );
      },
    );
  return runProgram(program, argv, io);
}

/** Reads a property value as a Python literal (as zc.zk does) or, failing that, as JSON. */
export function parsePropertyValue(text: string): PropertyValue {
  try {
    return parsePythonLiteral(text);
  } catch (pythonError) {
    try {
      return JSON.parse(text) as PropertyValue;
    } catch {
      throw pythonError;
    }
  }
}

function assignment(text: string, previous: [string, PropertyValue][] = []): [string, PropertyValue][] {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new CommanderArgumentError(`expected NAME=VALUE, got ${JSON.stringify(text)}`);
  const name = text.slice(0, equals);
  try {
    return [...previous, [name, parsePropertyValue(text.slice(equals + 1))]];
  } catch (error) {
    throw new CommanderArgumentError(`bad value for ${name}: ${(error as Error).message}`);
  }
}

/** `zookeeper-set-property CONNECTION PATH NAME=VALUE…`: updates a node's properties. */
export function zookeeperSetProperty(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command('zookeeper-set-property')
    .description('Set properties of a ZooKeeper node (values as Python literals or JSON).')
    .argument('<connection>', 'ZooKeeper connection string or zookeeper: URL')
    .argument('<path>', 'the node')
    .argument('<assignments...>', 'NAME=VALUE pairs')
    .action(async (connection: string, path: string, assignments: string[]) => {
      let values: [string, PropertyValue][] = [];
      for (const text of assignments) {
        try {
          values = assignment(text, values);
        } catch (error) {
          program.error(`error: ${(error as Error).message}`, { exitCode: 2, code: 'zkzeo.badAssignment' });
        }
      }
      await withZooKeeper(connection, async (zk) => {
        const properties = zk.properties(path, { watch: false });
        await properties.ready;
        await properties.update(Object.fromEntries(values));
      });
    });
  return runProgram(program, argv, io);
}
