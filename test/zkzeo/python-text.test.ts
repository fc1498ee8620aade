// Values printed as Python 3 prints them in zc.zkzeo's and ZEO's messages.
import { expect } from 'chai';
import net from 'node:net';
import { pythonFloatStr, pythonJsonDumps, pythonOsErrorStr, pythonStrListRepr, pythonStrRepr } from '../../src/zkzeo/python-text.js';

function connectError(options: net.NetConnectOpts): Promise<Error> {
  return new Promise((resolve) => {
    const socket = net.connect(options);
    socket.once('error', resolve);
    socket.once('connect', () => {
      socket.destroy();
      resolve(new Error('connected'));
    });
  });
}

describe('zkzeo: Python-style text', () => {
  it('writes str reprs with Python 3 quoting and escapes', () => {
    expect(pythonStrRepr('1')).to.equal("'1'");
    expect(pythonStrRepr("it's")).to.equal('"it\'s"');
    expect(pythonStrRepr('both \' and "')).to.equal("'both \\' and \"'");
    expect(pythonStrRepr('a\nb\t\\\u0001\u007f')).to.equal("'a\\nb\\t\\\\\\x01\\x7f'");
    expect(pythonStrRepr('café')).to.equal("'café'");
    expect(pythonStrListRepr([':54568', 'foo.com:1'])).to.equal("[':54568', 'foo.com:1']");
  });

  it('writes floats as str() does', () => {
    expect(pythonFloatStr(0)).to.equal('0.0');
    expect(pythonFloatStr(81.226297803)).to.equal('81.226297803');
    expect(pythonFloatStr(3)).to.equal('3.0');
    expect(pythonFloatStr(0.00001)).to.equal('1e-05');
    expect(pythonFloatStr(1e16)).to.equal('1e+16');
  });

  it("writes JSON as json.dumps does by default", () => {
    expect(pythonJsonDumps({ '1': { connections: 1, lock_time: null, start: 'é', t: 1.5 } })).to.equal(
      '{"1": {"connections": 1, "lock_time": null, "start": "\\u00e9", "t": 1.5}}',
    );
    expect(pythonJsonDumps({ t: 2, list: [true, false] }, new Set(['t']))).to.equal('{"t": 2.0, "list": [true, false]}');
  });

  it("describes connect failures as Python's OSError does", async () => {
    expect(pythonOsErrorStr(await connectError({ path: '/nonexistent/dir/sock' }))).to.equal('[Errno 2] No such file or directory');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    expect(pythonOsErrorStr(await connectError({ host: '127.0.0.1', port }))).to.equal('[Errno 111] Connection refused');
    expect(pythonOsErrorStr(Object.assign(new Error('x'), { code: 'EWEIRD', errno: -77 }))).to.equal('[Errno 77] EWEIRD');
    expect(pythonOsErrorStr(new Error('plain'))).to.equal('plain');
  });
});
