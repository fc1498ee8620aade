/** Helpers to assert on configuration errors: their class, file, line and message. */
import { expect } from 'chai';
import { ConfigError } from '../../src/config/errors.js';

type ErrorClass = abstract new (...args: never[]) => ConfigError;

/** Runs `action`, expects a ConfigError of `type` at `file:line` whose message contains `fragment`. */
export function expectConfigError(
  action: () => unknown,
  type: ErrorClass,
  file: string,
  line: number,
  fragment: string | RegExp,
): ConfigError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a ConfigError').to.be.instanceOf(type);
  const error = caught as ConfigError;
  expect(error.file).to.equal(file);
  expect(error.line).to.equal(line);
  expect(error.message.startsWith(`${file}:${line}: `), error.message).to.equal(true);
  if (typeof fragment === 'string') expect(error.message).to.contain(fragment);
  else expect(error.message).to.match(fragment);
  return error;
}

/** Like {@link expectConfigError} for a promise. */
export async function expectConfigRejection(
  promise: Promise<unknown>,
  type: ErrorClass,
  fragment: string | RegExp,
): Promise<ConfigError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a ConfigError').to.be.instanceOf(type);
  const error = caught as ConfigError;
  if (typeof fragment === 'string') expect(error.message).to.contain(fragment);
  else expect(error.message).to.match(fragment);
  return error;
}
