// Feedback while typing a password. The server's rule (services/registry/credentials/passwords.ts:
// at least 14 characters and 3 of the 4 character classes, Yandex's) decides; this repeats it so the
// form says why before the API does, and grades what passes by its rough entropy.
export const MIN_LENGTH = 14;
const CLASSES: ReadonlyArray<[RegExp, number]> = [
  [/[a-z]/, 26],
  [/[A-Z]/, 26],
  [/[0-9]/, 10],
  [/[^a-zA-Z0-9]/, 33],
];

export interface Strength {
  /** 0: the API refuses it; 1 … 3: accepted, weaker to stronger. */
  score: 0 | 1 | 2 | 3;
  label: string;
  hint: string;
}

export function passwordStrength(password: string): Strength {
  const used = CLASSES.filter(([pattern]) => pattern.test(password));
  if (password.length < MIN_LENGTH)
    return { score: 0, label: 'too short', hint: `at least ${MIN_LENGTH} characters (${password.length} now)` };
  if (used.length < 3) return { score: 0, label: 'refused', hint: 'use 3 of: lower-case, upper-case, digits, symbols' };
  // Bits of a password of this length drawn at random from the classes it uses; repeats count once.
  const alphabet = used.reduce((sum, [, size]) => sum + size, 0);
  const bits = Math.min(password.length, new Set(password).size * 2) * Math.log2(alphabet);
  if (bits < 80) return { score: 1, label: 'acceptable', hint: 'longer is better' };
  if (bits < 110) return { score: 2, label: 'good', hint: '' };
  return { score: 3, label: 'strong', hint: '' };
}
