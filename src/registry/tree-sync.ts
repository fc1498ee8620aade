// Moving whole trees between ZooKeeper and zc.zk's tree text: import (with
// trim and dry run), export, walk, and recursive delete that respects
// ephemeral nodes. Messages keep zc.zk's exact wording.
import type { ZkClient } from '../zk/client.js';
import { NoNodeError } from '../zk/errors.js';
import { OPEN_ACL_UNSAFE, type Acl } from '../zk/types.js';
import { TreeSyntaxError, TreeSyntaxErrorKind } from './errors.js';
import { childPath, resolveLinkTarget } from './link-path.js';
import { decodeNodeData, encodeNodeData, nodeDataEntries, treeNodeFromData } from './node-data.js';
import type { PropertyValue } from './property-value.js';
import { formatPythonStr } from './python-repr.js';
import { formatTree } from './tree-text-writer.js';
import { parseTree } from './tree-text.js';
import { LINK_SUFFIX, TreeNode } from './tree-node.js';

/** Receives the lines zc.zk would print (warnings, dry-run actions). */
export type MessageSink = (line: string) => void;

/** Options for {@link importTree}. */
export interface ImportTreeOptions {
  /**
   * What to do with existing nodes the text does not mention (never at the
   * top level): `true` deletes them (except ephemeral ones and their
   * ancestors), `false` leaves them alone, undefined leaves them and says
   * `extra path not trimmed: <path>`.
   */
  readonly trim?: boolean;
  /** ACL for created and updated nodes. @defaultValue {@link OPEN_ACL_UNSAFE} */
  readonly acl?: readonly Acl[];
  /** Only say what would change. @defaultValue `false` */
  readonly dryRun?: boolean;
  /** Where messages go. @defaultValue discarded */
  readonly onMessage?: MessageSink;
}

/** Options for {@link exportTree}. */
export interface ExportTreeOptions {
  /** Include ephemeral nodes. @defaultValue `false` */
  readonly ephemeral?: boolean;
  /** Name to write for the top node instead of its own. */
  readonly name?: string;
}

/** Options for {@link deleteRecursive}. */
export interface DeleteRecursiveOptions {
  /** Only say what would be deleted. @defaultValue `false` */
  readonly dryRun?: boolean;
  /** Delete ephemeral nodes too. @defaultValue `false` */
  readonly force?: boolean;
  /** Skip the top node silently when it is ephemeral. @defaultValue `false` */
  readonly ignoreIfEphemeral?: boolean;
  /** Where messages go. @defaultValue discarded */
  readonly onMessage?: MessageSink;
}

/** Options for {@link walk}. */
export interface WalkOptions {
  /** Visit ephemeral nodes. @defaultValue `true` */
  readonly ephemeral?: boolean;
}

const discard: MessageSink = () => undefined;
const str = (value: PropertyValue): string => formatPythonStr(value);

/**
 * Imports tree text under `path`, as zc.zk's `import_tree`. The whole text
 * is parsed and checked first: a malformed line throws
 * {@link TreeSyntaxError} naming its line, and nothing is written.
 */
export async function importTree(
  client: ZkClient,
  text: string,
  path = '/',
  options: ImportTreeOptions = {},
): Promise<void> {
  const tree = parseTree(text);
  encodeAll(tree); // values JSON cannot hold fail here, before any write
  checkLinkLoops(tree, text);
  let base = path;
  while (base.length > 1 && base.endsWith('/')) base = base.slice(0, -1);
  await importChildren(client, base, tree, { acl: OPEN_ACL_UNSAFE, onMessage: discard, ...options }, true);
}

/**
 * Refuses links within the text that lead round in a circle, naming the
 * line of the first link of the loop. Only loops made entirely of links in
 * the text can be seen here; others are found when a path is resolved.
 */
function checkLinkLoops(tree: TreeNode, text: string): void {
  const links = new Map<string, { target: string; line: number }>();
  const collect = (node: TreeNode, path: string): void => {
    for (const [name, target] of node.links) {
      links.set(childPath(path, name), { target: resolveLinkTarget(path, target), line: node.lines.get(name + LINK_SUFFIX) ?? 0 });
    }
    for (const child of node.children.values()) collect(child, childPath(path, child.name));
  };
  for (const top of tree.children.values()) collect(top, `/${top.name}`);
  for (const [start, { line }] of links) {
    const seen = [start];
    let next = links.get(start)?.target;
    while (next !== undefined && links.has(next)) {
      if (next === start) {
        const lineText = text.split('\n')[line - 1] ?? '';
        throw new TreeSyntaxError({
          kind: TreeSyntaxErrorKind.linkLoop,
          line,
          column: lineText.length - lineText.trimStart().length + 1,
          lineText,
          reason: `symbolic links loop: ${[...seen, start].join(' -> ')}`,
        });
      }
      if (seen.includes(next)) break; // a loop that does not pass through start; reported from its own members
      seen.push(next);
      next = links.get(next)?.target;
    }
  }
}

function encodeAll(node: TreeNode): void {
  for (const child of node.children.values()) {
    encodeNodeData(child);
    encodeAll(child);
  }
}

type ImportSettings = ImportTreeOptions & { acl: readonly Acl[]; onMessage: MessageSink };

async function importChildren(
  client: ZkClient,
  path: string,
  node: TreeNode,
  options: ImportSettings,
  top: boolean,
): Promise<void> {
  const say = options.onMessage;
  if (!top) {
    for (const name of (await client.getChildren(path)).sort()) {
      if (node.children.has(name)) continue;
      const extra = childPath(path, name);
      if (options.trim === true) {
        await deleteRecursive(client, extra, { dryRun: options.dryRun ?? false, ignoreIfEphemeral: true, onMessage: say });
      } else if (options.trim === undefined) {
        say(`extra path not trimmed: ${extra}`);
      }
    }
  }
  for (const name of [...node.children.keys()].sort()) {
    const child = node.children.get(name)!;
    const target = childPath(path, name);
    const data = encodeNodeData(child);
    const existing = await client.exists(target);
    if (existing !== null) {
      if (options.dryRun === true) {
        describeChanges(target, nodeDataEntries(decodeNodeData((await client.get(target)).data)), nodeDataEntries(child), say);
      } else {
        await client.set(target, data);
        const { acl } = await client.getAcl(target);
        if (!sameAcl(acl, options.acl)) await client.setAcl(target, options.acl);
      }
    } else if (options.dryRun === true) {
      say(`add ${target}`);
      continue;
    } else {
      await client.create(target, data, { acl: options.acl });
    }
    await importChildren(client, target, child, options, false);
  }
}

function sameAcl(a: readonly Acl[], b: readonly Acl[]): boolean {
  return a.length === b.length && a.every((x, i) => x.perms === b[i]?.perms && x.scheme === b[i]?.scheme && x.id === b[i]?.id);
}

function describeChanges(
  path: string,
  old: Map<string, PropertyValue>,
  now: Map<string, PropertyValue>,
  say: MessageSink,
): void {
  const isLink = (key: string): boolean => key.endsWith(LINK_SUFFIX);
  for (const key of [...old.keys()].sort()) {
    const value = old.get(key)!;
    if (!now.has(key)) {
      say(isLink(key) ? `${path} remove link ${key} ${str(value)}` : `${path} remove property ${key} = ${str(value)}`);
    } else if (str(now.get(key)!) !== str(value)) {
      say(
        isLink(key)
          ? `${path} ${key.slice(0, -LINK_SUFFIX.length)} link change from ${str(value)} to ${str(now.get(key)!)}`
          : `${path} ${key} change from ${str(value)} to ${str(now.get(key)!)}`,
      );
    }
  }
  for (const key of [...now.keys()].sort()) {
    if (old.has(key)) continue;
    const value = now.get(key)!;
    say(isLink(key) ? `${path} add link ${key} ${str(value)}` : `${path} add property ${key} = ${str(value)}`);
  }
}

/**
 * Exports the tree under `path` as zc.zk's `export_tree` writes it:
 * properties, then links, then children, each sorted by name; `/zookeeper`
 * and ephemeral nodes left out unless `ephemeral` is set.
 */
export async function exportTree(client: ZkClient, path = '/', options: ExportTreeOptions = {}): Promise<string> {
  const tree = await readTree(client, path, options.ephemeral ?? false);
  if (tree === undefined) return '';
  return formatTree(tree, options.name === undefined ? {} : { name: options.name });
}

async function readTree(client: ZkClient, path: string, ephemeral: boolean): Promise<TreeNode | undefined> {
  let node: TreeNode;
  if (path === '/') {
    node = new TreeNode();
  } else {
    const { data, stat } = await client.get(path);
    if (stat.ephemeralOwner !== 0n && !ephemeral) return undefined;
    node = treeNodeFromData(path.slice(path.lastIndexOf('/') + 1), data);
  }
  const reads = (await client.getChildren(path))
    .filter((name) => !(path === '/' && name === 'zookeeper'))
    .map(async (name) => {
      try {
        return await readTree(client, childPath(path, name), ephemeral);
      } catch (error) {
        if (error instanceof NoNodeError) return undefined; // deleted while exporting
        throw error;
      }
    });
  for (const child of await Promise.all(reads)) if (child !== undefined) node.addChild(child);
  return node;
}

/** Whether the node is ephemeral. @throws NoNodeError */
export async function isEphemeral(client: ZkClient, path: string): Promise<boolean> {
  return (await client.get(path)).stat.ephemeralOwner !== 0n;
}

/**
 * Deletes a node and its descendants, as zc.zk's `delete_recursive`:
 * ephemeral nodes (and so their ancestors) are kept unless `force`, with
 * zc.zk's messages. Returns whether an ephemeral node was kept.
 */
export async function deleteRecursive(
  client: ZkClient,
  path: string,
  options: DeleteRecursiveOptions = {},
): Promise<boolean> {
  const say = options.onMessage ?? discard;
  let ephemeralChild = false;
  for (const name of (await client.getChildren(path)).sort()) {
    const kept = await deleteRecursive(client, childPath(path, name), { ...options, ignoreIfEphemeral: false });
    ephemeralChild = kept || ephemeralChild;
  }
  if (ephemeralChild) {
    say(`${path} not deleted due to ephemeral descendent.`);
    return true;
  }
  const ephemeral = (await isEphemeral(client, path)) && options.force !== true;
  if (ephemeral && options.ignoreIfEphemeral === true) return false;
  if (options.dryRun === true) {
    say(ephemeral ? `wouldn't delete ${path} because it's ephemeral.` : `would delete ${path}.`);
  } else if (ephemeral) {
    say(`Not deleting ${path} because it's ephemeral.`);
  } else {
    await client.delete(path);
  }
  return ephemeral;
}

/**
 * Visits `path` and its descendants depth first, in name order. A node's
 * children are read after the caller has seen the node, so nodes added or
 * removed while walking are seen (or skipped) as they are by then.
 */
export async function* walk(client: ZkClient, path = '/', options: WalkOptions = {}): AsyncGenerator<string> {
  try {
    if (options.ephemeral === false ? await isEphemeral(client, path) : (await client.exists(path)) === null) return;
  } catch (error) {
    if (error instanceof NoNodeError) return;
    throw error;
  }
  yield path;
  let children: string[];
  try {
    children = (await client.getChildren(path)).sort();
  } catch (error) {
    if (error instanceof NoNodeError) return;
    throw error;
  }
  for (const name of children) yield* walk(client, childPath(path, name), options);
}
