// The zc.monitor-style command server: one command per connection, help,
// interactive mode, errors, and the servers and status commands, over
// real TCP and Unix sockets.
import { expect } from 'chai';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { formatBoundAddress } from '../../src/server/listen.js';
import { RegisteredServers, serversCommand, statusCommand } from '../../src/zkzeo/monitor-commands.js';
import { MonitorMode, MonitorServer, type MonitorServerOptions } from '../../src/zkzeo/monitor-server.js';
import { exchange } from '../../src/zkzeo/nagios-check.js';
import { startServer, cleanUp as cleanUpServers } from '../server/server-fixture.js';
import { cleanUp, commitOne, rawClient, tempDir } from './zkzeo-fixture.js';

const monitors: MonitorServer[] = [];

async function start(options: MonitorServerOptions = {}): Promise<{ monitor: MonitorServer; address: string }> {
  const monitor = await MonitorServer.start({ family: 'ipv4', host: '127.0.0.1', port: 0 }, options);
  monitors.push(monitor);
  return { monitor, address: formatBoundAddress(monitor.address) };
}

async function ask(address: string, text: string): Promise<string> {
  return (await exchange(address, text, 5000)).toString('utf8');
}

/** An open connection for interactive use: send lines, read until some text has arrived. */
class Session {
  readonly socket: net.Socket;
  #received = '';
  #waiters: Array<() => void> = [];

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#received += chunk;
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async open(address: string): Promise<Session> {
    const [host, port] = address.split(':');
    const socket = net.connect({ host, port: Number(port) });
    await once(socket, 'connect');
    return new Session(socket);
  }

  /** Sends `line` and waits until the output received so far ends with `ending`. */
  async send(line: string, ending: string): Promise<string> {
    this.socket.write(`${line}\n`);
    while (!this.#received.endsWith(ending)) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    const text = this.#received;
    this.#received = '';
    return text;
  }
}

describe('zkzeo: the monitor server', () => {
  afterEach(async () => {
    await Promise.all(monitors.splice(0).map((monitor) => monitor.close()));
    await cleanUp();
    await cleanUpServers();
  });

  it('lists its commands with help, and shows one command in full', async () => {
    const { address } = await start({ commands: { hello: { help: 'Say hello\n\nTo NAME.', run: (out, [name = 'world']) => out.write(`Hi ${name}\n`) } } });
    expect(await ask(address, 'help\n')).to.equal(
      'Supported commands:\n' +
        '  hello -- Say hello\n' +
        '  help -- Get help about server commands\n' +
        "  interactive -- Turn on monitor's interactive mode\n" +
        '  quit -- Quit the monitor\n',
    );
    expect(await ask(address, 'help hello\n')).to.equal('Help for hello:\n\nSay hello\n\nTo NAME.\n');
    expect(await ask(address, 'hello  there \n')).to.equal('Hi there\n');
  });

  it('answers one command per connection and closes it', async () => {
    const { address } = await start();
    const session = await Session.open(address);
    const closed = once(session.socket, 'end');
    expect(await session.send('quit', 'Goodbye.\n')).to.equal('Goodbye.\n');
    await closed;
  });

  it('rejects unknown commands as zc.monitor does, and reports errors a command throws', async () => {
    const { address } = await start({
      commands: {
        boom: {
          help: 'Fails',
          run: () => {
            throw new RangeError('out of range');
          },
        },
      },
    });
    expect(await ask(address, 'servers /x\n')).to.equal('Invalid command \'servers\'\nTry "help".\n');
    expect(await ask(address, 'boom\n')).to.equal('RangeError: out of range\n');
    expect(await ask(address, 'help nosuch\n')).to.equal("InvalidArgumentError: no command 'nosuch'\n");
  });

  it('stays open in interactive mode, repeats the last command on an empty line, and quits', async () => {
    let calls = 0;
    const { address } = await start({ commands: { count: { help: 'Counts', run: (out) => out.write(`${++calls}\n`) } } });
    const session = await Session.open(address);
    expect(await session.send('interactive', 'exit.\n')).to.equal('Interactive mode on.  Use "quit" To exit.\n');
    expect(await session.send('count', '\n')).to.equal('1\n');
    expect(await session.send('', '\n')).to.equal('2\n');
    const closed = once(session.socket, 'end');
    expect(await session.send('quit', 'Goodbye.\n')).to.equal('Goodbye.\n');
    await closed;
    expect(calls).to.equal(2);
  });

  it('runs commands that return a mode asynchronously in order', async () => {
    const { address } = await start({
      commands: {
        slow: {
          help: 'Slow',
          run: async (out) => {
            await new Promise((resolve) => setImmediate(resolve));
            out.write('slow done\n');
            return MonitorMode.interactive;
          },
        },
      },
    });
    const session = await Session.open(address);
    session.socket.write('slow\nquit\n');
    expect(await session.send('', 'Goodbye.\n')).to.equal('slow done\nGoodbye.\n');
  });

  it("reports zc.zk's servers: addresses at a path on one line, or everything as JSON", async () => {
    const servers = new RegisteredServers();
    servers.record({ name: '1.2.3.4:8080', path: '/foo/bar', properties: { pid: 42 } });
    servers.record({ name: ':8081', path: '/foo/baz', properties: { monitor: '1.2.3.4:9', pid: 42 } });
    servers.record({ name: '1.2.3.5:8080', path: '/foo/bar', properties: { pid: 42 } });
    const { address } = await start({ commands: { servers: serversCommand(servers) } });
    expect(await ask(address, 'servers /foo/bar\n')).to.equal('1.2.3.4:8080 1.2.3.5:8080\n');
    expect(await ask(address, 'servers /nothing\n')).to.equal('\n');
    expect(await ask(address, 'servers\n')).to.equal(
      '[{"address": "1.2.3.4:8080", "path": "/foo/bar", "pid": 42}, ' +
        '{"address": ":8081", "path": "/foo/baz", "monitor": "1.2.3.4:9", "pid": 42}, ' +
        '{"address": "1.2.3.5:8080", "path": "/foo/bar", "pid": 42}]\n',
    );
  });

  it('reports the ZEO server statistics with status', async () => {
    const { server, address: zeoAddress } = await startServer();
    const client = await rawClient(zeoAddress);
    await commitOne(client);
    const { address } = await start({ commands: { status: statusCommand(server) } });
    const report = await ask(address, 'status\n');
    const lines = report.split('\n');
    expect(lines[0]).to.equal('ZEO monitor server');
    expect(lines.slice(3)).to.deep.equal([
      'Storage: 1',
      `Server started: ${server.status('1').start}`,
      'Clients: 1',
      'Active transactions: 0',
      'Commits: 1',
      'Aborts: 0',
      'Loads: 0',
      'Stores: 1',
      'Conflicts: 0',
      'Conflicts resolved: 0',
      'Waiting for the commit lock: 0',
      `Last transaction: ${server.status('1').lastTransaction}`,
      '',
      '',
    ]);
    expect(await ask(address, 'status 1\n')).to.contain('Storage: 1\n');
    expect(await ask(address, 'status nope\n')).to.equal('InvalidArgumentError: no storage named "nope" (served: 1)\n');
  });

  it('listens on a Unix socket, replacing an existing socket file as zc.monitor does', async () => {
    const socketPath = `${await tempDir()}/monitor.sock`;
    const previous = net.createServer((socket) => socket.end('previous\n'));
    await new Promise<void>((resolve) => previous.listen(socketPath, resolve));
    try {
      const monitor = await MonitorServer.start({ family: 'unix', path: socketPath });
      monitors.push(monitor);
      expect(monitor.address).to.deep.equal({ family: 'unix', path: socketPath });
      expect(await ask(socketPath, 'quit\n')).to.equal('Goodbye.\n');
    } finally {
      previous.close();
    }
  });

  it('refuses a regular file where the socket should go', async () => {
    const file = `${await tempDir()}/not-a-socket`;
    await writeFile(file, 'data');
    const error = await MonitorServer.start({ family: 'unix', path: file }).catch((e: unknown) => e);
    expect((error as Error).name).to.equal('ListenError');
  });

  it('closes a connection whose line grows past the limit', async () => {
    const { address } = await start({ maxLineBytes: 16 });
    const session = await Session.open(address);
    const closed = once(session.socket, 'close');
    session.socket.write('x'.repeat(100));
    await closed;
  });
});
