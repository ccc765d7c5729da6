#!/usr/bin/env node
// The `iotcore` command: runs the command tree; usage errors exit 2, failures exit 1.
import type { ServiceError } from '@grpc/grpc-js';
import { iotcoreProgram } from './program.js';
import { usageExitCode } from './usage-errors.js';

iotcoreProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const usage = usageExitCode(error);
    if (usage !== undefined) process.exit(usage);
    const grpcError = error as Partial<ServiceError>;
    const message =
      grpcError.code !== undefined && grpcError.details ? `${grpcError.details} (gRPC status ${grpcError.code})` : (error as Error).message;
    process.stderr.write(`ERROR: ${message}\n`);
    process.exit(1);
  });
