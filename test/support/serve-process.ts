// Runs `iotcore serve` (the all-in-one process) as a child, the way a user starts it: with its
// default TLS on the management API, which clients reach by trusting DATA_DIR/tls/ca.pem.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { localCaFile } from '../../services/common/tls-material.js';
import { freePort } from './ports.js';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../services/cli/main.js');

/**
 * Starts `iotcore serve` and resolves once its TLS MQTT listener is up. Its REST and ops HTTP
 * listeners get ports of their own (`extraArgs` may name others): on a port the system picked at
 * bind time, one of them once took the MQTT port a test had just freed by killing the server, and
 * the restart failed with EADDRINUSE.
 */
export async function startServer(dataDir: string, port: number, mqttPort: number, extraArgs: string[] = []): Promise<ChildProcess> {
  const [restPort, httpPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      CLI,
      'serve',
      '--data-dir',
      dataDir,
      '--api-listen',
      `127.0.0.1:${port}`,
      '--mqtt-listen',
      `127.0.0.1:${mqttPort}`,
      '--rest-listen',
      `127.0.0.1:${restPort}`,
      '--http-listen',
      `127.0.0.1:${httpPort}`,
      ...extraArgs,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, IOTCORE_LOG_LEVEL: 'info' },
    },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    // Killed when it is late: a server left running keeps its test file, and so npm test, from
    // ever ending. A minute, since a start took over 20 s on this 2-core machine under load.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('MQTT over TLS listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return child;
}

/** gRPC channel credentials that trust the local CA `iotcore serve` made in `dataDir`. */
export function apiChannel(dataDir: string): ChannelCredentials {
  return credentials.createSsl(readFileSync(localCaFile(dataDir)));
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
