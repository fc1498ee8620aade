import { expect } from 'chai';
import { ProtocolError } from '../../../src/zeo/errors.js';
import { encodeHandshake, parseClientHandshake, parseServerHandshake } from '../../../src/zeo/wire/handshake.js';
import { isSpecialFrame, loadWireFixture, wireFixtureFiles, type FixtureFrame } from '../../support-zeo/wire-fixtures.js';

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

function handshakeFrames(): { file: string; frame: FixtureFrame; text: string }[] {
  return wireFixtureFiles().flatMap((file) =>
    loadWireFixture(file)
      .frames.filter((frame) => isSpecialFrame(frame) && typeof (frame.decoded as { handshake?: unknown }).handshake === 'string')
      .map((frame) => ({ file, frame, text: (frame.decoded as { handshake: string }).handshake })),
  );
}

describe('zeo/wire handshake', () => {
  it('writes Z5 and M5 as the reference server announces them', () => {
    expect(encodeHandshake('pickle').toString('hex')).to.equal('5a35');
    expect(encodeHandshake('msgpack').toString('hex')).to.equal('4d35');
  });

  it('answers every server announcement of the recordings by echoing it, as the reference client did', () => {
    let checked = 0;
    for (const file of wireFixtureFiles()) {
      const fixture = loadWireFixture(file);
      const frames = fixture.frames.filter((f) => isSpecialFrame(f) && 'handshake' in (f.decoded as object));
      for (const announcement of frames.filter((f) => f.dir === 's2c')) {
        const parsed = parseServerHandshake(announcement.payload);
        expect(parsed.encoding).to.equal(fixture.encoding);
        const answer = frames.find((f) => f.dir === 'c2s' && f.conn === announcement.conn);
        // The hand-driven client of scenario h answers differently on purpose.
        if (fixture.scenario !== 'h-handshake-variants') expect(parsed.reply.equals(answer?.payload as Buffer), file).to.equal(true);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(20);
  });

  it('reads every client answer of the recordings as the reference server did', () => {
    const answers = handshakeFrames().filter((h) => h.frame.dir === 'c2s');
    for (const { file, frame, text } of answers) {
      if (text === 'ruok') {
        expect(parseClientHandshake(frame.payload)).to.deep.equal({ kind: 'ruok' });
      } else if (text.slice(1) === '5') {
        const parsed = parseClientHandshake(frame.payload);
        expect(parsed, file).to.deep.equal({ kind: 'protocol', encoding: text[0] === 'M' ? 'msgpack' : 'pickle', received: text });
      } else {
        // Z4 / M4 in scenario h: the server said "bad handshake" and closed.
        expect(() => parseClientHandshake(frame.payload), `${file} ${text}`)
          .to.throw(ProtocolError)
          .with.property('code', 'ZEO_UNSUPPORTED_VERSION');
      }
    }
    expect(answers.map((a) => a.text)).to.include.members(['Z5', 'M5', 'ruok', 'Z4', 'M4']);
  });

  it('answers a newer server with version 5, as min(version, "5") does', () => {
    const parsed = parseServerHandshake(latin1('Z6'));
    expect(parsed.reply.toString('latin1')).to.equal('Z5');
    expect(parsed.announced).to.equal('Z6');
  });

  it('refuses older servers and unknown encodings', () => {
    for (const old of ['Z4', 'Z3101', 'M309', 'Z']) {
      expect(() => parseServerHandshake(latin1(old)), old).to.throw(ProtocolError).with.property('code', 'ZEO_UNSUPPORTED_VERSION');
    }
    expect(() => parseServerHandshake(latin1('X5'))).to.throw(ProtocolError, /encoding letter/).with.property('code', 'ZEO_BAD_HANDSHAKE');
  });

  it('lets the client choose the encoding on the server side', () => {
    expect(parseClientHandshake(latin1('M5'))).to.include({ kind: 'protocol', encoding: 'msgpack' });
    expect(parseClientHandshake(latin1('Z5'))).to.include({ kind: 'protocol', encoding: 'pickle' });
    expect(() => parseClientHandshake(latin1('Z6'))).to.throw(ProtocolError, /bad handshake "Z6"/);
    expect(() => parseClientHandshake(latin1('Q5'))).to.throw(ProtocolError).with.property('code', 'ZEO_BAD_HANDSHAKE');
    expect(() => parseClientHandshake(latin1('ruok!'))).to.throw(ProtocolError);
  });
});
