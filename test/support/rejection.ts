// The error a promise rejects with; a promise that resolves fails the test.

/** Awaits `promise`, which must reject; returns what it rejected with. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
