/**
 * Empty (`___` in the notation the realm design comes from) is the value of
 * "nothing here": an unhandled signal resumes its sender with Empty, asserting
 * Empty retracts a proclamation, and a missing field reads as Empty. It is a
 * distinct symbol so that `undefined` and `null` stay ordinary values.
 */
export const Empty: unique symbol = Symbol.for('pushback.realm.Empty');
export type Empty = typeof Empty;

export function isEmpty(x: unknown): x is Empty {
  return x === Empty;
}
