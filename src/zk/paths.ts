import { InvalidPathError } from './errors.js';

// Characters ZooKeeper refuses in node names (PathUtils.validatePath), as
// UTF-16 code units like ZooKeeper checks them: any surrogate is refused.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]/;

/**
 * Checks that `path` is an absolute ZooKeeper node path and returns it;
 * throws {@link InvalidPathError} naming the path and the rule it breaks.
 * ZooKeeper's rules: starts with `/`, no trailing `/` (but `/` itself), no
 * empty, `.` or `..` components, no control or reserved characters.
 *
 * @param path - the path to check
 * @param sequential - a sequential create may end in `/` (the server appends the counter)
 */
export function validatePath(path: unknown, sequential = false): string {
  if (typeof path !== 'string') throw new InvalidPathError(path, 'a path must be a string');
  if (path.length === 0) throw new InvalidPathError(path, 'a path must not be empty');
  if (path[0] !== '/') throw new InvalidPathError(path, 'a path must start with /');
  if (path.length === 1) return path;
  const body = sequential && path.endsWith('/') ? path.slice(0, -1) : path;
  if (body.endsWith('/')) throw new InvalidPathError(path, 'a path must not end with /');
  for (const name of body.slice(1).split('/')) {
    if (name === '') throw new InvalidPathError(path, 'empty node name');
    if (name === '.' || name === '..') throw new InvalidPathError(path, 'relative names . and .. are not allowed');
  }
  if (FORBIDDEN.test(body)) throw new InvalidPathError(path, 'contains a character ZooKeeper does not allow');
  return path;
}

/** Joins a parent path and a child name without doubling the `/`. */
export function joinPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The parent of an absolute path (`/` for top-level nodes and for `/`). */
export function parentPath(path: string): string {
  const index = path.lastIndexOf('/');
  return index <= 0 ? '/' : path.slice(0, index);
}

/** The last name in an absolute path (`''` for `/`). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
