#!/usr/bin/env node
// The `iotcore` command: runs the command tree; usage errors exit 2, failures exit 1.
// First, before anything loads mqtt-packet (see the module).
import '../edge/aedes/quiet-packet-debug.js';
import '../common/quiet-ip-servername-warning.js';
import type { ServiceError } from '@grpc/grpc-js';
import { iotcoreProgram } from './program.js';
import { usageExitCode } from './usage-errors.js';

// A reader that goes away (`iotcore … | head`) ends the command quietly, as SIGPIPE ends a Unix
// tool, instead of crashing it with an unhandled EPIPE and a stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });

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
