// The certificates this process serves: the files it was given, else the server certificate of
// the local CA in DATA_DIR/tls, one for MQTT and the management API alike, valid for the names
// clients dial (localhost, 127.0.0.1, the host name, --tls-san, the API's listen and advertised
// hosts).
import { isIP } from 'node:net';
import type { ServeConfig } from '../common/config.js';
import { hostPort } from '../common/host-port.js';
import { ensureLocalTlsMaterial, type TlsFiles } from '../common/tls-material.js';

export async function localServerTls(config: ServeConfig): Promise<TlsFiles> {
  const apiHosts = [config.apiListen, config.apiAdvertise]
    .filter((address): address is string => Boolean(address))
    .map((address) => hostPort(address).host)
    .filter((host) => host !== '' && !(isIP(host) && /^(0\.0\.0\.0|::)$/.test(host)));
  return ensureLocalTlsMaterial(config.dataDir, [...config.tlsSans, ...apiHosts]);
}

/** The management API's certificate files, or undefined when it is served with --api-plaintext. */
export async function apiServerTls(config: ServeConfig): Promise<{ certFile: string; keyFile: string; caFile?: string } | undefined> {
  if (config.apiPlaintext) return undefined;
  if (config.apiTlsCert && config.apiTlsKey) return { certFile: config.apiTlsCert, keyFile: config.apiTlsKey };
  return localServerTls(config);
}
