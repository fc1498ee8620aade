import { expect } from 'chai';
import { InvalidArgumentError } from '../../../src/errors.js';
import { ProtocolError } from '../../../src/zeo/errors.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder } from '../../../src/zeo/wire/frame-decoder.js';
import { encodeFrame } from '../../../src/zeo/wire/frame-encoder.js';
import { loadWireFixture } from '../../support-zeo/wire-fixtures.js';

/** A stream of three frames of different sizes, taken from a real recording. */
function sampleStream(): { stream: Buffer; payloads: Buffer[] } {
  const fixture = loadWireFixture('b-first-commit.pickle.json');
  // handshake (2 bytes), register (30), get_info reply (424), new_oids reply (1023)
  const payloads = [0, 2, 5, 17].map((i) => (fixture.frames[i] as { payload: Buffer }).payload);
  return { stream: Buffer.concat(payloads.map(encodeFrame)), payloads };
}

function feed(decoder: FrameDecoder, chunks: Buffer[]): Buffer[] {
  return chunks.flatMap((chunk) => decoder.push(chunk));
}

function hexes(buffers: Buffer[]): string[] {
  return buffers.map((b) => b.toString('hex'));
}

describe('zeo/wire FrameDecoder', () => {
  it('returns every frame of one coalesced chunk as views of that chunk', () => {
    const { stream, payloads } = sampleStream();
    const frames = new FrameDecoder().push(stream);
    expect(hexes(frames)).to.deep.equal(hexes(payloads));
    for (const frame of frames) expect(frame.buffer).to.equal(stream.buffer);
  });

  it('gives the same frames whatever single point the stream is cut at', () => {
    const { stream, payloads } = sampleStream();
    const cuts = [1, 2, 3, 4, 5, 6, 7, stream.length >> 1, stream.length - 5, stream.length - 4, stream.length - 1];
    for (const cut of cuts) {
      const decoder = new FrameDecoder();
      const frames = feed(decoder, [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(hexes(frames), `cut at ${cut}`).to.deep.equal(hexes(payloads));
      expect(decoder.pendingBytes).to.equal(0);
    }
  });

  it('cuts the same bytes at front, middle and end of a frame', () => {
    const { stream, payloads } = sampleStream();
    // The 424-byte frame starts after 4+2 and 4+30 bytes; cut its prefix, its middle and its last byte.
    const start = 4 + 2 + 4 + 30;
    for (const cut of [start + 2, start + 4 + 212, start + 4 + 423]) {
      const frames = feed(new FrameDecoder(), [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(hexes(frames), `cut at ${cut}`).to.deep.equal(hexes(payloads));
    }
  });

  it('decodes the stream fed one byte at a time', () => {
    const { stream, payloads } = sampleStream();
    const decoder = new FrameDecoder();
    const frames: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) frames.push(...decoder.push(stream.subarray(i, i + 1)));
    expect(hexes(frames)).to.deep.equal(hexes(payloads));
    expect(decoder.pendingBytes).to.equal(0);
  });

  it('decodes the stream in uneven chunks and reports pending bytes in between', () => {
    const { stream, payloads } = sampleStream();
    const decoder = new FrameDecoder();
    const frames: Buffer[] = [];
    let offset = 0;
    for (const size of [3, 50, 7, 400, 1, 600]) {
      frames.push(...decoder.push(stream.subarray(offset, offset + size)));
      offset += size;
    }
    // Three frames (6 + 34 + 428 bytes with prefixes) are complete; the rest of the fourth is pending.
    expect(frames).to.have.length(3);
    expect(decoder.pendingBytes).to.equal(offset - (6 + 34 + 428));
    frames.push(...decoder.push(stream.subarray(offset)));
    expect(hexes(frames)).to.deep.equal(hexes(payloads));
  });

  it('does not let a straddling frame alias the chunk buffers it was assembled from', () => {
    const frame = encodeFrame(Buffer.from('abcdefgh'));
    const first = Buffer.from(frame.subarray(0, 7));
    const second = Buffer.from(frame.subarray(7));
    const decoder = new FrameDecoder();
    expect(decoder.push(first)).to.deep.equal([]);
    const [payload] = decoder.push(second);
    first.fill(0);
    second.fill(0);
    expect(payload?.toString()).to.equal('abcdefgh');
  });

  it('rejects a length above the maximum before buffering it, and stays failed', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
    const header = Buffer.from([0x00, 0x00, 0x04, 0x01]);
    let caught: unknown;
    try {
      decoder.push(header);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ProtocolError);
    expect((caught as ProtocolError).code).to.equal('ZEO_FRAME_TOO_LARGE');
    expect((caught as ProtocolError).message).to.contain('1025').and.contain('1024');
    expect(() => decoder.push(Buffer.from([1, 2, 3]))).to.throw(ProtocolError).with.property('code', 'ZEO_FRAME_TOO_LARGE');
  });

  it('rejects a garbage length prefix (an HTTP request is not a ZEO stream)', () => {
    const decoder = new FrameDecoder();
    expect(() => decoder.push(Buffer.from('GET / HTTP/1.1\r\n'))).to.throw(ProtocolError).with.property('code', 'ZEO_FRAME_TOO_LARGE');
  });

  it('rejects a too-long length even when it arrives split across chunks', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 10 });
    expect(decoder.push(Buffer.from([0x00, 0x00]))).to.deep.equal([]);
    expect(() => decoder.push(Buffer.from([0x00, 0x0b, 0x41]))).to.throw(ProtocolError).with.property('code', 'ZEO_FRAME_TOO_LARGE');
  });

  it('rejects an empty frame, which ZEO never sends', () => {
    expect(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 0]))).to.throw(ProtocolError).with.property('code', 'ZEO_BAD_FRAME_LENGTH');
  });

  it('accepts a frame of exactly the maximum size', () => {
    const payload = Buffer.alloc(16, 7);
    const [frame] = new FrameDecoder({ maxFrameBytes: 16 }).push(encodeFrame(payload));
    expect(frame?.equals(payload)).to.equal(true);
  });

  it('reports a stream that ends inside a frame', () => {
    const decoder = new FrameDecoder();
    decoder.push(encodeFrame(Buffer.from('hello')).subarray(0, 6));
    expect(() => decoder.end()).to.throw(ProtocolError, /2 of 5 payload bytes/).with.property('code', 'ZEO_TRUNCATED_FRAME');
    const clean = new FrameDecoder();
    clean.push(encodeFrame(Buffer.from('hello')));
    expect(() => clean.end()).not.to.throw();
  });

  it('checks its option', () => {
    expect(new FrameDecoder().maxFrameBytes).to.equal(DEFAULT_MAX_FRAME_BYTES);
    for (const bad of [0, -1, 1.5, 2 ** 32]) {
      expect(() => new FrameDecoder({ maxFrameBytes: bad }), String(bad)).to.throw(InvalidArgumentError, /maxFrameBytes/);
    }
  });

  it('decodes many frames straddling many chunks with linear work', () => {
    // 200 frames of 1000 bytes in 333-byte chunks: every frame straddles.
    const payloads = Array.from({ length: 200 }, (_, i) => Buffer.alloc(1000, i));
    const stream = Buffer.concat(payloads.map(encodeFrame));
    const decoder = new FrameDecoder();
    const frames: Buffer[] = [];
    for (let offset = 0; offset < stream.length; offset += 333) frames.push(...decoder.push(stream.subarray(offset, offset + 333)));
    expect(frames).to.have.length(200);
    frames.forEach((frame, i) => expect(frame.equals(payloads[i] as Buffer), `frame ${i}`).to.equal(true));
  });
});
