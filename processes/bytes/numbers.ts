// How the record stages read a number (`sum`): a number as it is; text (or
// bytes) as JavaScript's Number() reads it once the white space around it is
// trimmed (decimal with an optional exponent, 0x/0o/0b integers, Infinity).
// Empty text and anything else is not a number: an error that names the text,
// never a NaN that spreads silently into the result.

export class NotANumber extends Error {
  override name = 'NotANumber';
  constructor(readonly text: string) {
    const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
    super(`not a number: ${JSON.stringify(shown)}`);
  }
}

export function readNumber(x: unknown): number {
  if (typeof x === 'number') return x;
  const text = typeof x === 'string' ? x : x instanceof Uint8Array ? Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('utf8') : undefined;
  if (text === undefined) throw new NotANumber(typeof x === 'object' ? JSON.stringify(x) ?? String(x) : String(x));
  const n = Number(text);
  if (Number.isNaN(n) || text.trim() === '') throw new NotANumber(text);
  return n;
}
