// An uncaught exception or unhandled rejection would end the process and lose the input that
// caused it. While a target runs they are recorded instead, and the input running when one
// surfaces fails with it (fast-check then shrinks and reports it like any failure).
export interface CrashWatch {
  /** Throws the first crash recorded since the last call, if any. */
  rethrow(): void;
  stop(): void;
}

export function watchForCrashes(): CrashWatch {
  let crash: { kind: string; error: unknown } | undefined;
  const uncaught = (error: unknown) => {
    crash ??= { kind: 'uncaught exception', error };
  };
  const unhandled = (error: unknown) => {
    crash ??= { kind: 'unhandled rejection', error };
  };
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', unhandled);
  return {
    rethrow() {
      if (!crash) return;
      const { kind, error } = crash;
      crash = undefined;
      throw new Error(`${kind}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, { cause: error });
    },
    stop() {
      process.off('uncaughtException', uncaught);
      process.off('unhandledRejection', unhandled);
    },
  };
}
