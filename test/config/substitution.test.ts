import { expect } from 'chai';
import { ConfigSyntaxError } from '../../src/config/errors.js';
import { isSubstitutionName, substitute } from '../../src/config/substitution.js';

const defines = new Map([
  ['home', '/var/zeo'],
  ['port', '8100'],
  ['dollar', '$port'],
]);
const env = { LOGDIR: '/var/log', lower: 'x' };

function failure(text: string): string {
  try {
    substitute(text, defines, env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigSyntaxError);
    return (error as ConfigSyntaxError).reason;
  }
  throw new Error(`no error for ${text}`);
}

describe('config/substitution', () => {
  it('returns text without $ unchanged', () => {
    expect(substitute('plain text', defines, env)).to.equal('plain text');
  });

  it('replaces $name with the longest name and ${name} delimited, case-insensitively', () => {
    expect(substitute('$HOME/Data.fs', defines, env)).to.equal('/var/zeo/Data.fs');
    expect(substitute('${Port}0', defines, env)).to.equal('81000');
    expect(substitute('a$port.b', defines, env)).to.equal('a8100.b');
  });

  it('reads $(NAME) from the environment with the case preserved', () => {
    expect(substitute('$(LOGDIR)/zeo.log', defines, env)).to.equal('/var/log/zeo.log');
    expect(substitute('$(lower)', defines, env)).to.equal('x');
    expect(failure('$(logdir)')).to.equal("no replacement for 'logdir' (environment variable not set)");
  });

  it('turns $$ into $ and does not rescan replacements', () => {
    expect(substitute('cost $$5 $$$port', defines, env)).to.equal('cost $5 $8100');
    expect(substitute('$dollar', defines, env)).to.equal('$port');
  });

  it('reports every malformed reference', () => {
    expect(failure('x $')).to.equal("illegal lone '$' at end of source");
    expect(failure('$ x')).to.equal("'$' not followed by '$' or name");
    expect(failure('$1')).to.equal("'$' not followed by '$' or name");
    expect(failure('${}')).to.equal("'${' not followed by name");
    expect(failure('${port')).to.equal("'${port' not followed by '}'");
    expect(failure('$()')).to.equal("'$(' not followed by name");
    expect(failure('$(LOGDIR')).to.equal("'$(LOGDIR' not followed by ')'");
    expect(failure('$nope')).to.equal("no replacement for 'nope' (not %define'd before use)");
  });

  it('knows legal names', () => {
    expect(isSubstitutionName('_a9')).to.equal(true);
    expect(isSubstitutionName('a-b')).to.equal(false);
    expect(isSubstitutionName('9a')).to.equal(false);
    expect(isSubstitutionName('')).to.equal(false);
  });
});
