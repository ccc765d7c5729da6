// One POST of a batch to a trigger's endpoint: the status it answered, or why there was none.
// Redirects are not followed (a 3xx is an answer, and permanent: the URL is wrong). The answer's
// body is read and discarded. Connections are kept alive between batches.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';

export interface WebhookResult {
  /** The HTTP status; undefined when there was none. */
  status?: number;
  failure?: 'timeout' | 'connection';
}

export interface WebhookClient {
  post(url: string, body: string, headers: Record<string, string>): Promise<WebhookResult>;
  close(): void;
}

export function webhookClient(options: { timeoutMs: number; extraCa?: string }): WebhookClient {
  const http = new HttpAgent({ keepAlive: true });
  const https = new HttpsAgent({ keepAlive: true, ca: options.extraCa ? [...rootCertificates, options.extraCa] : undefined });
  return {
    post: (url, body, headers) =>
      new Promise<WebhookResult>((resolve) => {
        const secure = url.startsWith('https:');
        let settled = false;
        const settle = (result: WebhookResult) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(result);
        };
        const request = (secure ? httpsRequest : httpRequest)(url, {
          method: 'POST',
          agent: secure ? https : http,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        });
        // The whole exchange, not only an idle socket: a server that trickles must not hold a batch forever.
        const timer = setTimeout(() => {
          settle({ failure: 'timeout' });
          request.destroy();
        }, options.timeoutMs);
        request.on('response', (response) => {
          response.resume();
          response.on('end', () => settle({ status: response.statusCode }));
          response.on('error', () => settle({ status: response.statusCode }));
        });
        request.on('error', () => settle({ failure: 'connection' }));
        request.end(body);
      }),
    close: () => {
      http.destroy();
      https.destroy();
    },
  };
}
