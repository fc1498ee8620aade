import { expect } from 'chai';
import { ZkzeoError } from '../../src/errors.js';
import { ConfigError, ConfigIncludeError, ConfigSchemaError, ConfigSyntaxError, ConfigValueError } from '../../src/config/errors.js';

describe('config/errors', () => {
  it('prefixes the message with file and line and keeps the reason apart', () => {
    const error = new ConfigSchemaError("unknown key 'adress' in <zeo>", { file: 'server.conf', line: 7 });
    expect(error.message).to.equal("server.conf:7: unknown key 'adress' in <zeo>");
    expect(error.reason).to.equal("unknown key 'adress' in <zeo>");
    expect(error.location).to.deep.equal({ file: 'server.conf', line: 7 });
    expect(error.name).to.equal('ConfigSchemaError');
  });

  it('has no prefix without a location', () => {
    const error = new ConfigValueError("not a valid boolean value: 'maybe'");
    expect(error.message).to.equal("not a valid boolean value: 'maybe'");
    expect(error.location).to.equal(undefined);
  });

  it('gives each class a stable code under the common roots', () => {
    const errors = [
      new ConfigSyntaxError('x'),
      new ConfigIncludeError('x'),
      new ConfigSchemaError('x'),
      new ConfigValueError('x'),
    ];
    expect(errors.map((e) => e.code)).to.deep.equal(['CONFIG_SYNTAX', 'CONFIG_INCLUDE', 'CONFIG_SCHEMA', 'CONFIG_VALUE']);
    for (const error of errors) {
      expect(error).to.be.instanceOf(ConfigError);
      expect(error).to.be.instanceOf(ZkzeoError);
    }
  });
});
