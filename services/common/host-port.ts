// A `host:port` setting (`--mqtt-listen`, `--rest-listen`, …) split for `listen()`: the port is
// after the last colon, so IPv6 hosts work, and their brackets go.
export function hostPort(address: string): { host: string; port: number } {
  const separator = address.lastIndexOf(':');
  return { host: address.slice(0, separator).replace(/^\[|\]$/g, ''), port: Number(address.slice(separator + 1)) };
}
