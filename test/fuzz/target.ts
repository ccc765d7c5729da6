// A fuzz target: the inputs it feeds (a fast-check arbitrary) and the property every input must
// satisfy. Targets live in targets/, one file each; run-target.ts runs any of them.
import type fc from 'fast-check';

export interface FuzzTarget<Input = unknown> {
  name: string;
  /** What it feeds and checks, in one line (usage text, README). */
  summary: string;
  /** Builds what the property runs against (a broker, a store); pure targets build nothing. */
  start(): Promise<FuzzSession<Input>>;
}

export interface FuzzSession<Input> {
  inputs: fc.Arbitrary<Input>;
  /** Throws (an assertion error) when the property does not hold for `input`. */
  check(input: Input): void | Promise<void>;
  close(): Promise<void>;
}

/** The input type of an arbitrary. */
export type InputOf<A> = A extends fc.Arbitrary<infer T> ? T : never;

/** A target that needs no set-up: pure functions under test. */
export function pureSession<Input>(inputs: fc.Arbitrary<Input>, check: (input: Input) => void): Promise<FuzzSession<Input>> {
  return Promise.resolve({ inputs, check, close: () => Promise.resolve() });
}
