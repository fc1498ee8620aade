/**
 * Path arithmetic for zc.zk's symbolic links (`name -> target`) and property
 * links (`name => target`): joining a relative target to the node that holds
 * the link and removing `.` and `..`. Pure string work; following links
 * through ZooKeeper (and detecting loops) is the caller's job.
 */

const DOT = /\/\.(\/|$)/g;
const DOT_DOT = /\/[^/]+\/\.\.(\/|$)/g;

/**
 * Remove `/./` and `/name/../` segments the way zc.zk's `resolve` does,
 * repeating until nothing changes. Like zc.zk, a `..` above the root is
 * left alone (`/..` stays `/..`). Where zc.zk would produce an empty string
 * (`/a/..`), this returns `/`.
 */
export function normalizeLinkPath(path: string): string {
  let current = path;
  for (;;) {
    const next = current.replace(DOT, '$1').replace(DOT_DOT, '$1');
    if (next === current) break;
    current = next;
  }
  return current === '' ? '/' : current;
}

/**
 * The absolute, normalized path a link target names. `base` is the path of
 * the node holding the link (for a `->` link: the node whose property it is;
 * for a `=>` property link: the node whose properties were asked for, as
 * zc.zk uses it). A target starting with `/` is absolute; any other is
 * relative to `base`.
 *
 * @example
 * resolveLinkTarget('/a/b', 'c')      // '/a/b/c'
 * resolveLinkTarget('/a/b', '../c')   // '/a/c'
 * resolveLinkTarget('/a/b', '/x/./y') // '/x/y'
 */
export function resolveLinkTarget(base: string, target: string): string {
  if (target.startsWith('/')) return normalizeLinkPath(target);
  const prefix = base === '/' ? '' : base;
  return normalizeLinkPath(`${prefix}/${target}`);
}

/** The path of child `name` of `parent` (no double slash under the root). */
export function childPath(parent: string, name: string): string {
  return parent === '/' || parent === '' ? `/${name}` : `${parent}/${name}`;
}

/**
 * Split a path into its parent path and last name as zc.zk does
 * (`path.rsplit('/', 1)`), with the root's parent spelled `/`:
 * `'/a/b'` → `['/a', 'b']`, `'/a'` → `['/', 'a']`.
 */
export function splitLinkPath(path: string): [parent: string, name: string] {
  const i = path.lastIndexOf('/');
  const parent = path.slice(0, i);
  return [parent === '' ? '/' : parent, path.slice(i + 1)];
}
