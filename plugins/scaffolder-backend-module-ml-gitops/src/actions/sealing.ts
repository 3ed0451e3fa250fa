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

import { InputError, isError } from '@backstage/errors';
import crypto from 'node:crypto';
import yaml from 'yaml';

// Sealing as kubeseal does: the certificate's RSA key, the scope's OAEP label, hybrid encryption and the SealedSecret manifest.

/** How widely a SealedSecret may be unsealed (kubeseal's `--scope`). @public */
export type SealingScope = 'strict' | 'namespace-wide' | 'cluster-wide';

/** The RSA public key of a Sealed Secrets certificate (or public key) PEM. */
export function publicKeyFromPem(
  pem: string,
  now = new Date(),
): crypto.KeyObject {
  let key: crypto.KeyObject;
  try {
    if (pem.includes('BEGIN CERTIFICATE')) {
      const cert = new crypto.X509Certificate(pem);
      if (new Date(cert.validTo).getTime() < now.getTime()) {
        throw new InputError(
          `The Sealed Secrets certificate expired on ${new Date(
            cert.validTo,
          ).toISOString()}; fetch the controller's current one (kubeseal --fetch-cert)`,
        );
      }
      key = cert.publicKey;
    } else {
      key = crypto.createPublicKey(pem);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      `The Sealed Secrets certificate is not a PEM certificate or public key (${
        isError(error) ? error.message : String(error)
      }); pass the controller's cert.pem (kubeseal --fetch-cert)`,
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new InputError(
      `The Sealed Secrets certificate holds a ${key.asymmetricKeyType} key; Sealed Secrets uses RSA`,
    );
  }
  return key;
}

/** The OAEP label that binds a sealed value to its scope, as kubeseal sets it. */
export function sealingLabel(
  scope: SealingScope,
  namespace: string,
  name: string,
): Buffer {
  if (scope === 'cluster-wide') return Buffer.alloc(0);
  if (scope === 'namespace-wide') return Buffer.from(namespace);
  return Buffer.from(`${namespace}/${name}`);
}

/**
 * Sealed Secrets' hybrid encryption: a random AES-256-GCM session key
 * encrypts the value (zero nonce, used once); RSA-OAEP-SHA256 with the scope
 * label encrypts the session key. Layout: uint16 big-endian length of the RSA
 * ciphertext, the RSA ciphertext, then the AES-GCM ciphertext and tag.
 */
export function hybridEncrypt(
  key: crypto.KeyObject,
  plaintext: Buffer,
  label: Buffer,
): Buffer {
  const sessionKey = crypto.randomBytes(32);
  const rsa = crypto.publicEncrypt(
    {
      key,
      padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
      oaepLabel: label,
    },
    sessionKey,
  );
  const cipher = crypto.createCipheriv(
    'aes-256-gcm',
    sessionKey,
    Buffer.alloc(12),
  );
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(rsa.length);
  return Buffer.concat([length, rsa, sealed, cipher.getAuthTag()]);
}

function scopeAnnotations(scope: SealingScope): Record<string, string> {
  if (scope === 'namespace-wide') {
    return { 'sealedsecrets.bitnami.com/namespace-wide': 'true' };
  }
  if (scope === 'cluster-wide') {
    return { 'sealedsecrets.bitnami.com/cluster-wide': 'true' };
  }
  return {};
}

/** A SealedSecret manifest (bitnami.com/v1alpha1) for the given values. */
export function sealSecret(options: {
  key: crypto.KeyObject;
  name: string;
  namespace: string;
  scope: SealingScope;
  data: Record<string, string>;
  type?: string;
}): string {
  const label = sealingLabel(options.scope, options.namespace, options.name);
  const encryptedData = Object.fromEntries(
    Object.keys(options.data)
      .sort()
      .map(k => [
        k,
        hybridEncrypt(
          options.key,
          Buffer.from(options.data[k], 'utf8'),
          label,
        ).toString('base64'),
      ]),
  );
  const annotations = scopeAnnotations(options.scope);
  const metadata = {
    name: options.name,
    namespace: options.namespace,
    ...(Object.keys(annotations).length ? { annotations } : {}),
  };
  // The same metadata twice, written out twice: a YAML alias (&a1 … *a1)
  // would be refused by the pull request check, which takes no anchors.
  return yaml.stringify(
    {
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata,
      spec: {
        encryptedData,
        template: {
          metadata: { ...metadata },
          type: options.type ?? 'Opaque',
        },
      },
    },
    { aliasDuplicateObjects: false },
  );
}
