// A real HTTP(S) endpoint for trigger tests: records every request (headers and JSON body) and
// answers as the test says — a status, or `hang` (never answers) or `close` (drops the connection).
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export type Answer = number | 'hang' | 'close';

export interface ReceivedRequest {
  at: number;
  headers: IncomingMessage['headers'];
  /** The exact body bytes, as signed. */
  raw: string;
  // biome-ignore lint/suspicious/noExplicitAny: the Yandex JSON, checked field by field by the tests
  body: any;
  answer: Answer;
}

export interface WebhookReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** How the next requests are answered (default 200); a function sees the request number (from 0). */
  answer: Answer | ((index: number, request: ReceivedRequest) => Answer);
  /** Milliseconds to wait before answering (a slow endpoint). */
  delayMs: number;
  /** Resolves once `predicate` holds for the requests so far. */
  until(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(tls?: { certPem: string; keyPem: string }): Promise<WebhookReceiver> {
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  const receiver: WebhookReceiver = {
    url: '',
    requests: [],
    answer: 200,
    delayMs: 0,
    until: (predicate, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(receiver.requests)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`webhook: condition not met within ${timeoutMs} ms (${receiver.requests.length} requests)`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const received: ReceivedRequest = { at: Date.now(), headers: request.headers, raw, body: safeJson(raw), answer: 200 };
      const answer = typeof receiver.answer === 'function' ? receiver.answer(receiver.requests.length, received) : receiver.answer;
      received.answer = answer;
      receiver.requests.push(received);
      const reply = () => {
        if (answer === 'close') request.socket.destroy();
        else if (answer !== 'hang') response.writeHead(answer, { 'content-type': 'text/plain' }).end(String(answer));
      };
      if (receiver.delayMs > 0) setTimeout(reply, receiver.delayMs);
      else reply();
      for (const waiter of [...waiters]) waiter();
    });
  };
  const server = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, handle) : createHttpServer(handle);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `${tls ? 'https' : 'http'}://localhost:${(server.address() as AddressInfo).port}/iot`;
  return receiver;
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
