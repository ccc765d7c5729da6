// `iotcore mqtt publish|subscribe` (yc iot mqtt): a device/registry/broker client over TLS.
import { readFileSync } from 'node:fs';
import readline from 'node:readline';
import { Command, InvalidArgumentError, Option } from 'commander';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { askPassword, positiveInteger } from './arguments.js';

interface MqttFlags {
  cert?: string;
  key?: string;
  username?: string;
  password?: string;
  ca?: string;
  qos: 0 | 1;
  clientId: string;
}

export function mqttCommands(): Command {
  const group = new Command('mqtt').description('publish and subscribe as a device, registry or broker client');

  group.addCommand(
    connectionOptions(new Command('publish'))
      .description('publish messages')
      .requiredOption('-t, --topic <topic>', 'topic')
      .option('-m, --message <text>', 'message')
      .option('-f, --file <file>', 'send the contents of a file')
      .option('-l, --stdin', 'send each line of standard input as a message')
      .action(async (_options: unknown, command: Command) => {
        const flags = command.optsWithGlobals() as MqttFlags & { topic: string; message?: string; file?: string; stdin?: boolean };
        const client = await connect(command, flags);
        const qos = flags.qos;
        try {
          if (flags.stdin) {
            for await (const line of readline.createInterface({ input: process.stdin }))
              await client.publishAsync(flags.topic, line, { qos });
          } else {
            const payload = flags.file ? readFileSync(flags.file) : flags.message;
            if (payload === undefined) throw new Error('pass -m/--message, -f/--file or -l/--stdin');
            await client.publishAsync(flags.topic, payload, { qos });
          }
        } finally {
          await client.endAsync();
        }
      }),
  );

  group.addCommand(
    connectionOptions(new Command('subscribe'))
      .description('print messages until interrupted (or --count messages arrived)')
      .requiredOption('-t, --topic <topic>', 'topic filter')
      .option('--details', 'print topic, QoS and message ID with each message')
      .option('--count <n>', 'exit after this many messages', positiveInteger)
      .action(async (_options: unknown, command: Command) => {
        const flags = command.optsWithGlobals() as MqttFlags & { topic: string; details?: boolean; count?: number };
        const client = await connect(command, flags);
        const limit = flags.count ?? Infinity;
        let received = 0;
        let ending = false;
        const end = () => {
          ending = true;
          void client.endAsync().then(() => process.exit(0));
        };
        // Not reconnecting, so a connection the server closed (a takeover, a revoked credential)
        // ends the command, as a failure: a script waiting on it must not take that for --count reached.
        client.on('close', () => {
          if (ending) return;
          process.stderr.write('the server closed the connection\n');
          process.exitCode = 1;
        });
        client.on('message', (topic, payload, packet) => {
          process.stdout.write(
            flags.details
              ? `topic: ${topic}, qos: ${packet.qos}, message id: ${packet.messageId ?? '-'}, payload: ${payload.toString()}\n`
              : `${payload.toString()}\n`,
          );
          if (++received >= limit) end();
        });
        const [grant] = await client.subscribeAsync(flags.topic, { qos: flags.qos });
        if (!grant || grant.qos === 128) throw new Error(`subscription to "${flags.topic}" was refused`);
        process.stderr.write(`subscribed to ${flags.topic}\n`);
        process.once('SIGINT', end);
      }),
  );
  return group;
}

function connectionOptions(command: Command): Command {
  return command
    .option('--cert <file>', 'client certificate (PEM)')
    .option('--key <file>', 'client private key (PEM)')
    .option('-u, --username <id>', 'device, registry or broker ID')
    .option('-P, --password <password>', 'password (asked for when --username is given without it)')
    .addOption(new Option('--ca <file>', 'CA that signed the server certificate (all-in-one: DATA_DIR/tls/ca.pem)').env('IOTCORE_MQTT_CA'))
    .addOption(new Option('-q, --qos <qos>', '0|1, at-most-once|at-least-once').default(0).argParser(parseQos))
    .addOption(new Option('--client-id <id>', 'MQTT client ID').default('YCCmdLine'));
}

/** `--endpoint` names the MQTT server here when given on the command line; else IOTCORE_MQTT_ENDPOINT or localhost:8883. */
function mqttEndpoint(command: Command): string {
  const program = command.parent!.parent!;
  if (program.getOptionValueSource('endpoint') === 'cli') return program.opts().endpoint as string;
  return process.env.IOTCORE_MQTT_ENDPOINT ?? 'localhost:8883';
}

async function connect(command: Command, flags: MqttFlags): Promise<MqttClient> {
  const endpoint = mqttEndpoint(command);
  const separator = endpoint.lastIndexOf(':');
  const options: IClientOptions = {
    protocol: 'mqtts',
    host: endpoint.slice(0, separator),
    port: Number(endpoint.slice(separator + 1)),
    protocolVersion: 4,
    clientId: flags.clientId,
    clean: true,
    reconnectPeriod: 0,
    username: flags.username,
    // As yc: a username without --password asks for the password.
    password: flags.username !== undefined && flags.password === undefined ? await askPassword() : flags.password,
    ca: flags.ca ? readFileSync(flags.ca) : undefined,
    cert: flags.cert ? readFileSync(flags.cert) : undefined,
    key: flags.key ? readFileSync(flags.key) : undefined,
  };
  return mqtt.connectAsync(options);
}

function parseQos(value: string): 0 | 1 {
  if (value === '0' || value === 'at-most-once') return 0;
  if (value === '1' || value === 'at-least-once') return 1;
  throw new InvalidArgumentError('Expected 0|1 (at-most-once|at-least-once).');
}
