/**
 * Keeps secrets out of messages: a URI's userinfo (`user:secret@`) and the query parameters
 * that carry credentials (presigned-URL signatures, tokens, passwords) are masked before a URI
 * goes into an error message, a log line or a stored `uri`. Pure string functions; they never
 * throw, and text without secrets comes back unchanged.
 */

/** Query parameters whose values are secrets (compared case-insensitively). */
const SECRET_PARAMS = new Set([
  'x-amz-signature', 'x-amz-credential', 'x-amz-security-token', 'token', 'secret', 'password', 'sig',
  'access_token', 'secret_key', 'signature', 'x-goog-signature', 'x-goog-credential',
]);

const MASK = '***';

/** `scheme://user:secret@host/p?X-Amz-Signature=…` → `scheme://***@host/p?X-Amz-Signature=***`. */
export function redactUri(uri: string): string {
  if (typeof uri !== 'string') return uri;
  let out = uri;
  // userinfo: up to the last "@" of the authority; or, for a secret with an unencoded "/" (AWS
  // secret keys often have one), `user:anything@` — masking too much beats leaking a secret.
  const authority = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/?#\s]*@/;
  const loose = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/?#@\s:]+:[^?#\s]*@/;
  const re = authority.test(out) ? authority : loose;
  out = out.replace(re, (_m, scheme: string) => `${scheme}${MASK}@`);
  out = out.replace(/([?&;])([^=&#\s]+)=([^&#\s]*)/g, (m, sep: string, name: string) => {
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      // keep the raw name
    }
    return SECRET_PARAMS.has(decoded.toLowerCase()) ? `${sep}${name}=${MASK}` : m;
  });
  return out;
}

/** Every URI found in free text, redacted as `redactUri` does. */
export function redactSecrets(text: string): string {
  if (typeof text !== 'string') return text;
  return text.replace(/\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'<>`]+/g, (uri) => redactUri(uri));
}
