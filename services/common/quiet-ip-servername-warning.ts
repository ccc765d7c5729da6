// grpc-js hands Node's TLS the target's host as the server name, an IP address too (the CLI's
// `--endpoint 10.0.0.5:50051`, an edge's `--registry-endpoint`), and Node then prints DEP0123:
// RFC 6066 allows no IP address as a server name (SNI). Nothing is wrong: the certificate is still
// checked against the address (its IP SANs), and our API needs no SNI. The user can do nothing
// about the message, so this drops exactly that warning; every other one is printed as before.
const IP_SERVERNAME = 'DEP0123';

const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;

process.emitWarning = ((...args: unknown[]) => {
  if (codeOf(args) !== IP_SERVERNAME) emitWarning(...args);
}) as typeof process.emitWarning;

/** The code of `emitWarning(warning, type, code)`, `emitWarning(warning, { code })` or of an Error warning. */
function codeOf([warning, typeOrOptions, code]: unknown[]): unknown {
  if (warning instanceof Error && 'code' in warning) return warning.code;
  if (typeof typeOrOptions === 'object' && typeOrOptions !== null) return (typeOrOptions as { code?: unknown }).code;
  return code;
}
