import type { ZkClient } from './client.js';
import { ZkState } from './states.js';

/**
 * Resolves once `path` does not exist, watching it meanwhile; also (without
 * telling why) when `signal` aborts, the session is lost or a read fails,
 * so the caller looks again and meets the error itself. Used to wait for
 * an ephemeral node of a session that is ending.
 *
 * @internal
 */
export function waitUntilGone(client: ZkClient, path: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    // One function for every read, so the library keeps one watcher, which finish() takes back.
    const watcher = (): void => check();
    const onState = (state: ZkState): void => {
      if (state === ZkState.LOST) finish();
    };
    const finish = (): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', finish);
      client.off('state', onState);
      client.forgetWatcher(path, watcher);
      resolve();
    };
    const check = (): void => {
      if (settled) return;
      client.exists(path, watcher).then(
        (stat) => {
          if (stat === null) finish();
        },
        () => finish(),
      );
    };
    if (signal?.aborted === true) return finish();
    signal?.addEventListener('abort', finish, { once: true });
    client.on('state', onState);
    check();
  });
}
