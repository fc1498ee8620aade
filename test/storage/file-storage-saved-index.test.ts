// Data.fs.index: saved as Python ZODB saves it, read back to skip the scan
// of what it covers, and ignored (as Python does) when it does not fit.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { copyFile, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { CorruptFileError } from '../../src/storage/errors.js';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import { parseSavedIndex, saveIndex } from '../../src/storage/file-storage/saved-index.js';
import { maxTid, oidKey, p64, z64, type OidKey } from '../../src/storage/oid.js';
import { commit, loadSampleExpected, recordingLogger, rejects, sampleFsPath, useTempDir } from './storage-test-support.js';

const run = promisify(execFile);

// What Python's fsIndex.save writes for `index` (oid hex → position) covering `pos`.
const PYTHON_SAVE = `
import io, json, pickle, sys
pos, index = json.loads(sys.stdin.read())
prefixes = {}
for oid, at in sorted(index.items()):
    prefixes.setdefault(bytes.fromhex(oid)[:6], []).append((bytes.fromhex(oid)[6:], at))
out = io.BytesIO()
pickler = pickle.Pickler(out, 3)
pickler.fast = True
pickler.dump(pos)
for prefix, entries in sorted(prefixes.items()):
    pickler.dump((prefix, b''.join(s for s, _ in entries) + b''.join(at.to_bytes(6, 'big') for _, at in entries)))
pickler.dump(None)
sys.stdout.write(out.getvalue().hex())
`;

async function pythonSave(pos: number, index: Record<string, number>): Promise<Buffer> {
  const child = run('/usr/bin/python3', ['-c', PYTHON_SAVE]);
  child.child.stdin?.end(JSON.stringify([pos, index]));
  return Buffer.from((await child).stdout, 'hex');
}

describe('FileStorage: the saved index (Data.fs.index)', () => {
  const tempDir = useTempDir();
  let file: string;

  beforeEach(async () => {
    file = path.join(tempDir(), 'Data.fs');
    await copyFile(sampleFsPath, file);
  });

  it('is saved at open and at close byte for byte as Python ZODB saves it', async () => {
    const expected = await loadSampleExpected();
    // The newest record of each oid, from what Python ZODB recorded.
    const newest: Record<string, number> = {};
    for (const record of expected.records) newest[record.oid] = record.pos;
    const python = await pythonSave(expected.file_size, newest);
    const storage = await FileStorage.open(file);
    expect((await readFile(`${file}.index`)).equals(python)).to.equal(true);
    // A commit moves the end; close saves it again.
    const tid = await commit(storage, [[p64(1n), (await storage.load(p64(1n))).serial, Buffer.from('new')]]);
    await storage.close();
    const saved = parseSavedIndex(await readFile(`${file}.index`));
    expect(saved.pos).to.equal((await readFile(file)).length);
    const reopened = await FileStorage.open(file, { readOnly: true });
    try {
      expect((await reopened.load(p64(1n))).serial.equals(tid)).to.equal(true);
      expect(saved.index.get(1)).to.be.a('number');
    } finally {
      await reopened.close();
    }
  });

  it('spares the scan of what it covers: a damaged early transaction goes unread', async () => {
    const logger = recordingLogger();
    await (await FileStorage.open(file)).close();
    // A wrong redundant length after the first transaction: a scan refuses the file.
    const first = (await loadSampleExpected()).transactions[0];
    const handle = await open(file, 'r+');
    await handle.write(Buffer.alloc(8, 0xff), 0, 8, 4 + (first?.length ?? 0));
    await handle.close();
    const storage = await FileStorage.open(file, { logger });
    try {
      expect((await storage.loadBefore(p64(2n), maxTid))?.data.length).to.be.greaterThan(0);
      // The largest oid comes from the index too.
      expect((await storage.newOid()).toString('hex')).to.equal('0000000000000006');
      expect(logger.entries).to.deep.equal([]);
    } finally {
      await storage.close();
    }
    await writeFile(`${file}.index`, '');
    await rejects(FileStorage.open(file, { readOnly: true }), CorruptFileError);
  });

  it('covers what was written before it; later transactions are scanned', async () => {
    let storage = await FileStorage.open(file);
    await storage.close();
    const early = await readFile(`${file}.index`);
    storage = await FileStorage.open(file);
    const oid = await storage.newOid();
    const tid = await commit(storage, [[oid, z64, Buffer.from('after the index')]]);
    await storage.close();
    // As after a crash: the index on disk is older than the file.
    await writeFile(`${file}.index`, early);
    const logger = recordingLogger();
    storage = await FileStorage.open(file, { readOnly: true, logger });
    try {
      expect((await storage.load(oid)).data.toString()).to.equal('after the index');
      expect(storage.lastTransaction().equals(tid)).to.equal(true);
      expect(logger.entries).to.deep.equal([]);
    } finally {
      await storage.close();
    }
  });

  it("is ignored with Python's warning when it does not fit the file, or cannot be read", async () => {
    await (await FileStorage.open(file)).close();
    const good = await readFile(`${file}.index`);
    const wrongPosition = parseSavedIndex(good);
    // Positions one record off: the sanity check sees it.
    const shifted: Record<string, number> = {};
    for (const [key, pos] of wrongPosition.index) shifted[p64(BigInt(key)).toString('hex')] = pos + 1;
    const cases: Array<[string, Buffer, RegExp]> = [
      ['positions that do not match', await pythonSave(wrongPosition.pos, shifted), /^Ignoring index for /],
      ['a position past the end', await pythonSave(wrongPosition.pos + 1000, {}), /^Ignoring index for /],
      ['garbage', Buffer.from('not a pickle at all'), /^loading index .*Data\.fs\.index: /],
    ];
    for (const [what, bytes, message] of cases) {
      await writeFile(`${file}.index`, bytes);
      const logger = recordingLogger();
      const storage = await FileStorage.open(file, { logger });
      try {
        expect(logger.entries.map((e) => e.message), what).to.have.length(1);
        expect(logger.entries[0]?.message, what).to.match(message);
        expect((await storage.load(p64(1n))).data.length, what).to.be.greaterThan(0);
      } finally {
        await storage.close();
      }
      // The close saved a good one again.
      expect((await readFile(`${file}.index`)).equals(good), what).to.equal(true);
    }
  });

  it('writes and reads oids across prefixes, past 2^53 too, as Python does', async () => {
    const oids = [0n, 1n, 0xffffn, 0x10000n, 0x123456789abcn, (1n << 53n) + 5n, (1n << 64n) - 1n];
    const index = new Map<OidKey, number>(oids.map((oid, i) => [oidKey(p64(oid)), 1000 + i * 77]));
    const byHex = Object.fromEntries(oids.map((oid, i) => [p64(oid).toString('hex'), 1000 + i * 77]));
    const dataPath = path.join(tempDir(), 'Other.fs');
    await saveIndex(dataPath, 123_456_789_012, index);
    const bytes = await readFile(`${dataPath}.index`);
    expect(bytes.equals(await pythonSave(123_456_789_012, byHex))).to.equal(true);
    const back = parseSavedIndex(bytes);
    expect(back.pos).to.equal(123_456_789_012);
    expect([...back.index].sort()).to.deep.equal([...index].sort());
  });

  it('goes when the file is created anew, so it cannot outlive the records it names', async () => {
    await (await FileStorage.open(file)).close();
    expect((await readFile(`${file}.index`)).length).to.be.greaterThan(0);
    const storage = await FileStorage.open(file, { create: true });
    try {
      // Gone at once: a crash before the next close must not find it.
      expect(await readFile(`${file}.index`).catch(() => undefined)).to.equal(undefined);
    } finally {
      await storage.close();
    }
  });

  it('is not written for a file of empty transactions, which Python could not open with one', async () => {
    const empty = path.join(tempDir(), 'Empty.fs');
    const storage = await FileStorage.open(empty, { create: true });
    for (let i = 0; i < 4; i++) await commit(storage, []);
    await storage.close();
    expect((await readFile(empty)).length).to.be.at.least(100);
    expect(await readFile(`${empty}.index`).catch(() => undefined)).to.equal(undefined);
  });

  it('is not written by a read-only open', async () => {
    const storage = await FileStorage.open(file, { readOnly: true });
    await storage.close();
    expect(await readFile(`${file}.index`).catch(() => undefined)).to.equal(undefined);
  });
});
