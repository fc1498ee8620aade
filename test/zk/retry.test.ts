import { expect } from 'chai';
import sinon from 'sinon';
import { InvalidArgumentError } from '../../src/errors.js';
import { ConnectionLossError, NoNodeError, OperationTimeoutError, RetryFailedError, SessionExpiredError } from '../../src/zk/errors.js';
import { retry } from '../../src/zk/retry.js';

describe('retry', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
    sinon.stub(Math, 'random').returns(0.5); // no jitter: factor 1 + (0.5·2 − 1)·j = 1
  });
  afterEach(() => {
    clock.restore();
    sinon.restore();
  });

  function failing(errors: Error[], result = 'done'): sinon.SinonStub<[number], Promise<string>> {
    const operation = sinon.stub<[number], Promise<string>>();
    errors.forEach((error, i) => operation.onCall(i).rejects(error));
    operation.onCall(errors.length).resolves(result);
    return operation;
  }

  it('retries connection loss, timeouts and expiry with kazoo back-off', async () => {
    const operation = failing([new ConnectionLossError('/a'), new OperationTimeoutError('/a', 5), new SessionExpiredError()]);
    const done = retry(operation, { maxTries: 3, delayMs: 100, backoff: 2 });
    await clock.tickAsync(99);
    expect(operation.callCount).to.equal(1);
    await clock.tickAsync(1);
    expect(operation.callCount).to.equal(2);
    await clock.tickAsync(199);
    expect(operation.callCount).to.equal(2);
    await clock.tickAsync(1);
    expect(operation.callCount).to.equal(3);
    await clock.tickAsync(400);
    expect(await done).to.equal('done');
    expect(operation.callCount).to.equal(4);
    expect(operation.firstCall.args[0]).to.equal(1);
  });

  it('never retries logic errors', async () => {
    const operation = failing([new NoNodeError('/x')]);
    const error = await retry(operation, { maxTries: 5 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(NoNodeError);
    expect(operation.callCount).to.equal(1);
  });

  it('gives up after maxTries with RetryFailedError carrying the last error', async () => {
    const loss = new ConnectionLossError('/a');
    const operation = failing([loss, loss, loss]);
    const done = retry(operation, { maxTries: 1, delayMs: 10 }).catch((e: unknown) => e);
    await clock.tickAsync(1000);
    const error = await done;
    expect(error).to.be.instanceOf(RetryFailedError).with.property('message', 'Too many retry attempts');
    expect((error as Error).cause).to.equal(loss);
    expect(operation.callCount).to.equal(2);
  });

  it('respects maxDelayMs and the deadline', async () => {
    const operation = failing(Array.from({ length: 10 }, () => new ConnectionLossError()));
    const done = retry(operation, { maxTries: -1, delayMs: 100, backoff: 10, maxDelayMs: 150, deadlineMs: 400 }).catch(
      (e: unknown) => e,
    );
    await clock.tickAsync(100); // retry 1 after 100
    await clock.tickAsync(150); // retry 2 after min(1000, 150)
    expect(operation.callCount).to.equal(3);
    await clock.tickAsync(1000);
    const error = await done;
    expect(error).to.be.instanceOf(RetryFailedError).with.property('message', 'Exceeded retry deadline');
    expect(operation.callCount).to.equal(3);
  });

  it('does not retry expiry when ignoreExpire is false', async () => {
    const operation = failing([new SessionExpiredError()]);
    expect(await retry(operation, { ignoreExpire: false }).catch((e: unknown) => e)).to.be.instanceOf(SessionExpiredError);
  });

  it('stops on abort', async () => {
    const controller = new AbortController();
    const operation = failing(Array.from({ length: 10 }, () => new ConnectionLossError()));
    const done = retry(operation, { maxTries: -1, delayMs: 1000, signal: controller.signal }).catch((e: unknown) => e);
    await clock.tickAsync(10);
    controller.abort(new Error('stop now'));
    await clock.tickAsync(10);
    expect(((await done) as Error).message).to.include('stop now');
    expect(operation.callCount).to.equal(1);
  });

  it('rejects a malformed policy naming the field', async () => {
    for (const [policy, field] of [
      [{ delayMs: -1 }, 'delayMs'],
      [{ backoff: 0.5 }, 'backoff'],
      [{ maxJitter: 2 }, 'maxJitter'],
      [{ maxTries: 1.5 }, 'maxTries'],
    ] as const) {
      const error = await retry(async () => 1, policy).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(InvalidArgumentError).with.property('message').that.includes(field);
    }
  });
});
