// The baseline: aedes as its README sets it up, with no authentication, no ACL and no topic
// rewriting, behind a TLS listener with the same certificate iotcore uses. With --redis-url and
// --mongo-url it is a stock aedes cluster node (mqemitter-redis, aedes-persistence-mongodb).
//   node dist/loadtest/bench/plain-aedes.js --port 8883 --cert c.pem --key k.pem [--redis-url U --mongo-url U]
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';
import mqemitterRedis from 'mqemitter-redis';
import mongoPersistence from 'aedes-persistence-mongodb';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'redis-url': { type: 'string' },
    'mongo-url': { type: 'string' },
  },
});
const broker = await Aedes.createBroker({
  mq: values['redis-url'] ? mqemitterRedis({ connectionString: values['redis-url'] }) : undefined,
  persistence: values['mongo-url'] ? mongoPersistence({ url: values['mongo-url'] }) : undefined,
});
const server = tls.createServer({ cert: readFileSync(values.cert!), key: readFileSync(values.key!) }, (socket) => broker.handle(socket));
server.listen(Number(values.port), '127.0.0.1', () => console.log(`plain aedes listening on ${values.port}`));
process.on('SIGTERM', () => broker.close(() => process.exit(0)));
