// Types of iotcore's `k6/x/mqtt` module (loadtest/k6/build/mqtt/mqtt.go).
declare module 'k6/x/mqtt' {
  export interface ClientOptions {
    /** mqtts://host:port (TLS) or mqtt://host:port */
    url: string;
    clientId: string;
    username?: string;
    password?: string;
    /** PEM of the CA that signed the server certificate. */
    ca?: string;
    keepaliveSeconds?: number;
    cleanSession?: boolean;
    /** Per call, default 30 000. */
    timeoutMs?: number;
    inboxSize?: number;
  }
  export interface Message {
    topic: string;
    payload: string;
  }
  export class Client {
    constructor(options: ClientOptions);
    /** Throws with the CONNACK refusal, if any. */
    connect(): void;
    /** Throws on SUBACK 0x80. */
    subscribe(filter: string, qos: 0 | 1): void;
    /** Waits for PUBACK at QoS 1. */
    publish(topic: string, qos: 0 | 1, payload: string): void;
    receive(timeoutMs: number): Message | null;
    dropped(): number;
    connected(): boolean;
    close(): void;
  }
}
