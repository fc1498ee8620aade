import { expect } from 'chai';
import { ConfigValueError } from '../../src/config/errors.js';
import {
  formatSocketAddress,
  inetAddress,
  parseSocketAddress,
  socketAddress,
  socketBindingAddress,
  socketConnectionAddress,
  SocketAddressRole,
} from '../../src/config/socket-address.js';

describe('config/socket-address', () => {
  // The verified examples of zconfig-syntax.md §4.1: input, binding result, connection result.
  const table: Array<[string, [string, number | undefined], [string, number | undefined], 'ipv4' | 'ipv6']> = [
    ['8100', ['', 8100], ['127.0.0.1', 8100], 'ipv4'],
    [':8100', ['', 8100], ['127.0.0.1', 8100], 'ipv4'],
    ['127.0.0.1', ['127.0.0.1', undefined], ['127.0.0.1', undefined], 'ipv4'],
    ['127.0.0.1:8100', ['127.0.0.1', 8100], ['127.0.0.1', 8100], 'ipv4'],
    ['Zeo.Example.com:8100', ['zeo.example.com', 8100], ['zeo.example.com', 8100], 'ipv4'],
    ['[::1]:8100', ['::1', 8100], ['::1', 8100], 'ipv6'],
    ['::1', ['::1', undefined], ['::1', undefined], 'ipv6'],
    ['fe80::1:8100', ['fe80::1:8100', undefined], ['fe80::1:8100', undefined], 'ipv6'],
    ['host:', ['host', undefined], ['host', undefined], 'ipv4'],
    [':', ['', undefined], ['127.0.0.1', undefined], 'ipv4'],
    ['0', ['', 0], ['127.0.0.1', 0], 'ipv4'],
  ];

  for (const [input, [bindHost, bindPort], [connectHost, connectPort], family] of table) {
    it(`parses ${JSON.stringify(input)}`, () => {
      expect(socketBindingAddress(input)).to.deep.equal({ family, host: bindHost, port: bindPort });
      expect(socketConnectionAddress(input)).to.deep.equal({
        family: connectHost.includes(':') ? 'ipv6' : 'ipv4',
        host: connectHost,
        port: connectPort,
      });
      expect(socketAddress(input)).to.deep.equal({ family, host: bindHost, port: bindPort });
    });
  }

  it('treats anything with a slash as a Unix socket path, unchanged', () => {
    expect(socketBindingAddress('/tmp/zeo.sock')).to.deep.equal({ family: 'unix', path: '/tmp/zeo.sock' });
    expect(socketConnectionAddress('./Monitor.sock')).to.deep.equal({ family: 'unix', path: './Monitor.sock' });
    expect(socketAddress('databases/demo')).to.deep.equal({ family: 'unix', path: 'databases/demo' });
  });

  it('rejects bad ports and host names with whitespace', () => {
    const reasons = ['host:99999', 'host:http', '[::1]:-1', 'two words'].map((text) => {
      try {
        parseSocketAddress(text, SocketAddressRole.binding);
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigValueError);
        return (error as ConfigValueError).reason;
      }
      throw new Error(`accepted ${text}`);
    });
    expect(reasons).to.deep.equal([
      '99999 is above upper bound (65535)',
      "not a valid integer: 'http'",
      '-1 is below lower bound (0)',
      "not a valid host name: 'two words'",
    ]);
  });

  it('inet-address gives host and port only', () => {
    expect(inetAddress('Example.com:80')).to.deep.equal({ host: 'example.com', port: 80 });
  });

  it('formats addresses so that parsing them again gives the same address', () => {
    for (const text of ['127.0.0.1:8100', '[::1]:8100', '::1', 'host', ':8100', '/tmp/zeo.sock']) {
      const address = parseSocketAddress(text);
      expect(parseSocketAddress(formatSocketAddress(address))).to.deep.equal(address);
    }
    expect(formatSocketAddress({ family: 'ipv6', host: '::1', port: 8100 })).to.equal('[::1]:8100');
    expect(formatSocketAddress({ family: 'ipv4', host: '', port: 8100 })).to.equal(':8100');
  });
});
