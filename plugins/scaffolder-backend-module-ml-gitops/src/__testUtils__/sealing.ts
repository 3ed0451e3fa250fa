import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'yaml';

/** A throw-away Sealed Secrets key pair: a self-signed certificate and its key. */
export function makeSealingKeys(): { certificate: string; privateKey: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-gitops-seal-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
        '-days',
        '30',
        '-subj',
        '/O=sealed-secret/CN=sealed-secret',
      ],
      { stdio: 'ignore' },
    );
    return {
      certificate: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
      privateKey: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What the Sealed Secrets controller does: decrypts one sealed value. */
export function unseal(
  privateKey: string,
  sealedBase64: string,
  label: string,
): string {
  const sealed = Buffer.from(sealedBase64, 'base64');
  const length = sealed.readUInt16BE(0);
  const sessionKey = crypto.privateDecrypt(
    {
      key: privateKey,
      padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
      oaepLabel: Buffer.from(label),
    },
    sealed.subarray(2, 2 + length),
  );
  const rest = sealed.subarray(2 + length);
  const decipher = crypto.createDecipheriv(
    'aes-256-gcm',
    sessionKey,
    Buffer.alloc(12),
  );
  decipher.setAuthTag(rest.subarray(rest.length - 16));
  return Buffer.concat([
    decipher.update(rest.subarray(0, rest.length - 16)),
    decipher.final(),
  ]).toString('utf8');
}

export function parseSealedSecret(text: string): any {
  return yaml.parse(text);
}
