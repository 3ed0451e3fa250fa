/*
 * Copyright 2026 The ML GitOps Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

import {
  constants,
  createCipheriv,
  generateKeyPairSync,
  KeyObject,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';

/*
 * Credentials for the secret scanner's tests, assembled at run time so that
 * this repository itself never contains a string that looks like a secret.
 */

/** A real (throwaway) RSA private key in PEM. */
export function privateKeyPem(): string {
  return String(
    generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs1',
      format: 'pem',
    }),
  );
}

/** A GitHub personal access token shape (ghp_ + 36 characters). */
export function githubToken(): string {
  return ['gh', 'p_', 'wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx'].join('');
}

/** A high-entropy random-looking value. */
export function randomSecret(): string {
  return ['Zq8', 'vT1x', 'Lm4P', 'e9Rk', 'W2bY', 'u7Hc'].join('');
}

/** base64 of a password, as in a Kubernetes Secret's data. */
export function base64Password(): string {
  return Buffer.from(['hun', 'ter2'].join('')).toString('base64');
}

let sealingKey: KeyObject | undefined;

/**
 * A value sealed the way kubeseal seals it (Sealed Secrets' hybrid
 * encryption, docs/developer/crypto.md of bitnami-labs/sealed-secrets): the
 * 2-byte length of the RSA-OAEP (SHA-256) encrypted 32-byte session key,
 * that key, then the AES-256-GCM ciphertext and tag, base64. The key pair is
 * a throwaway 2048-bit one.
 */
export function sealedValue(plaintext = 'not-a-real-secret'): string {
  sealingKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const sessionKey = randomBytes(32);
  const rsa = publicEncrypt(
    {
      key: sealingKey,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
    },
    sessionKey,
  );
  const cipher = createCipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(rsa.length);
  return Buffer.concat([length, rsa, body, cipher.getAuthTag()]).toString(
    'base64',
  );
}
