/**
 * Finding the persistent objects a loaded object refers to, by walking its
 * state (used to load a subgraph level by level).
 */
import { PyObject } from '../pickle/values.js';
import { Persistent } from './persistent.js';

/** @internal The persistent objects directly referenced by `state` (not through weak references). */
export function stateReferences(state: unknown): Persistent[] {
  const found: Persistent[] = [];
  const seen = new Set<object>();
  const stack: unknown[] = [state];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (value instanceof Persistent) {
      found.push(value);
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (value instanceof Map) {
      for (const [k, v] of value as Map<unknown, unknown>) stack.push(k, v);
    } else if (value instanceof Set) {
      for (const item of value as Set<unknown>) stack.push(item);
    } else if (value instanceof PyObject) {
      stack.push(value.args, value.state, value.listItems, value.dictItems);
    } else if (!Buffer.isBuffer(value)) {
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto === Object.prototype || proto === null) for (const item of Object.values(value)) stack.push(item);
    }
  }
  return found;
}
