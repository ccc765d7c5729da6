// `iotcore serve`: runs the services of this process's role until SIGINT/SIGTERM.
import { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { addServeOptions, resolveServeConfig, type ServeConfig } from '../common/config.js';
import { createLogger } from '../common/logging.js';
import { ensureAdminToken } from '../registry/admin-token.js';
import { openStore } from '../registry/store/open.js';
import { startRegistryApi } from '../registry/server.js';
import { readFile } from 'node:fs/promises';
import { startEdge } from '../edge/edge.js';
import { inProcessLink } from '../edge/registry-link/in-process.js';
import { ensureLocalTlsMaterial } from '../edge/transport/tls-material.js';

export function serveCommand(): Command {
  const command = new Command('serve').description('run the iotcore services (all-in-one by default)');
  addServeOptions(command);
  command.action(async (raw: Record<string, unknown>) => {
    await serve(resolveServeConfig(raw));
  });
  return command;
}

export async function serve(config: ServeConfig): Promise<void> {
  if (config.role !== 'all') {
    throw new Error(`--role ${config.role}: separate registry and edge processes are not available yet; run --role all`);
  }
  const logger = createLogger({ name: 'iotcore', level: config.logLevel });
  await mkdir(config.dataDir, { recursive: true });
  let adminTokens = config.adminTokens;
  if (adminTokens.length === 0) {
    const admin = await ensureAdminToken(config.dataDir);
    adminTokens = [admin.token];
    logger.info({ file: admin.file, created: admin.created }, `management API token is in ${admin.file}`);
  }
  const store = await openStore({ mongoUrl: config.mongoUrl, mongoDb: config.mongoDb, dataDir: config.dataDir });
  const api = await startRegistryApi({
    store,
    listen: config.apiListen,
    adminTokens,
    idPrefix: config.idPrefix,
    quotas: {
      registries_per_folder: config.quotaRegistriesPerFolder,
      devices_per_folder: config.quotaDevicesPerFolder,
      brokers_per_folder: config.quotaBrokersPerFolder,
    },
    tls: config.apiTlsCert && config.apiTlsKey ? { certFile: config.apiTlsCert, keyFile: config.apiTlsKey } : undefined,
    logger,
  });
  logger.info({ address: api.address, storage: config.mongoUrl ? 'mongodb' : 'embedded' }, `management API listening on ${api.address}`);

  const tls = await serverTls(config);
  if (tls.caFile) logger.info({ caFile: tls.caFile }, `MQTT clients should trust the CA in ${tls.caFile}`);
  const edge = await startEdge({
    link: inProcessLink(api.ctx, api.authenticator),
    logger,
    tls: { ...hostPort(config.mqttListen), cert: tls.cert, key: tls.key },
    tcp: config.mqttTcpListen ? hostPort(config.mqttTcpListen) : undefined,
    maxPacketBytes: config.maxMessageBytes,
  });
  api.attachDataPlane(edge.dataPlane);
  logger.info({ ports: edge.ports }, `MQTT over TLS listening on ${config.mqttListen}`);

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await edge.close();
    await api.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

async function serverTls(config: ServeConfig): Promise<{ cert: Buffer; key: Buffer; caFile?: string }> {
  if (config.tlsCert && config.tlsKey) return { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) };
  const files = await ensureLocalTlsMaterial(config.dataDir, config.tlsSans);
  return { cert: await readFile(files.certFile), key: await readFile(files.keyFile), caFile: files.caFile };
}

function hostPort(address: string): { host: string; port: number } {
  const separator = address.lastIndexOf(':');
  return { host: address.slice(0, separator).replace(/^\[|\]$/g, ''), port: Number(address.slice(separator + 1)) };
}
