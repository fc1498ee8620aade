import { expect } from 'chai';
import { PickleDecoder, decodePickle, decodeRecord } from '../../src/pickle/decode.js';
import { encodePickle } from '../../src/pickle/encode.js';

describe('pickle decoder: dicts referenced before they need a Map', () => {
  it('keeps a dict that contains itself under a non-string key ({1: <itself>}, as Python writes it)', () => {
    const bytes = Buffer.from('80037d71004b016800732e', 'hex');
    const value = decodePickle(bytes) as Map<unknown, unknown>;
    expect(value).to.be.instanceOf(Map);
    expect(value.get(1)).to.equal(value);
    expect(encodePickle(value).toString('hex')).to.equal(bytes.toString('hex'));
  });

  it('still decodes string-keyed self references as plain objects', () => {
    // {'a': <itself>}
    const value = decodePickle(Buffer.from('80037d710058010000006171016800732e', 'hex')) as Record<string, unknown>;
    expect(value).to.not.be.instanceOf(Map);
    expect(value.a).to.equal(value);
  });

  it('replays earlier pickles of a record so the shared memo stays right', () => {
    // Class pickle memoizes a tuple in slot 0; the state pickle is {1: <itself>, 2: <slot 0>}.
    const record = Buffer.concat([
      Buffer.from('80034b01857100', 'hex'), // (1,) put 0
      Buffer.from('2e', 'hex'),
      Buffer.from('80037d7101284b0268014b03680075', 'hex'), // {}: put 1; {2: <1>, 3: <0>}
      Buffer.from('2e', 'hex'),
    ]);
    const { classMeta, state } = decodeRecord(record);
    expect(classMeta).to.deep.equal([1]);
    const map = state as Map<unknown, unknown>;
    expect(map.get(2)).to.equal(map);
    expect(map.get(3)).to.deep.equal([1]);
    const decoder = new PickleDecoder(record);
    decoder.load();
    expect(decoder.load()).to.be.instanceOf(Map);
    expect(decoder.atEnd).to.equal(true);
  });
});
