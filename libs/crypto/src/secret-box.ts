import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

export class SecretDecryptionError extends Error {
  constructor(reason: string) {
    super(`cannot decrypt secret: ${reason}`);
    this.name = 'SecretDecryptionError';
  }
}

/**
 * AES-256-GCM for secrets at rest (project secrets, webhook secrets). Ciphertext is
 * `v1:<iv>:<tag>:<data>` in base64, so a key or format change stays detectable.
 * `context` (e.g. the project id) is bound as associated data: a ciphertext copied to
 * another row does not decrypt.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: string) {
    this.key = parseKey(key);
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  decrypt(ciphertext: string, context: string): string {
    const [version, iv, tag, data] = ciphertext.split(':');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new SecretDecryptionError('unknown format');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      // GCM authentication failed: wrong key, wrong context or tampered data; never say which.
      throw new SecretDecryptionError('wrong key or tampered data');
    }
  }
}

/** 32 bytes given as 64 hex characters or base64. */
export function parseKey(key: string): Buffer {
  const bytes = /^[0-9a-fA-F]{64}$/.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64');
  if (bytes.length !== 32) throw new Error('KILN_SECRET_KEY must be 32 bytes (64 hex or 44 base64 characters)');
  return bytes;
}

export function generateKey(): string {
  return randomBytes(32).toString('hex');
}
