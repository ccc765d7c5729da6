// Types of iotcore's `k6/x/mqtt` module (loadtest/k6/build/mqtt/mqtt.go), for `tsc -p loadtest/k6`.
declare module 'k6/x/mqtt' {
  export interface ClientOptions {
    /** mqtts://host:port (TLS) or mqtt://host:port */
    url: string;
    clientId: string;
    username?: string;
    password?: string;
    /** PEM of the CA that signed the server certificate; the host name is verified. Default: system roots. */
    ca?: string;
    keepaliveSeconds?: number;
    /** Default true. */
    cleanSession?: boolean;
    /** Per call, default 30 000. */
    timeoutMs?: number;
    /** Messages kept for receive(), default 1024; more arriving are counted by dropped(). */
    inboxSize?: number;
    /** Added to this client's mqtt_* samples. */
    tags?: Record<string, string>;
  }
  export interface Message {
    topic: string;
    payload: string;
    /** DUP flag: a QoS 1 redelivery. */
    duplicate: boolean;
  }
  export class Client {
    constructor(options: ClientOptions);
    /** Returns CONNACK's session-present flag; throws with the refusal (CONNACK code) or network error. */
    connect(): boolean;
    /** Returns the granted QoS; throws on SUBACK 0x80. */
    subscribe(filter: string, qos: 0 | 1): number;
    /** At QoS 1, waits for PUBACK. */
    publish(topic: string, qos: 0 | 1, payload: string): void;
    /** The next message, or null after timeoutMs; throws when the inbox is empty and the connection was lost. */
    receive(timeoutMs: number): Message | null;
    dropped(): number;
    connected(): boolean;
    /** DISCONNECT and close; a no-op when not connected. */
    close(): void;
  }
}
