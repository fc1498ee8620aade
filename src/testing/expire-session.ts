import { connect } from 'node:net';
import { InvalidArgumentError, ZkzeoError } from '../errors.js';
import type { ZkClient } from '../zk/client.js';
import { ZkState } from '../zk/states.js';

/** Options for {@link expireSession}. */
export interface ExpireSessionOptions {
  /** Give up after this long. @defaultValue `10000` */
  readonly timeoutMs?: number;
}

// A ConnectRequest that takes over the session, then closeSession, framed
// as ZooKeeper's jute protocol does (4-byte big-endian length prefixes).
function takeOverAndClose(sessionId: bigint, password: Buffer, timeoutMs: number): Buffer {
  const connectBody = Buffer.alloc(4 + 8 + 4 + 8 + 4 + password.length);
  let at = connectBody.writeInt32BE(0, 0); // protocol version
  at = connectBody.writeBigInt64BE(0n, at); // last zxid seen
  at = connectBody.writeInt32BE(timeoutMs, at);
  at = connectBody.writeBigInt64BE(BigInt.asIntN(64, sessionId), at);
  at = connectBody.writeInt32BE(password.length, at);
  password.copy(connectBody, at);
  const close = Buffer.alloc(4 + 8);
  close.writeInt32BE(8, 0);
  close.writeInt32BE(1, 4); // xid
  close.writeInt32BE(-11, 8); // closeSession
  const length = Buffer.alloc(4);
  length.writeInt32BE(connectBody.length, 0);
  return Buffer.concat([length, connectBody, close]);
}

function sendToAnyServer(client: ZkClient, payload: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const server = client.servers[Math.floor(Math.random() * client.servers.length)]!;
    const socket = connect({ host: server.host, port: server.port }, () => socket.write(payload));
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 500);
    socket.on('data', () => undefined);
    socket.on('close', done);
    socket.on('error', done);
  });
}

/**
 * Makes the server expire `client`'s session, as if it had been cut off
 * for longer than the session timeout, and resolves once the client has
 * reported `LOST`. It connects with the session's id and password, which
 * moves the session to a new connection (dropping the client's), and
 * closes it there. The client sometimes reconnects first and takes the
 * session back, so this repeats until the loss is reported.
 *
 * @throws Error when the client has no session, or the loss is not seen in time
 */
export async function expireSession(client: ZkClient, options: ExpireSessionOptions = {}): Promise<void> {
  const sessionId = client.sessionId;
  if (sessionId === 0n || !client.connected) {
    throw new InvalidArgumentError('expireSession: the client has no connected session');
  }
  const payload = takeOverAndClose(sessionId, client.sessionPassword, client.sessionTimeoutMs);
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let lost = false;
  const onState = (state: ZkState): void => {
    if (state === ZkState.LOST) lost = true;
  };
  client.on('state', onState);
  try {
    while (!lost) {
      if (Date.now() > deadline) {
        throw new ZkzeoError('ERR_EXPIRE_TIMEOUT', `expireSession: session 0x${sessionId.toString(16)} did not expire`);
      }
      await sendToAnyServer(client, payload);
      await client.waitForState(ZkState.LOST, 200);
    }
  } finally {
    client.off('state', onState);
  }
}
