import { expect } from 'chai';
import { InvalidArgumentError } from '../../src/errors.js';
import { compareIds, idFromHex, idRepr, idToHex, maxTid, oidFromKey, oidKey, p64, u64, z64 } from '../../src/storage/oid.js';

describe('storage/oid', () => {
  it('packs and unpacks 64-bit big-endian ids', () => {
    expect(p64(1).toString('hex')).to.equal('0000000000000001');
    expect(p64(0x0102030405060708n).toString('hex')).to.equal('0102030405060708');
    expect(u64(p64((1n << 64n) - 1n))).to.equal((1n << 64n) - 1n);
    expect(() => p64(-1)).to.throw(InvalidArgumentError);
    expect(() => p64(1n << 64n)).to.throw(InvalidArgumentError);
    expect(() => p64(1.5)).to.throw(InvalidArgumentError);
    expect(() => u64(Buffer.alloc(7))).to.throw(InvalidArgumentError, /8-byte/);
  });

  it('has ZODB’s special values', () => {
    expect(z64.toString('hex')).to.equal('0000000000000000');
    expect(maxTid.toString('hex')).to.equal('7fffffffffffffff');
  });

  it('formats ids like oid_repr and parses hex', () => {
    expect(idRepr(z64)).to.equal('0x00');
    expect(idRepr(p64(1))).to.equal('0x01');
    expect(idRepr(p64(0x1234))).to.equal('0x1234');
    expect(idRepr(hex('040d2917932d9f11'))).to.equal('0x040d2917932d9f11');
    expect(idToHex(p64(255))).to.equal('00000000000000ff');
    expect(idFromHex('0x01').equals(p64(1))).to.equal(true);
    expect(idFromHex('040d2917932d9f11').toString('hex')).to.equal('040d2917932d9f11');
    expect(() => idFromHex('xyz')).to.throw(InvalidArgumentError);
    expect(() => idFromHex('1'.repeat(17))).to.throw(InvalidArgumentError);
  });

  it('compares ids as unsigned numbers', () => {
    expect(compareIds(p64(1), p64(2))).to.be.lessThan(0);
    expect(compareIds(p64(0x80n << 56n), p64(1))).to.be.greaterThan(0);
    expect(compareIds(p64(7), p64(7))).to.equal(0);
  });

  it('makes one stable map key per oid, numbers when they fit', () => {
    expect(oidKey(p64(5))).to.equal(5);
    expect(oidKey(p64(2 ** 53 - 1))).to.equal(2 ** 53 - 1);
    expect(oidKey(p64(2n ** 53n))).to.equal(2n ** 53n);
    expect(oidKey(p64((1n << 64n) - 1n))).to.equal((1n << 64n) - 1n);
    for (const value of [0n, 1n, 2n ** 40n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n]) {
      expect(u64(oidFromKey(oidKey(p64(value))))).to.equal(value);
    }
  });
});

function hex(value: string): Buffer {
  return Buffer.from(value, 'hex');
}
