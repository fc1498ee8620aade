import { expect } from 'chai';
import { InvalidArgumentError } from '../../../src/errors.js';
import { p64 } from '../../../src/storage/oid.js';
import { ClientStorage } from '../../../src/zeo/client/client-storage.js';
import { OidPool } from '../../../src/zeo/client/oid-pool.js';
import { DEFAULT_CACHE_SIZE, resolveClientOptions, type ClientStorageOptions } from '../../../src/zeo/client/options.js';
import { parseZeoAddress, parseZeoAddresses } from '../../../src/zeo/client/server-address.js';

describe('zeo/client options', () => {
  it('fills in the zeoclient defaults', () => {
    const o = resolveClientOptions({ addresses: ['localhost:8100'] });
    expect(o).to.include({
      storage: '1',
      cacheSize: DEFAULT_CACHE_SIZE,
      readOnly: false,
      readOnlyFallback: false,
      wait: true,
      waitTimeoutMs: 30_000,
      minDisconnectPollMs: 1000,
      maxDisconnectPollMs: 30_000,
      encoding: 'auto',
      name: 'localhost:8100',
    });
    expect(DEFAULT_CACHE_SIZE).to.equal(20971520);
  });

  const bad: [string, Partial<ClientStorageOptions>, RegExp][] = [
    ['a negative cacheSize', { cacheSize: -1 }, /cacheSize/],
    ['a fractional cacheSize', { cacheSize: 1.5 }, /cacheSize/],
    ['a negative waitTimeout', { waitTimeout: -2 }, /waitTimeout/],
    ['a NaN minDisconnectPoll', { minDisconnectPoll: Number.NaN }, /minDisconnectPoll/],
    ['a maxDisconnectPoll below the minimum', { minDisconnectPoll: 10, maxDisconnectPoll: 5 }, /maxDisconnectPoll must be at least minDisconnectPoll/],
    ['an unknown encoding', { encoding: 'json' as never }, /encoding/],
    ['a non-boolean readOnly', { readOnly: 'yes' as never }, /readOnly must be a boolean/],
    ['readOnly together with readOnlyFallback', { readOnly: true, readOnlyFallback: true }, /exclude each other/],
    ['an empty storage name', { storage: '' }, /storage/],
    ['a zero connectTimeout', { connectTimeout: 0 }, /connectTimeout/],
    ['a reconnectPolicy that is not a function', { reconnectPolicy: 5 as never }, /reconnectPolicy/],
    ['a bad port in an address', { addresses: ['localhost:99999'] }, /addresses\[0\].*port/],
  ];
  for (const [what, options, message] of bad) {
    it(`refuses ${what} in the constructor, naming the option`, () => {
      expect(() => new ClientStorage({ addresses: [], ...options })).to.throw(InvalidArgumentError, message);
    });
  }

  it('accepts waitTimeout Infinity (no limit) and values beyond a timer’s range, but no NaN', () => {
    expect(resolveClientOptions({ addresses: [], waitTimeout: Infinity }).waitTimeoutMs).to.equal(Infinity);
    expect(resolveClientOptions({ addresses: [], waitTimeout: 3_000_000 }).waitTimeoutMs).to.equal(3_000_000_000);
    expect(() => resolveClientOptions({ addresses: [], waitTimeout: Number.NaN })).to.throw(InvalidArgumentError, /waitTimeout .*or Infinity/);
    expect(() => resolveClientOptions({ addresses: [], connectTimeout: Infinity })).to.throw(InvalidArgumentError, /connectTimeout must be a finite/);
  });

  it('requires addresses (an empty list is fine)', () => {
    expect(() => resolveClientOptions({} as ClientStorageOptions)).to.throw(InvalidArgumentError, /addresses is required/);
    expect(resolveClientOptions({ addresses: [] }).addresses).to.deep.equal([]);
  });
});

describe('zeo/client server addresses', () => {
  it('parses host:port, [v6]:port, a bare port, socket paths and objects', () => {
    expect(parseZeoAddress('zeo.example:8100')).to.deep.equal({ kind: 'tcp', host: 'zeo.example', port: 8100, label: 'zeo.example:8100' });
    expect(parseZeoAddress('[::1]:8100')).to.deep.equal({ kind: 'tcp', host: '::1', port: 8100, label: '[::1]:8100' });
    expect(parseZeoAddress('8100').label).to.equal('127.0.0.1:8100');
    expect(parseZeoAddress(':8100').label).to.equal('127.0.0.1:8100');
    expect(parseZeoAddress('/run/zeo.sock')).to.deep.equal({ kind: 'unix', path: '/run/zeo.sock', label: '/run/zeo.sock' });
    expect(parseZeoAddress({ host: '', port: 1 }).label).to.equal('127.0.0.1:1');
    expect(parseZeoAddress({ path: './zeo.sock' }).kind).to.equal('unix');
  });

  it('refuses what is not an address, naming the entry', () => {
    expect(() => parseZeoAddress('host:port', 'x')).to.throw(InvalidArgumentError, /^x: "port" is not a port number/);
    expect(() => parseZeoAddress('::1:8100')).to.throw(InvalidArgumentError, /\[host\]:port/);
    expect(() => parseZeoAddress('')).to.throw(InvalidArgumentError, /empty/);
    expect(() => parseZeoAddresses(['a:1', 'b:0'], 'servers')).to.throw(InvalidArgumentError, /servers\[1\]/);
  });

  it('drops duplicates and keeps the order', () => {
    expect(parseZeoAddresses(['b:2', 'a:1', 'b:2'], 'x').map((a) => a.label)).to.deep.equal(['b:2', 'a:1']);
  });
});

describe('zeo/client OidPool', () => {
  /** A fake server allocating batches of `size` oids, counting requests. */
  function allocator(size: number) {
    let next = 1;
    const state = { requests: 0, fail: false };
    const fetch = async () => {
      state.requests++;
      if (state.fail) throw new Error('disconnected');
      return Array.from({ length: size }, () => p64(next++));
    };
    return { state, fetch };
  }

  it('hands out a batch lowest first and asks for the next one before running dry', async () => {
    const { state, fetch } = allocator(10);
    const pool = new OidPool({ fetch, lowWater: 3 });
    const first = await pool.takeMany(7);
    expect(first).to.deep.equal([1, 2, 3, 4, 5, 6, 7].map((n) => p64(n)));
    expect(state.requests).to.equal(1);
    await pool.take(); // leaves 2 < lowWater: prefetch starts
    expect(state.requests).to.equal(2);
    const rest = await pool.takeMany(5);
    expect(rest).to.deep.equal([9, 10, 11, 12, 13].map((n) => p64(n)));
    expect(state.requests).to.equal(2);
  });

  it('forgets its oids on clear and reports a failed fetch to the caller that needed it', async () => {
    const { state, fetch } = allocator(5);
    const pool = new OidPool({ fetch, lowWater: 0 });
    await pool.take();
    pool.clear();
    expect(pool.available).to.equal(0);
    state.fail = true;
    let error: unknown;
    await pool.take().catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('disconnected');
    state.fail = false;
    expect(await pool.take()).to.deep.equal(p64(6));
  });
});
