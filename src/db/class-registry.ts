/**
 * The map between Python class names (`module.Name`) and the TypeScript
 * classes that stand for them.
 */
import { InvalidArgumentError } from '../errors.js';
import { PyGlobal } from '../pickle/values.js';
import { Persistent, type PersistentClass } from './persistent.js';
import { PersistentList } from './persistent-list.js';
import { PersistentMapping } from './persistent-mapping.js';

function splitName(pythonName: string): PyGlobal {
  const dot = pythonName.lastIndexOf('.');
  if (dot <= 0 || dot === pythonName.length - 1 || /\s/.test(pythonName)) {
    throw new InvalidArgumentError(`registerClass: ${JSON.stringify(pythonName)} is not a dotted Python name like 'module.Name'`);
  }
  return new PyGlobal(pythonName.slice(0, dot), pythonName.slice(dot + 1));
}

/**
 * Python names ↔ persistent classes. One class may be registered under
 * several names (aliases): it is written under the first. Records of
 * names that are not registered load as `GenericPersistent`.
 */
export class ClassRegistry {
  readonly #byName = new Map<string, PersistentClass>();
  readonly #byClass = new Map<PersistentClass, PyGlobal>();

  /** A registry holding the built-in classes (PersistentMapping, PersistentList and their ZODB aliases). */
  constructor() {
    this.register('persistent.mapping.PersistentMapping', PersistentMapping);
    this.register('ZODB.PersistentMapping.PersistentMapping', PersistentMapping);
    this.register('persistent.list.PersistentList', PersistentList);
    this.register('ZODB.PersistentList.PersistentList', PersistentList);
  }

  /**
   * Maps the Python class `pythonName` (`module.Name`) to `cls`. Throws
   * `InvalidArgumentError` if the name is already taken by another class
   * or `cls` does not extend `Persistent`.
   */
  register(pythonName: string, cls: PersistentClass): void {
    const global = splitName(pythonName);
    if (typeof cls !== 'function' || !(cls.prototype instanceof Persistent)) {
      throw new InvalidArgumentError(`registerClass(${JSON.stringify(pythonName)}): the class must extend Persistent`);
    }
    const existing = this.#byName.get(pythonName);
    if (existing !== undefined && existing !== cls) {
      throw new InvalidArgumentError(`registerClass: ${pythonName} is already registered to class ${existing.name}`);
    }
    this.#byName.set(pythonName, cls);
    if (!this.#byClass.has(cls)) this.#byClass.set(cls, global);
  }

  /** The class registered under `pythonName`, if any. */
  lookup(pythonName: string): PersistentClass | undefined {
    return this.#byName.get(pythonName);
  }

  /** The Python name `cls` is written under (its first registered name), if any. */
  pythonNameOf(cls: PersistentClass): string | undefined {
    return this.#byClass.get(cls)?.qualifiedName;
  }

  /** @internal The `GLOBAL` written for `cls`, one object per class. */
  globalOf(cls: PersistentClass): PyGlobal | undefined {
    return this.#byClass.get(cls);
  }
}

/** The registry used by databases that are not given one. */
export const defaultClassRegistry: ClassRegistry = new ClassRegistry();

/**
 * Registers `cls` as the TypeScript class of the Python class `pythonName`
 * (`module.Name`) in the default registry.
 *
 * @example
 * ```ts
 * class Note extends Persistent { declare title: string; }
 * registerClass('sample_app.models.Note', Note);
 * ```
 */
export function registerClass(pythonName: string, cls: PersistentClass): void {
  defaultClassRegistry.register(pythonName, cls);
}
