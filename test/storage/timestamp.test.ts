import { expect } from 'chai';
import { InvalidArgumentError } from '../../src/errors.js';
import { z64 } from '../../src/storage/oid.js';
import { TidClock, TimeStamp, readableTidRepr, tidFromDate, tidToDate } from '../../src/storage/timestamp.js';
import { ManualClock, hex, loadSampleExpected } from './storage-test-support.js';

function ts(value: string): TimeStamp {
  return TimeStamp.fromBytes(hex(value));
}

describe('storage/timestamp', () => {
  it('encodes the worked examples of the format doc', () => {
    const stamp = TimeStamp.fromParts(2024, 1, 2, 3, 4, 5.5);
    expect(stamp.raw().toString('hex')).to.equal('03f5945817777777');
    expect(stamp.toString()).to.equal('2024-01-02 03:04:05.500000');
    expect(stamp.timeTime()).to.equal(1704164645.5);
    const other = ts('040d2912697fdfcc');
    expect(other.toString()).to.equal('2026-11-21 07:46:24.726447');
    expect(other.timeTime()).to.be.closeTo(1795247184.726447, 1e-6);
    expect(TimeStamp.fromBytes(z64).toString()).to.equal('1900-01-01 00:00:00.000000');
    expect(TimeStamp.fromBytes(z64).timeTime()).to.equal(-2208988800);
  });

  it('decodes every tid of sample.fs to the time ZODB recorded', async () => {
    const expected = await loadSampleExpected();
    for (const txn of expected.transactions) {
      const iso = txn.tid_time_utc.replace('T', ' ').replace('Z', '');
      expect(ts(txn.tid).toString()).to.equal(iso);
      const stamp = ts(txn.tid);
      expect([stamp.year(), stamp.month(), stamp.day(), stamp.hour(), stamp.minute()]).to.deep.equal([2026, 11, 21, 7, 51]);
    }
  });

  it('converts between tids and Dates', () => {
    const date = new Date(Date.UTC(2025, 5, 30, 23, 59, 58, 123));
    const tid = tidFromDate(date);
    expect(tidToDate(tid).getTime()).to.equal(date.getTime());
    expect(TimeStamp.fromTime(date.getTime() + 0.5).raw().compare(tid)).to.be.greaterThan(0);
    expect(readableTidRepr(hex('03f5945817777777'))).to.equal('0x03f5945817777777 2024-01-02 03:04:05.500000');
  });

  it('rejects impossible dates', () => {
    expect(() => TimeStamp.fromParts(1899, 1, 1, 0, 0, 0)).to.throw(InvalidArgumentError, /year/);
    expect(() => TimeStamp.fromParts(2023, 2, 29, 0, 0, 0)).to.throw(InvalidArgumentError, /day/);
    expect(() => TimeStamp.fromParts(2024, 13, 1, 0, 0, 0)).to.throw(InvalidArgumentError, /month/);
    expect(() => TimeStamp.fromParts(2024, 1, 1, 0, 0, 60)).to.throw(InvalidArgumentError, /second/);
    expect(() => TimeStamp.fromBytes(Buffer.alloc(4))).to.throw(InvalidArgumentError);
  });

  describe('laterThan', () => {
    it('keeps a later timestamp and otherwise moves one unit past the other', () => {
      const a = ts('03f5945817777777');
      const b = ts('03f5945817777778');
      expect(b.laterThan(a)).to.equal(b);
      expect(a.laterThan(b).raw().toString('hex')).to.equal('03f5945817777779');
      expect(a.laterThan(a).raw().toString('hex')).to.equal('03f5945817777778');
    });

    it('carries a full seconds field into the next minute on the real calendar', () => {
      const carry = (y: number, mo: number, d: number, h: number, mi: number): string => {
        const base = TimeStamp.fromParts(y, mo, d, h, mi, 0).raw();
        base.writeUInt32BE(0xffffffff, 4);
        return TimeStamp.fromParts(2000, 1, 1, 0, 0, 0).laterThan(TimeStamp.fromBytes(base)).toString();
      };
      expect(carry(2024, 3, 4, 10, 20)).to.equal('2024-03-04 10:21:00.000000');
      expect(carry(2024, 3, 4, 23, 59)).to.equal('2024-03-05 00:00:00.000000');
      expect(carry(2023, 2, 28, 23, 59)).to.equal('2023-03-01 00:00:00.000000');
      expect(carry(2024, 2, 28, 23, 59)).to.equal('2024-02-29 00:00:00.000000');
      expect(carry(2024, 12, 31, 23, 59)).to.equal('2025-01-01 00:00:00.000000');
    });
  });

  describe('TidClock', () => {
    it('follows the clock and stays strictly increasing when the clock goes back', () => {
      const clock = new ManualClock(Date.UTC(2024, 0, 2, 3, 4, 5, 500));
      const tids = new TidClock({ clock: clock.read });
      const first = tids.next();
      expect(first.toString('hex')).to.equal('03f5945817777777');
      const second = tids.next();
      expect(second.toString('hex')).to.equal('03f5945817777778');
      clock.now -= 3_600_000;
      const third = tids.next();
      expect(third.toString('hex')).to.equal('03f5945817777779');
      clock.now += 7_200_000;
      const fourth = tids.next();
      expect(TimeStamp.fromBytes(fourth).toString()).to.equal('2024-01-02 04:04:05.500000');
      expect(tids.last?.equals(fourth)).to.equal(true);
    });

    it('starts after the last tid it is given and after observed tids', () => {
      const clock = new ManualClock(Date.UTC(2020, 0, 1));
      const tids = new TidClock({ clock: clock.read, last: hex('03f5945817777777') });
      expect(tids.next().toString('hex')).to.equal('03f5945817777778');
      tids.observe(hex('03f5945900000000'));
      expect(tids.next().toString('hex')).to.equal('03f5945900000001');
    });
  });
});
