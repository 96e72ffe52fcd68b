import { createHash, randomBytes } from 'node:crypto';

/** A secret for a link or session: only its hash is stored, so a database leak grants nothing. */
export function newSecretToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
