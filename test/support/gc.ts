// A full garbage collection on demand, for tests that check an object is
// let go of. `--expose-gc` set at run time reaches new contexts only.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Whether the target of `ref` gets collected: a WeakRef holds its target
 * until the current job ends, so each try waits a turn of the event loop
 * before a full collection.
 */
export async function collected(ref: WeakRef<object>, tries = 3): Promise<boolean> {
  for (let i = 0; i < tries; i += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    if (ref.deref() === undefined) return true;
  }
  return false;
}
