// The TypeScript side of test/interop/python/interop_app.py: the same
// application classes, registered under the Python names.
import { ClassRegistry } from '../../src/db/class-registry.js';
import { GenericPersistent } from '../../src/db/generic-persistent.js';
import { Persistent } from '../../src/db/persistent.js';

/** `interop_app.Note`: an ordinary persistent class. */
export class Note extends Persistent {
  [key: string]: unknown;
}

/** `interop_app.Keyed`, whose `__getnewargs__` returns `(key,)`. */
export class Keyed extends Persistent {
  declare key: string;

  constructor(key?: string) {
    super();
    if (key !== undefined) this.key = key;
  }

  __getnewargs__(): unknown[] {
    return [this.key];
  }
}

/** A registry with the built-in classes plus `interop_app.Note` and `interop_app.Keyed`. */
export function interopRegistry(): ClassRegistry {
  const registry = new ClassRegistry();
  registry.register('interop_app.Note', Note);
  registry.register('interop_app.Keyed', Keyed);
  return registry;
}

/** The Python class name of a persistent object: registered, or kept by a generic object. */
export function pythonClassName(registry: ClassRegistry, obj: Persistent): string {
  if (obj instanceof GenericPersistent) return obj._p_pythonClass;
  const name = registry.pythonNameOf((obj as object).constructor as new () => Persistent);
  if (name === undefined) throw new Error(`unregistered class ${(obj as object).constructor.name}`);
  return name;
}
