// Every recorded conversation of shared/fixtures/zeo-wire replayed from the
// client side against our server (both recordings of each scenario: pickle
// and msgpack server mode). The database is rebuilt from the recording and
// the server's commits get the recorded tids, so replies must be
// byte-identical, except where we differ on purpose: get_info announces
// only the interfaces we implement (no undo, iteration, record_iternext),
// sizes are compared relative to the first size reported after each server
// start (the recorded file's first transactions had metadata the recording
// does not show), and the ruok status's start time.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StorageServer } from '../../src/server/storage-server.js';
import type { BoundAddress } from '../../src/server/listen.js';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import { FrameDecoder } from '../../src/zeo/wire/frame-decoder.js';
import type { Marshaller } from '../../src/zeo/wire/marshaller.js';
import { messageToTuple } from '../../src/zeo/wire/message.js';
import { MsgpackMarshaller } from '../../src/zeo/wire/msgpack-marshaller.js';
import { PickleMarshaller } from '../../src/zeo/wire/pickle-marshaller.js';
import { tuple, type ZeoValue } from '../../src/zeo/wire/values.js';
import { ConversationReplay, type ReplayOutput } from '../support-zeo/conversation-replay.js';
import {
  connectionEncodings,
  fromFixtureJson,
  isSpecialFrame,
  loadWireFixture,
  valueDifference,
  wireFixtureFiles,
  type FixtureFrame,
  type WireFixture,
} from '../support-zeo/wire-fixtures.js';
import { fixtureDatabase, withScriptedTids, writeOutside, type OutsideTransaction } from './fixture-database.js';
import { closed, openSocket } from './raw-client.js';

const OUR_INTERFACES = tuple(tuple('ZODB.interfaces', 'IStorage'), tuple('zope.interface', 'Interface'));

/** Received payloads of one connection, waited for in order. */
class Inbox {
  readonly #payloads: Buffer[] = [];
  #wake: (() => void) | undefined;
  constructor(readonly socket: net.Socket) {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      this.#payloads.push(...decoder.push(chunk));
      this.#wake?.();
    });
    socket.on('close', () => this.#wake?.());
    // A reset when the server drops the connection is a close like any other here.
    socket.on('error', () => undefined);
  }
  get leftover(): number {
    return this.#payloads.length;
  }
  async next(what: string): Promise<Buffer> {
    for (;;) {
      const payload = this.#payloads.shift();
      if (payload !== undefined) return payload;
      if (this.socket.closed) throw new Error(`connection closed while waiting for ${what}`);
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

function replaceMapEntries(map: ReadonlyMap<ZeoValue, ZeoValue>, changes: Record<string, ZeoValue>): Map<ZeoValue, ZeoValue> {
  return new Map([...map].map(([k, v]) => [k, typeof k === 'string' && k in changes ? (changes[k] as ZeoValue) : v]));
}

class Replayer {
  readonly #fixture: WireFixture;
  readonly #file: string;
  readonly #encodings: Map<number, 'pickle' | 'msgpack'>;
  readonly #outside: OutsideTransaction[];
  readonly #tids: Buffer[];
  readonly #inboxes = new Map<number, Inbox>();
  readonly #outputs: ReplayOutput[] = [];
  #server: StorageServer | undefined;
  #address: BoundAddress | undefined;
  #sizeOffset: number | undefined;
  difference = '';

  constructor(fixture: WireFixture, dir: string) {
    this.#fixture = fixture;
    this.#file = path.join(dir, 'Data.fs');
    this.#encodings = connectionEncodings(fixture);
    const db = fixtureDatabase(fixture);
    this.#outside = db.outside;
    this.#tids = db.serverTids;
  }

  async start(readOnly: boolean, upTo: Buffer | undefined): Promise<void> {
    const storage = await FileStorage.open(this.#file, { name: 'Data.fs' });
    while (this.#outside[0] !== undefined && (upTo === undefined || this.#outside[0].tid.compare(upTo) <= 0)) {
      await writeOutside(storage, this.#outside.shift() as OutsideTransaction);
    }
    this.#server = await StorageServer.create({
      storages: { '1': withScriptedTids(storage, this.#tids) },
      msgpack: this.#fixture.encoding === 'msgpack',
      readOnly,
    });
    this.#address = await this.#server.listen({ family: 'ipv4', host: '127.0.0.1', port: 0 });
    this.#sizeOffset = undefined;
  }

  async stop(): Promise<void> {
    await this.#server?.close();
    for (const inbox of this.#inboxes.values()) await closed(inbox.socket);
  }

  get server(): StorageServer {
    return this.#server as StorageServer;
  }

  async open(conn: number): Promise<Inbox> {
    let inbox = this.#inboxes.get(conn);
    if (inbox === undefined) {
      inbox = new Inbox(await openSocket(this.#address as BoundAddress));
      this.#inboxes.set(conn, inbox);
    }
    return inbox;
  }

  inbox(conn: number): Inbox {
    return this.#inboxes.get(conn) as Inbox;
  }

  marshaller(conn: number): Marshaller {
    return this.#encodings.get(conn) === 'msgpack' ? new MsgpackMarshaller() : new PickleMarshaller();
  }

  /** Our reply must equal the recorded one, up to the deliberate differences. */
  matches(expected: FixtureFrame, actual: Buffer): boolean {
    this.difference = '';
    const decoded = expected.decoded as { handshake?: string; json?: unknown };
    if (isSpecialFrame(expected)) {
      if (decoded.json === undefined) return expected.payload.equals(actual);
      const normalize = (text: string): string => text.replace(/"start": "[^"]*"/g, '"start": "<time>"');
      const ok = normalize(actual.toString('latin1')) === normalize(expected.payload.toString('latin1'));
      if (!ok) this.difference = `ruok: ${actual.toString('latin1')}`;
      return ok;
    }
    const marshaller = this.marshaller(expected.conn);
    const pickle = marshaller.encoding === 'pickle';
    const recorded = fromFixtureJson(pickle ? expected.typed : expected.decoded) as readonly ZeoValue[];
    const normalized = this.#normalize(recorded);
    const got = messageToTuple(marshaller.decode(actual), pickle);
    this.difference = valueDifference(got as ZeoValue, normalized, pickle) ?? '';
    if (this.difference !== '') return false;
    if (normalized === recorded && !expected.payload.equals(actual)) {
      this.difference = `same values but different bytes: ${actual.toString('hex')}`;
      return false;
    }
    return true;
  }

  #size(recorded: ZeoValue | undefined, actual: number): number {
    const size = recorded as number;
    return size + (this.#sizeOffset ??= actual - size);
  }

  /** The recorded message with our deliberate differences applied (the same object when there are none). */
  #normalize(recorded: readonly ZeoValue[]): ZeoValue {
    const [msgid, flag, name, args] = recorded;
    const storage = this.server.storage('1');
    if (name === '.reply' && flag === 0 && args instanceof Map && args.has('interfaces')) {
      const info = replaceMapEntries(args, {
        size: this.#size(args.get('size'), storage.getSize()),
        supportsUndo: false,
        supports_record_iternext: false,
        interfaces: OUR_INTERFACES,
      });
      return tuple(msgid as ZeoValue, flag as ZeoValue, name as ZeoValue, info);
    }
    if (name === 'info' && Array.isArray(args)) {
      const dict = args[0] as ReadonlyMap<ZeoValue, ZeoValue>;
      const info = replaceMapEntries(dict, { size: this.#size(dict.get('size'), storage.getSize()) });
      return tuple(msgid as ZeoValue, flag as ZeoValue, name as ZeoValue, tuple(info));
    }
    return recorded;
  }

  take(seq: number): ReplayOutput | undefined {
    const index = this.#outputs.findIndex((o) => o.frame.seq === seq);
    return index < 0 ? undefined : this.#outputs.splice(index, 1)[0];
  }

  release(outputs: ReplayOutput[]): void {
    this.#outputs.push(...outputs);
  }
}

function restartSteps(fixture: WireFixture): Map<number, { readOnly: boolean }> {
  const steps = new Map<number, { readOnly: boolean }>();
  for (const step of fixture.steps) {
    if (step.text.startsWith('[conn') || !/restart|server (process )?stopped/i.test(step.text)) continue;
    steps.set(step.before_frame, { readOnly: /read-only mode/.test(step.text) });
  }
  return steps;
}

/** The tid the first register of the run starting at `seq` returns (outside transactions up to it exist then). */
function registeredTid(fixture: WireFixture, seq: number): Buffer | undefined {
  const frame = fixture.frames.find((f) => f.seq >= seq && f.dir === 's2c' && Array.isArray(f.decoded) && (f.decoded as unknown[])[2] === '.reply');
  const result = frame === undefined ? undefined : fromFixtureJson((frame.decoded as unknown[])[3]);
  return result instanceof Uint8Array ? Buffer.from(result) : undefined;
}

async function replay(file: string): Promise<void> {
  const fixture = loadWireFixture(file);
  const dir = await mkdtemp(path.join(tmpdir(), 'zeo-replay-'));
  const replayer = new Replayer(fixture, dir);
  const conversation = new ConversationReplay(fixture, { play: 'client', match: (e, a) => replayer.matches(e, a) });
  const restarts = restartSteps(fixture);
  const lastFrameOf = new Map<number, number>();
  for (const frame of fixture.frames) lastFrameOf.set(frame.conn, frame.seq);
  try {
    await replayer.start(false, registeredTid(fixture, 0));
    replayer.release(conversation.start());
    for (const frame of fixture.frames) {
      const restart = restarts.get(frame.seq);
      if (restart !== undefined) {
        await replayer.stop();
        await replayer.start(restart.readOnly, registeredTid(fixture, frame.seq));
      }
      const inbox = await replayer.open(frame.conn);
      if (frame.dir === 's2c') {
        const payload = await inbox.next(`seq ${frame.seq}`);
        try {
          replayer.release(conversation.receive(frame.conn, payload));
        } catch (error) {
          throw new Error(`${file} seq ${frame.seq}: ${(error as Error).message}\n${replayer.difference}`, { cause: error });
        }
      } else {
        const output = replayer.take(frame.seq);
        if (output === undefined) throw new Error(`${file}: seq ${frame.seq} was not released by the replay`);
        inbox.socket.write(output.bytes);
      }
      if (lastFrameOf.get(frame.conn) === frame.seq) await finishConnection(fixture, conversation, replayer, frame.conn, restarts);
    }
    expect(conversation.finished, `${file}: every frame replayed`).to.equal(true);
  } finally {
    await replayer.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function finishConnection(
  fixture: WireFixture,
  conversation: ConversationReplay,
  replayer: Replayer,
  conn: number,
  restarts: Map<number, unknown>,
): Promise<void> {
  const inbox = replayer.inbox(conn);
  const who = conversation.closedBy(conn);
  const lastSeq = fixture.frames.filter((f) => f.conn === conn).at(-1)?.seq ?? 0;
  if (who === 'server') {
    // Closed by a restart that comes next, or by the server right away (bad handshake, invalid method, failed one-way call).
    if (restarts.has(lastSeq + 1)) return;
    await closed(inbox.socket);
    expect(inbox.leftover, `${fixture.file}: conn ${conn} got no reply before the server closed it`).to.equal(0);
    return;
  }
  const serverSawIt = new Promise<void>((resolve) => {
    const port = inbox.socket.localPort;
    const listener = (info: { remote: string }): void => {
      if (info.remote.endsWith(`:${port}`)) {
        replayer.server.off('connectionClosed', listener);
        resolve();
      }
    };
    replayer.server.on('connectionClosed', listener);
  });
  inbox.socket.end();
  await Promise.all([closed(inbox.socket), serverSawIt]);
  expect(inbox.leftover, `${fixture.file}: conn ${conn} got nothing unexpected`).to.equal(0);
}

describe('server: recorded conversations replayed against our server', () => {
  for (const file of wireFixtureFiles()) {
    it(`${file}: same replies`, async () => {
      await replay(file);
    });
  }
});
