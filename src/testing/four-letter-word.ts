import { connect } from 'node:net';

/**
 * Sends a ZooKeeper four-letter command (`srvr`, `ruok`, `mntr`, …) and
 * returns the server's whole answer, or `undefined` when there is none
 * within the timeout. A server that is still starting can accept the
 * connection and never answer, so every probe has a deadline.
 *
 * @param port - the server's client port on 127.0.0.1
 * @param command - the four-letter command
 * @param timeoutMs - how long to wait for the server to close the connection
 */
export function fourLetterWord(port: number, command: string, timeoutMs = 200): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (answer: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('connect', () => socket.end(command));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', () => finish(undefined));
  });
}

/**
 * The server's mode from `srvr` (`standalone`, `leader`, `follower`), or
 * `undefined` while it does not serve requests or does not answer.
 *
 * @param port - the server's client port on 127.0.0.1
 * @param timeoutMs - probe deadline
 */
export async function serverMode(port: number, timeoutMs = 200): Promise<string | undefined> {
  const answer = await fourLetterWord(port, 'srvr', timeoutMs);
  return answer?.match(/^Mode: (\S+)/m)?.[1];
}
