import { expect } from 'vitest';

/** Runs `act`, expects it to throw an instance of `type`, and returns that error. */
export function thrown<E extends Error>(
  type: abstract new (...args: never[]) => E,
  act: () => unknown,
): E {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name}, but nothing was thrown`);
}
