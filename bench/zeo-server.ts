// Throughput of the ZEO storage server, run as a child process through the
// zeo-server command (so clients and server do not share a core more than
// they must): one-object commits per second with 1, 4 and 8 clients, fsync
// on and off; loadBefore calls per second from pipelining clients that
// cache nothing; the open time of a FileStorage of 100,000 records; and
// start-up to listening.
// Run: npx tsx bench/zeo-server.ts
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StorageServer } from '../src/server/storage-server.js';
import { FileStorage } from '../src/storage/file-storage/file-storage.js';
import { p64, z64 } from '../src/storage/oid.js';
import type { TransactionMetaData } from '../src/storage/storage.js';
import { FrameDecoder } from '../src/zeo/wire/frame-decoder.js';
import { encodeFrame } from '../src/zeo/wire/frame-encoder.js';
import { encodeHandshake } from '../src/zeo/wire/handshake.js';
import { PickleMarshaller } from '../src/zeo/wire/pickle-marshaller.js';
import { RpcSession } from '../src/zeo/wire/rpc-session.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(repoRoot, 'src', 'cli', 'zeo-server.ts');
const RECORD = Buffer.from(
  '80036370657273697374656e742e6d617070696e670a50657273697374656e744d617070696e670a71002e80037d710158040000006461746171027d710358010000007871044b0073732e',
  'hex',
);
const MAX_TID = Buffer.from('7fffffffffffffff', 'hex');

interface Client {
  readonly rpc: RpcSession;
  readonly socket: net.Socket;
}

async function connect(port: number): Promise<Client> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  const decoder = new FrameDecoder();
  let rpc: RpcSession | undefined;
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (rpc === undefined) {
          rpc = new RpcSession({ marshaller: new PickleMarshaller(), writeFrame: (f) => socket.write(f), onCall: () => undefined });
          socket.write(encodeFrame(encodeHandshake('pickle')));
          resolve();
        } else {
          rpc.receive(frame);
        }
      }
    });
  });
  const client = { rpc: rpc as RpcSession, socket };
  await client.rpc.call('register', ['1', false]);
  return client;
}

function startServer(args: string[]): Promise<{ child: ChildProcess; port: number; startupMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on .*:(\d+)/.exec(out);
      if (match) resolve({ child, port: Number(match[1]), startupMs: performance.now() - started });
    });
    child.once('exit', (code) => reject(new Error(`zeo-server exited with ${code}`)));
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function commitsPerSecond(dir: string, clients: number, fsync: boolean, durationMs = 3000): Promise<number> {
  const file = path.join(dir, `commits-${clients}-${fsync}.fs`);
  const { child, port } = await startServer(['-a', '127.0.0.1:0', '-f', file, ...(fsync ? [] : ['--no-fsync'])]);
  const connections = await Promise.all(Array.from({ length: clients }, () => connect(port)));
  let commits = 0;
  const deadline = performance.now() + durationMs;
  await Promise.all(
    connections.map(async ({ rpc }, index) => {
      const [oid] = (await rpc.call('new_oids', [1])) as Buffer[];
      let serial = z64;
      const handle = 1000 + index;
      while (performance.now() < deadline) {
        rpc.callOneWay('tpc_begin', [handle, Buffer.alloc(0), Buffer.alloc(0), new Map()]);
        rpc.callOneWay('storea', [oid as Buffer, serial, RECORD, handle]);
        await rpc.call('vote', [handle]);
        serial = (await rpc.call('tpc_finish', [handle])) as Buffer;
        commits += 1;
      }
    }),
  );
  const rate = commits / (durationMs / 1000);
  for (const { socket } of connections) socket.destroy();
  await stopServer(child);
  return rate;
}

async function fillStorage(file: string, records: number, perTransaction: number): Promise<void> {
  const storage = await FileStorage.open(file, { create: true, fsync: false });
  for (let done = 0; done < records; done += perTransaction) {
    const txn: TransactionMetaData = { user: Buffer.alloc(0), description: Buffer.alloc(0), extension: Buffer.alloc(0) };
    await storage.tpcBegin(txn);
    for (let i = 0; i < perTransaction && done + i < records; i++) await storage.store(p64(done + i), z64, RECORD, txn);
    await storage.tpcVote(txn);
    await storage.tpcFinish(txn);
  }
  await storage.close();
}

async function loadsPerSecond(file: string, objects: number, clients: number, inFlight: number, durationMs = 3000): Promise<number> {
  const { child, port } = await startServer(['-a', '127.0.0.1:0', '-f', file]);
  const connections = await Promise.all(Array.from({ length: clients }, () => connect(port)));
  let loads = 0;
  const deadline = performance.now() + durationMs;
  await Promise.all(
    connections.map(async ({ rpc }, index) => {
      let next = index;
      const worker = async (): Promise<void> => {
        while (performance.now() < deadline) {
          const oid = p64(next % objects);
          next += clients;
          await rpc.call('loadBefore', [oid, MAX_TID]);
          loads += 1;
        }
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
    }),
  );
  const rate = loads / (durationMs / 1000);
  for (const { socket } of connections) socket.destroy();
  await stopServer(child);
  return rate;
}

function show(label: string, value: number, unit: string): void {
  console.log(`${label.padEnd(58)} ${Math.round(value).toLocaleString('en-US').padStart(10)} ${unit}`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'zeo-bench-'));
  try {
    const small = path.join(dir, 'small.fs');
    await fillStorage(small, 10, 10);
    const inProcess = performance.now();
    const storage = await FileStorage.open(small);
    const server = await StorageServer.create({ storages: { '1': storage } });
    await server.listen({ family: 'ipv4', host: '127.0.0.1', port: 0 });
    show('start-up to listening, in process (open + listen)', (performance.now() - inProcess) * 1000, 'µs');
    await server.close();
    const spawned = await startServer(['-a', '127.0.0.1:0', '-f', small]);
    show('start-up to listening, zeo-server child process (with tsx)', spawned.startupMs, 'ms');
    await stopServer(spawned.child);

    for (const fsync of [true, false]) {
      for (const clients of [1, 4, 8]) {
        show(`commits/s, one small object each, ${clients} client(s), fsync ${fsync ? 'on' : 'off'}`, await commitsPerSecond(dir, clients, fsync), '/s');
      }
    }

    const big = path.join(dir, 'big.fs');
    await fillStorage(big, 100_000, 1000);
    const openStart = performance.now();
    const opened = await FileStorage.open(big, { readOnly: true });
    show('open a FileStorage of 100,000 records', performance.now() - openStart, 'ms');
    await opened.close();

    for (const [clients, inFlight] of [[1, 64], [4, 64], [8, 32]] as const) {
      show(`loads/s, ${clients} pipelining client(s) x ${inFlight} in flight, no client cache`, await loadsPerSecond(big, 100_000, clients, inFlight), '/s');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
