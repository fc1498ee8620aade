// Plays one side (server or client) of a recorded ZEO conversation, so the
// other side can be a real implementation under test: the code under test
// sends its frames in, the replay checks each against the recording and
// hands back the frames the recorded side sent next.
import { encodeFrame } from '../../src/zeo/wire/frame-encoder.js';
import type { FixtureFrame, FrameDirection, WireFixture } from './wire-fixtures.js';

/** Which side the replay plays. */
export type ReplaySide = 'server' | 'client';

/** A frame the replayed side sends on a connection. */
export interface ReplayOutput {
  /** The connection number of the recording. */
  readonly conn: number;
  /** The recorded frame. */
  readonly frame: FixtureFrame;
  /** The bytes to write: length prefix and payload. */
  readonly bytes: Buffer;
}

/** Options of {@link ConversationReplay}. */
export interface ConversationReplayOptions {
  /** The side the replay plays; the code under test is the other one. */
  readonly play: ReplaySide;
  /** Only these connections (default: all of the recording). */
  readonly conns?: readonly number[];
  /**
   * Decides whether a payload from the code under test is acceptable where
   * the recording has `expected` (e.g. to allow another transaction
   * handle). Default: byte-for-byte equality.
   */
  readonly match?: (expected: FixtureFrame, actual: Buffer) => boolean;
}

/** The code under test sent something the recording does not have. */
export class ReplayMismatch extends Error {}

function directionOf(side: ReplaySide): FrameDirection {
  return side === 'server' ? 's2c' : 'c2s';
}

/**
 * A replay of one recording. Frames of the code under test are expected per
 * connection in recorded order (different connections may interleave
 * freely); a recorded frame of the replayed side is released once every
 * frame the code under test sent before it in the recording has arrived.
 */
export class ConversationReplay {
  readonly #fixture: WireFixture;
  readonly #outgoing: FrameDirection;
  readonly #match: (expected: FixtureFrame, actual: Buffer) => boolean;
  readonly #frames: FixtureFrame[];
  readonly #done: boolean[];

  constructor(fixture: WireFixture, options: ConversationReplayOptions) {
    this.#fixture = fixture;
    this.#outgoing = directionOf(options.play);
    this.#match = options.match ?? ((expected, actual) => expected.payload.equals(actual));
    const conns = options.conns;
    this.#frames = fixture.frames.filter((f) => conns === undefined || conns.includes(f.conn));
    this.#done = this.#frames.map(() => false);
  }

  /** The recording being replayed. */
  get fixture(): WireFixture {
    return this.#fixture;
  }

  /** Whether every recorded frame has been sent or received. */
  get finished(): boolean {
    return this.#done.every(Boolean);
  }

  /** The recorded frames the code under test has still to send, in order. */
  get awaited(): FixtureFrame[] {
    return this.#frames.filter((f, i) => !this.#done[i] && f.dir !== this.#outgoing);
  }

  /** Frames the replayed side sends before hearing anything (e.g. the server's handshake). */
  start(): ReplayOutput[] {
    return this.#release();
  }

  /**
   * Takes one payload (without length prefix) the code under test sent on
   * `conn`, checks it against the recording and returns what the replayed
   * side sends in consequence.
   * @throws ReplayMismatch if the payload is not the next one recorded.
   */
  receive(conn: number, payload: Buffer): ReplayOutput[] {
    const index = this.#frames.findIndex((f, i) => !this.#done[i] && f.conn === conn && f.dir !== this.#outgoing);
    if (index < 0) {
      throw new ReplayMismatch(`${this.#fixture.file}: conn ${conn} sent ${payload.toString('hex')}, but the recording has nothing more`);
    }
    const expected = this.#frames[index] as FixtureFrame;
    const blocked = this.#frames.findIndex((f, i) => i < index && !this.#done[i] && f.conn === conn);
    if (blocked >= 0) {
      const early = this.#frames[blocked] as FixtureFrame;
      throw new ReplayMismatch(`${this.#fixture.file}: conn ${conn} sent a frame before seq ${early.seq} was released`);
    }
    if (!this.#match(expected, payload)) {
      throw new ReplayMismatch(
        `${this.#fixture.file}: seq ${expected.seq} (conn ${conn}) expected ${expected.payload.toString('hex')}, got ${payload.toString('hex')}`,
      );
    }
    this.#done[index] = true;
    return this.#release();
  }

  /**
   * Who closed connection `conn` in the recording, from its
   * `[conn N] connection closed by …` step, if it says.
   */
  closedBy(conn: number): ReplaySide | undefined {
    const prefix = `[conn ${conn}] connection closed by `;
    const step = this.#fixture.steps.find((s) => s.text.startsWith(prefix));
    const who = step?.text.slice(prefix.length).trim();
    return who === 'server' || who === 'client' ? who : undefined;
  }

  #release(): ReplayOutput[] {
    const out: ReplayOutput[] = [];
    for (let i = 0; i < this.#frames.length; i++) {
      if (this.#done[i]) continue;
      const frame = this.#frames[i] as FixtureFrame;
      if (frame.dir !== this.#outgoing) break; // waits for the code under test
      this.#done[i] = true;
      out.push({ conn: frame.conn, frame, bytes: encodeFrame(frame.payload) });
    }
    return out;
  }
}
