// The short-lived MQTT passwords the web console's live view connects with as a registry
// (ConsoleService.IssueLiveCredential). Like IAM tokens (iam-token.ts) they are an HMAC over what they
// stand for, so nothing is stored and every registry replica that shares --credential-cache-secret
// accepts them: the registry, the API principal that asked (re-read at every CONNECT, so revoking the
// token or losing the role refuses the next connect) and the expiry (the edge closes the connection
// then). The signed part is not secret and doubles as the session's credential ID, which lets a
// recheck (CheckSessions) verify the session again without the password.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'iotlv1.';
/** Credential IDs of live-view sessions start with this; password IDs and fingerprints never do. */
export const LIVE_CREDENTIAL_ID_PREFIX = 'live:';

export interface LiveCredential {
  registryId: string;
  /** The API principal's name (`token:<id>`, `service-account:<id>`, `bootstrap-admin`). */
  issuer: string;
  expiresAt: Date;
}

export function liveCredentialKey(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'iotcore live-view mqtt credential v1', 32));
}

export function isLiveCredentialShape(password: Buffer | string): boolean {
  return typeof password === 'string' ? password.startsWith(PREFIX) : password.subarray(0, PREFIX.length).toString('utf8') === PREFIX;
}

export function signLiveCredential(credential: LiveCredential, key: Buffer): string {
  const body = encodeBody(credential);
  return `${PREFIX}${body}.${mac(body, key)}`;
}

/** What the password stands for, or undefined when it is forged or malformed (expiry is the caller's to check). */
export function readLiveCredential(password: string, key: Buffer): { credential: LiveCredential; credentialId: string } | undefined {
  if (!password.startsWith(PREFIX)) return undefined;
  const [body, signature, extra] = password.slice(PREFIX.length).split('.');
  if (body === undefined || signature === undefined || extra !== undefined) return undefined;
  const expected = Buffer.from(mac(body, key));
  const presented = Buffer.from(signature);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
  const credential = decodeBody(body);
  return credential && { credential, credentialId: `${LIVE_CREDENTIAL_ID_PREFIX}${body}` };
}

/** The credential a live session's credential ID names (already verified at its CONNECT). */
export function liveCredentialOfId(credentialId: string): LiveCredential | undefined {
  return credentialId.startsWith(LIVE_CREDENTIAL_ID_PREFIX) ? decodeBody(credentialId.slice(LIVE_CREDENTIAL_ID_PREFIX.length)) : undefined;
}

function encodeBody(credential: LiveCredential): string {
  // `n`: a nonce, so two credentials issued in the same second are told apart in logs and sessions.
  const fields = {
    r: credential.registryId,
    i: credential.issuer,
    e: Math.floor(credential.expiresAt.getTime() / 1000),
    n: randomBytes(6).toString('base64url'),
  };
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

function decodeBody(body: string): LiveCredential | undefined {
  try {
    const { r, i, e } = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { r: unknown; i: unknown; e: unknown };
    if (typeof r !== 'string' || typeof i !== 'string' || typeof e !== 'number') return undefined;
    return { registryId: r, issuer: i, expiresAt: new Date(e * 1000) };
  } catch {
    return undefined;
  }
}

function mac(body: string, key: Buffer): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}
