import { expect } from 'chai';
import { TrackedChildren } from '../../src/zk/tracked-children.js';
import { WatchEventType, type WatchEvent } from '../../src/zk/types.js';

const created = (path: string): WatchEvent => ({ type: WatchEventType.CREATED, path });
const deleted = (path: string): WatchEvent => ({ type: WatchEventType.DELETED, path });

function synced(children: string[]): TrackedChildren {
  const tracked = new TrackedChildren('/svc');
  tracked.beginRead();
  expect(tracked.adopt(children)).to.equal(true);
  return tracked;
}

describe('TrackedChildren (a persistent ChildrenWatch\'s bookkeeping)', () => {
  it('follows direct children from events and ignores deeper nodes and other paths', () => {
    const tracked = synced(['a']);
    expect(tracked.apply(created('/svc/b'))).to.equal('changed');
    expect(tracked.apply(created('/svc/b/deeper'))).to.equal('none');
    expect(tracked.apply(created('/svcx'))).to.equal('none');
    expect(tracked.apply(created('/other/c'))).to.equal('none');
    expect(tracked.apply(created('/svc/b'))).to.equal('none'); // already there
    expect(tracked.apply(deleted('/svc/a'))).to.equal('changed');
    expect(tracked.snapshot()).to.deep.equal(['b']);
  });

  it('gives an unchanged key when the names come back to the last list handed out', () => {
    const tracked = synced(['a']);
    const first = tracked.snapshot();
    tracked.apply(created('/svc/x'));
    tracked.apply(deleted('/svc/x'));
    const second = tracked.snapshot();
    expect(second).to.deep.equal(['a']);
    expect(tracked.key(second)).to.equal(tracked.key(first));
    tracked.apply(deleted('/svc/a'));
    const third = tracked.snapshot();
    expect(tracked.key(third)).to.not.equal(tracked.key(first));
    expect(tracked.key(['a'])).to.equal(undefined); // not a snapshot
  });

  it('replays the events that arrived during a read on its answer, whichever side of the read they fell on', () => {
    const tracked = synced(['a']);
    tracked.snapshot();
    tracked.desync();
    tracked.beginRead();
    // Before the read (already in its answer) and after it (not in it).
    expect(tracked.apply(deleted('/svc/a'))).to.equal('none');
    expect(tracked.apply(created('/svc/b'))).to.equal('none');
    expect(tracked.apply(created('/svc/late'))).to.equal('none');
    expect(tracked.adopt(['b'])).to.equal(true);
    expect(tracked.inSync).to.equal(true);
    expect(tracked.snapshot().sort()).to.deep.equal(['b', 'late']);
  });

  it('an answer showing the same names as before keeps the key', () => {
    const tracked = synced(['a', 'b']);
    const before = tracked.snapshot();
    tracked.desync();
    expect(tracked.apply(created('/svc/c'))).to.equal('none'); // out of sync: ignored
    tracked.beginRead();
    tracked.adopt(['b', 'a']);
    expect(tracked.key(tracked.snapshot())).to.equal(tracked.key(before));
  });

  it('reports the node\'s own deletion, also when it came during a read', () => {
    const tracked = synced([]);
    expect(tracked.apply(deleted('/svc'))).to.equal('deleted');
    expect(tracked.inSync).to.equal(false);
    tracked.beginRead();
    tracked.apply(deleted('/svc'));
    expect(tracked.adopt([])).to.equal(false);
    expect(tracked.inSync).to.equal(false);
  });

  it('watches the root too', () => {
    const tracked = new TrackedChildren('/');
    tracked.beginRead();
    tracked.adopt([]);
    expect(tracked.apply(created('/top'))).to.equal('changed');
    expect(tracked.apply(created('/top/below'))).to.equal('none');
    expect(tracked.snapshot()).to.deep.equal(['top']);
  });
});
