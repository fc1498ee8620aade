import { expect } from 'chai';
import { POSKeyError } from '../../../src/zeo/errors.js';
import { FrameDecoder } from '../../../src/zeo/wire/frame-decoder.js';
import { encodeFrame } from '../../../src/zeo/wire/frame-encoder.js';
import { encodeHandshake, parseClientHandshake, parseServerHandshake } from '../../../src/zeo/wire/handshake.js';
import type { Marshaller } from '../../../src/zeo/wire/marshaller.js';
import { MsgpackMarshaller } from '../../../src/zeo/wire/msgpack-marshaller.js';
import { PickleMarshaller } from '../../../src/zeo/wire/pickle-marshaller.js';
import { RpcSession } from '../../../src/zeo/wire/rpc-session.js';
import { tuple, type ZeoValue } from '../../../src/zeo/wire/values.js';
import { ConversationReplay, ReplayMismatch, type ReplayOutput } from '../../support-zeo/conversation-replay.js';
import { loadWireFixture } from '../../support-zeo/wire-fixtures.js';

const hex = (value: ZeoValue | undefined): string => Buffer.from(value as Uint8Array).toString('hex');

/**
 * Our client side (handshake + RpcSession) against the recorded server of
 * connection 1 of a scenario: every frame we write must be the recorded
 * one, byte for byte, and the recorded replies drive our pending calls.
 */
function clientAgainstRecording(file: string, marshallerFor: (encoding: string) => Marshaller) {
  const replay = new ConversationReplay(loadWireFixture(file), { play: 'server', conns: [1] });
  const fromServer = new FrameDecoder();
  const toServer = new FrameDecoder();
  let session: RpcSession | undefined;
  const deliver = (outputs: ReplayOutput[]): void => {
    for (const output of outputs) {
      for (const payload of fromServer.push(output.bytes)) {
        if (session === undefined) {
          const announcement = parseServerHandshake(payload);
          session = new RpcSession({ marshaller: marshallerFor(announcement.encoding), writeFrame: send });
          send(encodeFrame(announcement.reply));
        } else {
          session.receive(payload);
        }
      }
    }
  };
  const send = (frame: Buffer): void => {
    for (const payload of toServer.push(frame)) deliver(replay.receive(1, payload));
  };
  deliver(replay.start());
  if (session === undefined) throw new Error('no handshake in the recording');
  return { replay, session };
}

const marshallerFor = (encoding: string): Marshaller => (encoding === 'msgpack' ? new MsgpackMarshaller() : new PickleMarshaller());

describe('zeo/wire conversation replay', () => {
  for (const encoding of ['msgpack', 'pickle']) {
    it(`drives RpcSession through the recorded e-poskeyerror conversation (${encoding})`, async () => {
      const { replay, session } = clientAgainstRecording(`e-poskeyerror.${encoding}.json`, marshallerFor);
      const lastTid = await session.call('register', ['1', 0]);
      const info = (await session.call('get_info')) as Map<ZeoValue, ZeoValue>;
      expect(info.get('name')).to.equal('Data.fs');

      const missing = Buffer.from('000000000000002a', 'hex');
      const maxTid = Buffer.from('7fffffffffffffff', 'hex');
      const load = session.call('loadBefore', [missing, maxTid], { msgid: tuple(missing, maxTid) });
      const error = await load.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(POSKeyError);
      expect(hex((error as POSKeyError).oid)).to.equal('000000000000002a');

      const root = Buffer.alloc(8);
      const revision = (await session.call('loadBefore', [root, lastTid], { msgid: tuple(root, lastTid) })) as readonly ZeoValue[];
      expect(revision).to.have.length(3);
      const start = revision[1] as Uint8Array;
      expect(hex(revision[2])).to.equal(hex(lastTid));
      expect(await session.call('loadBefore', [root, start], { msgid: tuple(root, start) })).to.equal(null);

      const serialError = await session.call('loadSerial', [missing, lastTid]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(serialError).to.be.instanceOf(POSKeyError);
      expect(replay.finished).to.equal(true);
    });
  }

  it('plays the server side of scenario h, including a handshake in the other encoding', () => {
    const replay = new ConversationReplay(loadWireFixture('h-handshake-variants.msgpack.json'), { play: 'server', conns: [1] });
    const [announcement] = replay.start();
    expect(announcement?.bytes.toString('hex')).to.equal('000000024d35');
    // The client answers Z5: the connection then speaks pickle.
    expect(parseClientHandshake(Buffer.from('Z5'))).to.include({ encoding: 'pickle' });
    expect(replay.receive(1, encodeHandshake('pickle'))).to.deep.equal([]);
    const pickle = new PickleMarshaller();
    const [reply] = replay.receive(1, pickle.encode({ kind: 'call', msgid: 1, method: 'register', args: ['1', false] }));
    const decoded = pickle.decode((reply as ReplayOutput).bytes.subarray(4));
    expect(decoded).to.include({ kind: 'reply', msgid: 1 });
    expect(replay.closedBy(3)).to.equal('server');
    expect(replay.closedBy(1)).to.equal('client');
  });

  it('reports a frame that differs from the recording', () => {
    const replay = new ConversationReplay(loadWireFixture('a-connect.msgpack.json'), { play: 'server' });
    replay.start();
    replay.receive(1, encodeHandshake('msgpack'));
    const wrong = new MsgpackMarshaller().encode({ kind: 'call', msgid: 1, method: 'register', args: ['1', true] });
    expect(() => replay.receive(1, wrong)).to.throw(ReplayMismatch, /seq 2 \(conn 1\) expected 9401c2a8/);
    expect(replay.awaited[0]?.seq).to.equal(2);
  });

  it('plays the client side, releasing frames only after the recorded server frames before them', () => {
    const replay = new ConversationReplay(loadWireFixture('c-invalidation.msgpack.json'), { play: 'client' });
    expect(replay.start()).to.deep.equal([]);
    // After the server's handshake the client sends its answer and register at once …
    expect(replay.receive(1, encodeHandshake('msgpack')).map((o) => o.frame.seq)).to.deep.equal([1, 2]);
    // … and get_info only once register's reply has come.
    const registerReply = Buffer.from('940100a62e7265706c79c408040d2914d3a6e8ee', 'hex');
    expect(replay.receive(1, registerReply).map((o) => o.frame.seq)).to.deep.equal([4]);
  });
});
