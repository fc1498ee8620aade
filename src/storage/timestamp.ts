/**
 * ZODB timestamps: a tid is a UTC date and time packed into 8 bytes
 * (persistent's `TimeStamp`), and storages hand out strictly increasing
 * tids even when the clock goes backwards.
 */
import { InvalidArgumentError } from '../errors.js';
import { idRepr, type Tid } from './oid.js';

// The seconds field counts units of 60 / 2^32 s; the division is exact in
// binary floating point, so encoding matches the C implementation bit for bit.
const SECOND_UNIT = 60 / 0x1_0000_0000;
const MINUTES_PER_DAY = 1440;
const MINUTES_PER_MONTH = 31 * MINUTES_PER_DAY;
const MINUTES_PER_YEAR = 12 * MINUTES_PER_MONTH;
const BASE_YEAR = 1900;
const MS_PER_MINUTE = 60_000;

function isLeap(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function checkRange(name: string, value: number, low: number, high: number): void {
  if (!Number.isInteger(value) || value < low || value > high) {
    throw new InvalidArgumentError(`${name} must be an integer between ${low} and ${high}: ${value}`);
  }
}

/**
 * A ZODB timestamp: the tid of a transaction read as a UTC date and time.
 * The first 4 bytes count minutes since 1900-01-01 in a calendar of 31-day
 * months; the last 4 bytes are the fraction of the minute in units of
 * 60/2^32 seconds (see `zodb-formats.md` §2).
 */
export class TimeStamp {
  readonly #raw: Buffer;

  private constructor(raw: Buffer) {
    this.#raw = raw;
  }

  /** The timestamp stored in a tid (the bytes are copied). */
  static fromBytes(tid: Tid): TimeStamp {
    if (!Buffer.isBuffer(tid) || tid.length !== 8) {
      throw new InvalidArgumentError('a timestamp needs exactly 8 bytes');
    }
    return new TimeStamp(Buffer.from(tid));
  }

  /**
   * The timestamp of a UTC date and time, like Python's
   * `TimeStamp(year, month, day, hour, minute, second)`; `second` is a float
   * in [0, 60) whose fraction is truncated to the 60/2^32 s unit.
   */
  static fromParts(year: number, month: number, day: number, hour: number, minute: number, second: number): TimeStamp {
    if (!Number.isInteger(year) || year < BASE_YEAR) {
      throw new InvalidArgumentError(`year must be an integer not before ${BASE_YEAR}: ${year}`);
    }
    checkRange('month', month, 1, 12);
    checkRange('day', day, 1, daysInMonth(year, month));
    checkRange('hour', hour, 0, 23);
    checkRange('minute', minute, 0, 59);
    if (!(second >= 0 && second < 60)) {
      throw new InvalidArgumentError(`second must be in [0, 60): ${second}`);
    }
    const minutes = ((((year - BASE_YEAR) * 12 + (month - 1)) * 31 + (day - 1)) * 24 + hour) * 60 + minute;
    if (minutes > 0xffff_ffff) throw new InvalidArgumentError(`year too large for a timestamp: ${year}`);
    const raw = Buffer.allocUnsafe(8);
    raw.writeUInt32BE(minutes, 0);
    raw.writeUInt32BE(Math.floor(second / SECOND_UNIT), 4);
    return new TimeStamp(raw);
  }

  /** The timestamp of an instant given in milliseconds since the Unix epoch (fractions allowed). */
  static fromTime(epochMs: number): TimeStamp {
    if (!Number.isFinite(epochMs)) throw new InvalidArgumentError(`not a time: ${epochMs}`);
    const date = new Date(Math.floor(epochMs));
    const msInMinute = ((epochMs % MS_PER_MINUTE) + MS_PER_MINUTE) % MS_PER_MINUTE;
    return TimeStamp.fromParts(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      date.getUTCHours(),
      date.getUTCMinutes(),
      msInMinute / 1000,
    );
  }

  /** The timestamp of a `Date` (millisecond precision). */
  static fromDate(date: Date): TimeStamp {
    return TimeStamp.fromTime(date.getTime());
  }

  /** The 8 tid bytes (a fresh copy). */
  raw(): Tid {
    return Buffer.from(this.#raw);
  }

  #minutes(): number {
    return this.#raw.readUInt32BE(0);
  }

  /** The year, e.g. 2026. */
  year(): number {
    return Math.floor(this.#minutes() / MINUTES_PER_YEAR) + BASE_YEAR;
  }

  /** The month, 1–12. */
  month(): number {
    return Math.floor((this.#minutes() % MINUTES_PER_YEAR) / MINUTES_PER_MONTH) + 1;
  }

  /** The day of the month, 1–31. */
  day(): number {
    return Math.floor((this.#minutes() % MINUTES_PER_MONTH) / MINUTES_PER_DAY) + 1;
  }

  /** The hour, 0–23. */
  hour(): number {
    return Math.floor((this.#minutes() % MINUTES_PER_DAY) / 60);
  }

  /** The minute, 0–59. */
  minute(): number {
    return this.#minutes() % 60;
  }

  /** The seconds within the minute, a float in [0, 60). */
  second(): number {
    return this.#raw.readUInt32BE(4) * SECOND_UNIT;
  }

  /** Seconds since the Unix epoch, as Python's `timeTime()` (used for `history()` times). */
  timeTime(): number {
    const minuteOfDay = this.#minutes() % MINUTES_PER_DAY;
    return Date.UTC(this.year(), this.month() - 1, this.day(), 0, minuteOfDay) / 1000 + this.second();
  }

  /** The instant as a `Date` (millisecond precision). */
  toDate(): Date {
    return new Date(this.timeTime() * 1000);
  }

  /** `YYYY-MM-DD HH:MM:SS.ffffff`, as Python's `str(TimeStamp)`. */
  toString(): string {
    const two = (n: number): string => String(n).padStart(2, '0');
    const seconds = this.second().toFixed(6).padStart(9, '0');
    return `${String(this.year()).padStart(4, '0')}-${two(this.month())}-${two(this.day())} ${two(this.hour())}:${two(this.minute())}:${seconds}`;
  }

  /** Compares the raw bytes: negative, 0 or positive. */
  compare(other: TimeStamp): number {
    return Buffer.compare(this.#raw, other.#raw);
  }

  /**
   * This timestamp if it is later than `other`, otherwise the smallest
   * timestamp after `other`: one unit later, or the start of the next minute
   * (real calendar) when the seconds field is full.
   */
  laterThan(other: TimeStamp): TimeStamp {
    if (this.compare(other) > 0) return this;
    const next = Buffer.from(other.#raw);
    const fraction = next.readUInt32BE(4);
    if (fraction < 0xffff_ffff) {
      next.writeUInt32BE(fraction + 1, 4);
      return new TimeStamp(next);
    }
    // Carry into the minutes, as the C implementation does: a real
    // calendar here, not the 31-day months of the encoding.
    let year = other.year();
    let month = other.month();
    let day = other.day();
    let minuteOfDay = other.#minutes() % MINUTES_PER_DAY;
    if (minuteOfDay >= MINUTES_PER_DAY - 1) {
      minuteOfDay = 0;
      if (day === daysInMonth(year, month)) {
        day = 1;
        if (month === 12) {
          month = 1;
          year++;
        } else {
          month++;
        }
      } else {
        day++;
      }
    } else {
      minuteOfDay++;
    }
    return TimeStamp.fromParts(year, month, day, Math.floor(minuteOfDay / 60), minuteOfDay % 60, 0);
  }
}

/** ZODB's `readable_tid_repr`: `0x…` followed by the timestamp, for messages. */
export function readableTidRepr(tid: Tid): string {
  if (tid.length !== 8) return idRepr(tid);
  return `${idRepr(tid)} ${TimeStamp.fromBytes(tid).toString()}`;
}

/** The tid of an instant (milliseconds precision). */
export function tidFromDate(date: Date): Tid {
  return TimeStamp.fromDate(date).raw();
}

/** The instant a tid encodes. */
export function tidToDate(tid: Tid): Date {
  return TimeStamp.fromBytes(tid).toDate();
}

/** Options of a {@link TidClock}. */
export interface TidClockOptions {
  /**
   * Returns the current time in milliseconds since the Unix epoch.
   * @defaultValue `Date.now`
   */
  clock?: () => number;
  /** The last tid already used (a storage's last committed tid); none by default. */
  last?: Tid;
}

/**
 * Hands out the tids of new transactions: the clock's current timestamp, or
 * one unit after the previous tid when the clock has not moved on (or went
 * back), so tids strictly increase.
 */
export class TidClock {
  readonly #clock: () => number;
  #last: TimeStamp | undefined;

  /** Creates a clock; see {@link TidClockOptions}. */
  constructor(options: TidClockOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#last = options.last === undefined ? undefined : TimeStamp.fromBytes(options.last);
  }

  /** The next tid, strictly later than every tid this clock returned or observed. */
  next(): Tid {
    let ts = TimeStamp.fromTime(this.#clock());
    if (this.#last !== undefined) ts = ts.laterThan(this.#last);
    this.#last = ts;
    return ts.raw();
  }

  /** Records a tid chosen elsewhere (an explicit tid given to `tpcBegin`). */
  observe(tid: Tid): void {
    this.#last = TimeStamp.fromBytes(tid);
  }

  /** The last tid handed out or observed, if any. */
  get last(): Tid | undefined {
    return this.#last?.raw();
  }
}
