import type { ZkClient } from '../zk/client.js';
import { NoNodeError } from '../zk/errors.js';
import { childPath, normalizeLinkPath, resolveLinkTarget, splitLinkPath } from './link-path.js';
import { LinkLoopError } from './errors.js';
import { decodeNodeData, encodeNodeData, nodeContentFromEntries, nodeDataEntries } from './node-data.js';

/**
 * Resolves `path` as zc.zk does: `.` and `..` are normalized; if the node
 * exists, that is the answer; otherwise the parent is resolved and, if the
 * child is not there, the parent's link property `"<name> ->"` is followed
 * (a relative target is relative to the parent), recursively. `onLink` is
 * told every node whose link property was consulted, so callers can watch
 * those for changes.
 *
 * @throws NoNodeError naming `path` when it does not resolve
 * @throws LinkLoopError when links form a cycle
 */
export async function resolvePath(
  client: ZkClient,
  path: string,
  onLink?: (base: string) => void,
  seen: readonly string[] = [],
): Promise<string> {
  const normalized = normalizeLinkPath(path);
  if ((await client.exists(normalized)) !== null) return normalized;
  if (seen.includes(normalized)) throw new LinkLoopError([...seen, normalized]);
  try {
    const [parent, name] = splitLinkPath(normalized);
    if (name === '') throw new NoNodeError(normalized);
    const base = await resolvePath(client, parent, onLink, seen);
    const direct = childPath(base, name);
    if ((await client.exists(direct)) !== null) return direct;
    onLink?.(base);
    const target = decodeNodeData((await client.get(base)).data).links.get(name);
    if (target === undefined || target === '') throw new NoNodeError(normalized);
    return await resolvePath(client, resolveLinkTarget(base, target), onLink, [...seen, normalized]);
  } catch (error) {
    if (error instanceof NoNodeError) throw new NoNodeError(normalized);
    throw error;
  }
}

/**
 * Makes a symbolic link, as zc.zk's `ln`: the property `"<name> ->"` on
 * the parent of `link` is set to `target`. A `target` ending in `/` gets
 * the link's name appended (`ln('/dbs/', '/app/main')` links to
 * `/dbs/main`).
 *
 * @param target - the path the link points to (absolute or relative to the link's parent)
 * @param link - where the link appears
 */
export async function makeLink(client: ZkClient, target: string, link: string): Promise<void> {
  const [base, name] = splitLinkPath(link);
  const to = target.endsWith('/') ? target + name : target;
  for (;;) {
    const { data, stat } = await client.get(base);
    const entries = nodeDataEntries(decodeNodeData(data));
    entries.set(`${name} ->`, to);
    const content = nodeContentFromEntries(entries, { properties: new Map(), links: new Map(), propertyLinks: new Map() });
    try {
      await client.set(base, encodeNodeData(content), { version: stat.version });
      return;
    } catch (error) {
      // Someone changed the node meanwhile: read it again, keep their change.
      if (!(error instanceof Error && (error as { code?: string }).code === 'ZK_BAD_VERSION')) throw error;
    }
  }
}
