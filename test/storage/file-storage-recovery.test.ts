// Damaged files: a cut-off or unfinished last transaction is repaired with a
// warning; any other damage is a CorruptFileError and the file stays as it was.
import { expect } from 'chai';
import { appendFile, copyFile, open, readFile, readdir, truncate } from 'node:fs/promises';
import path from 'node:path';
import { CorruptFileError, POSKeyError } from '../../src/storage/errors.js';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import { maxTid, p64 } from '../../src/storage/oid.js';
import {
  commit,
  hex,
  loadSampleExpected,
  recordingLogger,
  rejects,
  runChild,
  sampleFsPath,
  sha256,
  useTempDir,
  type SampleExpected,
} from './storage-test-support.js';

async function patch(file: string, offset: number, bytes: Buffer): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, offset);
  } finally {
    await handle.close();
  }
}

function u64Bytes(value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(value));
  return out;
}

describe('FileStorage recovery and corruption', () => {
  const tempDir = useTempDir();
  let expected: SampleExpected;
  let file: string;
  let original: Buffer;

  before(async () => {
    expected = await loadSampleExpected();
    original = await readFile(sampleFsPath);
  });

  beforeEach(async () => {
    file = path.join(tempDir(), 'Data.fs');
    await copyFile(sampleFsPath, file);
  });

  const lastTxn = (): SampleExpected['transactions'][number] => expected.transactions.at(-1) as SampleExpected['transactions'][number];
  const txn = (i: number): SampleExpected['transactions'][number] => expected.transactions[i] as SampleExpected['transactions'][number];

  async function expectRepairedAt(cut: number, savedTail: Buffer): Promise<void> {
    const logger = recordingLogger();
    const storage = await FileStorage.open(file, { logger });
    try {
      const warning = logger.entries.find((e) => e.level === 'warn' && e.message.includes(`truncated, possibly due to damaged records at ${cut}`));
      expect(warning, JSON.stringify(logger.entries)).to.not.equal(undefined);
      expect(warning?.fields.offset).to.equal(cut);
      expect(storage.getSize()).to.equal(cut);
      expect(storage.lastTransaction().toString('hex')).to.equal(txn(2).tid);
      // oid 2 was changed by the lost transaction: its earlier revision is current again.
      const settings = expected.records.filter((r) => r.oid === '0000000000000002');
      expect((await storage.load(p64(2))).data.toString('hex')).to.equal(settings[0]?.data_hex);
      await commit(storage, [[p64(2), hex(settings[0]?.tid ?? ''), Buffer.from('after repair')]]);
    } finally {
      await storage.close();
    }
    expect((await readFile(file)).subarray(0, cut).equals(original.subarray(0, cut))).to.equal(true);
    expect((await readFile(`${file}.tr0`)).equals(savedTail)).to.equal(true);
    const quiet = recordingLogger();
    const reopened = await FileStorage.open(file, { logger: quiet });
    expect((await reopened.load(p64(2))).data.toString()).to.equal('after repair');
    await reopened.close();
    expect(quiet.entries).to.deep.equal([]);
  }

  it('cuts off a last transaction whose data was cut off, keeping the bytes in .tr0', async () => {
    await truncate(file, expected.file_size - 10);
    await expectRepairedAt(lastTxn().pos, original.subarray(lastTxn().pos, expected.file_size - 10));
  });

  it('cuts off a last transaction whose header was cut off', async () => {
    await truncate(file, lastTxn().pos + 10);
    await expectRepairedAt(lastTxn().pos, original.subarray(lastTxn().pos, lastTxn().pos + 10));
  });

  it('cuts off a complete last transaction still marked unfinished (status "c")', async () => {
    await patch(file, lastTxn().pos + 16, Buffer.from('c'));
    const tail = Buffer.from(original.subarray(lastTxn().pos));
    tail[16] = 0x63;
    await expectRepairedAt(lastTxn().pos, tail);
  });

  it('cuts off zeros left at the end of the file by a crash', async () => {
    await appendFile(file, Buffer.alloc(100));
    const logger = recordingLogger();
    const storage = await FileStorage.open(file, { logger });
    await storage.close();
    expect(logger.entries.some((e) => e.level === 'warn' && e.fields.offset === expected.file_size)).to.equal(true);
    expect(await sha256(file)).to.equal(expected.file_sha256);
    expect((await readFile(`${file}.tr0`)).equals(Buffer.alloc(100))).to.equal(true);
  });

  it('recovers from a process that died between vote and finish', async () => {
    const child = await runChild(
      tempDir(),
      `const storage = await FileStorage.open(${JSON.stringify(file)});
       const txn = { user: Buffer.from('/ crash'), description: Buffer.from('never finished'), extension: Buffer.alloc(0) };
       await storage.tpcBegin(txn);
       await storage.store(Buffer.from('0000000000000002', 'hex'), Buffer.from(${JSON.stringify(lastTxn().tid)}, 'hex'), Buffer.from('lost'), txn);
       await storage.tpcVote(txn);
       console.log('voted');
       process.exit(0);`,
      'voted',
    );
    expect(await child.exited).to.equal(0);
    const logger = recordingLogger();
    const storage = await FileStorage.open(file, { logger });
    try {
      expect(logger.entries.some((e) => e.message.includes(`damaged records at ${expected.file_size}`))).to.equal(true);
      expect(storage.lastTransaction().toString('hex')).to.equal(lastTxn().tid);
      expect((await storage.load(p64(2))).data.toString()).to.not.equal('lost');
    } finally {
      await storage.close();
    }
    expect(await sha256(file)).to.equal(expected.file_sha256);
    const saved = await readFile(`${file}.tr0`);
    expect(saved.toString('latin1', 16, 17)).to.equal('c');
  });

  it('opened read-only, ignores an unfinished tail without touching the file', async () => {
    await truncate(file, expected.file_size - 10);
    const before = await sha256(file);
    const logger = recordingLogger();
    const storage = await FileStorage.open(file, { readOnly: true, logger });
    try {
      expect(storage.lastTransaction().toString('hex')).to.equal(txn(2).tid);
      expect(storage.getSize()).to.equal(lastTxn().pos);
      expect(logger.entries.some((e) => e.level === 'warn' && e.message.includes('ignoring it'))).to.equal(true);
    } finally {
      await storage.close();
    }
    expect(await sha256(file)).to.equal(before);
    expect(await readdir(tempDir())).to.deep.equal(['Data.fs']); // read-only: not even a lock file
  });

  it('reads a transaction with an invalid status byte as committed, warning with ZODB\'s words', async () => {
    const second = txn(1);
    await patch(file, second.pos + 16, Buffer.from('x'));
    const logger = recordingLogger();
    const storage = await FileStorage.open(file, { readOnly: true, logger });
    try {
      expect(logger.entries.map((e) => [e.level, e.message])).to.deep.equal([['warn', `${file} has invalid status, x, at ${second.pos}`]]);
      expect(storage.lastTransaction().toString('hex')).to.equal(lastTxn().tid);
      for (const oid of second.oids) expect((await storage.loadBefore(hex(oid), maxTid)) !== null).to.equal(true);
    } finally {
      await storage.close();
    }
  });

  describe('corruption before the last transaction', () => {
    const second = (): SampleExpected['transactions'][number] => txn(1);
    const cases: ReadonlyArray<{ name: string; offset: () => number; bytes: () => Buffer; reported: () => number; pattern: RegExp }> = [
      {
        name: 'a wrong redundant transaction length',
        offset: () => second().pos + second().length,
        bytes: () => u64Bytes(second().length + 1),
        reported: () => second().pos + second().length,
        pattern: /redundant transaction length/,
      },
      {
        name: 'an unfinished transaction followed by others',
        offset: () => second().pos + 16,
        bytes: () => Buffer.from('c'),
        reported: () => second().pos,
        pattern: /status "c"/,
      },
      {
        name: 'a transaction length past the end of the file',
        offset: () => second().pos + 8,
        bytes: () => u64Bytes(second().length + 100_000),
        reported: () => second().pos,
        pattern: /runs past the end/,
      },
      {
        name: 'a transaction length shorter than its header',
        offset: () => second().pos + 8,
        bytes: () => u64Bytes(5),
        reported: () => second().pos,
        pattern: /shorter than its header/,
      },
      {
        name: 'a data record naming another transaction',
        offset: () => (expected.records[1]?.pos ?? 0) + 24,
        bytes: () => u64Bytes(4),
        reported: () => expected.records[1]?.pos ?? 0,
        pattern: /names transaction 4/,
      },
      {
        name: 'a data record with a version',
        offset: () => (expected.records[1]?.pos ?? 0) + 32,
        bytes: () => Buffer.from([0, 3]),
        reported: () => expected.records[1]?.pos ?? 0,
        pattern: /version/,
      },
      { name: 'a bad magic', offset: () => 0, bytes: () => Buffer.from('XX30'), reported: () => 0, pattern: /bad magic/ },
      { name: 'a Python 2 file', offset: () => 0, bytes: () => Buffer.from('FS21'), reported: () => 0, pattern: /Python 2/ },
    ];

    for (const c of cases) {
      it(`${c.name}: CorruptFileError naming the offset, file unchanged`, async () => {
        await patch(file, c.offset(), c.bytes());
        const before = await sha256(file);
        for (const readOnly of [false, true]) {
          const error = await rejects(FileStorage.open(file, { readOnly }), CorruptFileError, c.pattern);
          expect(error.offset).to.equal(c.reported());
          expect(error.code).to.equal('STORAGE_CORRUPT_FILE');
          expect(error.message).to.contain(`at byte offset ${c.reported()}`);
          expect(error.path).to.equal(file);
        }
        expect(await sha256(file)).to.equal(before);
        // No .trN and no lock file left behind.
        expect((await readdir(tempDir())).sort()).to.deep.equal(['Data.fs', 'Data.fs.lock']);
      });
    }
  });

  describe('records with back pointers (as written by undo)', () => {
    const newTid = hex('040d29179330aaaa');
    let settingsFirst: SampleExpected['records'][number];
    let notePositions: number[];

    beforeEach(async () => {
      const settings = expected.records.filter((r) => r.oid === '0000000000000002');
      settingsFirst = settings[0] as SampleExpected['records'][number];
      notePositions = expected.records.filter((r) => r.oid === '0000000000000003').map((r) => r.pos);
      // One transaction: oid 2 points back at its first revision; oid 3 is deleted (back pointer 0).
      const pos = expected.file_size;
      const records = [
        { oid: p64(2), prev: settings.at(-1)?.pos ?? 0, back: settingsFirst.pos },
        { oid: p64(3), prev: notePositions.at(-1) ?? 0, back: 0 },
      ];
      const tlen = 23 + records.length * 50;
      const bytes = Buffer.alloc(tlen + 8);
      newTid.copy(bytes, 0);
      bytes.writeBigUInt64BE(BigInt(tlen), 8);
      bytes.write(' ', 16, 'latin1');
      let at = 23;
      for (const r of records) {
        r.oid.copy(bytes, at);
        newTid.copy(bytes, at + 8);
        bytes.writeBigUInt64BE(BigInt(r.prev), at + 16);
        bytes.writeBigUInt64BE(BigInt(pos), at + 24);
        bytes.writeBigUInt64BE(0n, at + 34);
        bytes.writeBigUInt64BE(BigInt(r.back), at + 42);
        at += 50;
      }
      bytes.writeBigUInt64BE(BigInt(tlen), at);
      await appendFile(file, bytes);
    });

    it('loads data through a back pointer, with the serial of the pointing record', async () => {
      const storage = await FileStorage.open(file, { readOnly: true });
      try {
        const loaded = await storage.load(p64(2));
        expect(loaded.data.toString('hex')).to.equal(settingsFirst.data_hex);
        expect(loaded.serial.equals(newTid)).to.equal(true);
        expect((await storage.loadSerial(p64(2), newTid)).toString('hex')).to.equal(settingsFirst.data_hex);
        expect((await storage.loadBefore(p64(2), maxTid))?.data.toString('hex')).to.equal(settingsFirst.data_hex);
        const [entry] = await storage.history(p64(2));
        expect(entry?.size).to.equal(0);
      } finally {
        await storage.close();
      }
    });

    it('treats a zero back pointer as a deleted object', async () => {
      const storage = await FileStorage.open(file, { readOnly: true });
      try {
        await rejects(storage.load(p64(3)), POSKeyError, /0x03/);
        await rejects(storage.getTid(p64(3)), POSKeyError);
        await rejects(storage.loadBefore(p64(3), maxTid), POSKeyError);
        const before = await storage.loadBefore(p64(3), newTid);
        expect(before?.nextSerial?.equals(newTid)).to.equal(true);
        expect(before?.serial.toString('hex')).to.equal(lastTxn().tid);
      } finally {
        await storage.close();
      }
    });

    it('reports a back pointer to another object’s record as corruption at load', async () => {
      await patch(file, expected.file_size + 23 + 42, u64Bytes(expected.records[0]?.pos ?? 0));
      const storage = await FileStorage.open(file, { readOnly: true });
      try {
        const error = await rejects(storage.load(p64(2)), CorruptFileError, /expected a record of oid 0x02, found oid 0x00/);
        expect(error.offset).to.equal(expected.records[0]?.pos);
      } finally {
        await storage.close();
      }
    });
  });
});
