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

import crypto from 'node:crypto';
import { Sandbox, SANDBOX_CREDENTIALS, startSandbox } from '../sandbox';
import { selfSignedCertificate } from './SealedSecretsController';

jest.setTimeout(120_000);

let sandbox: Sandbox;
const bearer = {
  authorization: `Bearer ${SANDBOX_CREDENTIALS.kubernetes.token}`,
};

beforeAll(async () => {
  sandbox = await startSandbox({
    ports: { git: 0, argocd: 0, kubernetes: 0, mlflow: 0, admin: 0 },
    log: () => {},
  });
});

afterAll(async () => {
  await sandbox?.stop();
});

const kube = (path: string, init: RequestInit = {}) =>
  fetch(`${sandbox.urls.kubernetes}${path}`, {
    ...init,
    headers: { ...bearer, ...(init.headers as Record<string, string>) },
  });

/** A SealedSecret whose one value is RSA-OAEP + AES-GCM sealed to `key`. */
function sealedSecretFor(key: crypto.KeyObject, label: string) {
  const sessionKey = crypto.randomBytes(32);
  const rsa = crypto.publicEncrypt(
    {
      key,
      padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
      oaepLabel: Buffer.from(label),
    },
    sessionKey,
  );
  const cipher = crypto.createCipheriv(
    'aes-256-gcm',
    sessionKey,
    Buffer.alloc(12),
  );
  const body = Buffer.concat([cipher.update('x'), cipher.final()]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(rsa.length);
  return {
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata: { name: 'db', namespace: 'ml-dev' },
    spec: {
      encryptedData: {
        password: Buffer.concat([
          length,
          rsa,
          body,
          cipher.getAuthTag(),
        ]).toString('base64'),
      },
    },
  };
}

describe('the sandbox Sealed Secrets controller', () => {
  it('serves its certificate the way kubeseal --fetch-cert reads it', async () => {
    // kubeseal first reads the Service for the name of its first port ...
    const service = await kube(
      '/api/v1/namespaces/kube-system/services/sealed-secrets-controller',
    );
    expect(service.status).toBe(200);
    const port = (await service.json()).spec.ports[0].name;
    expect(port).toBe('http');
    // ... then GETs /v1/cert.pem through the service proxy.
    const res = await kube(
      `/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:${port}/proxy/v1/cert.pem`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-pem-file');
    const pem = await res.text();
    const cert = new crypto.X509Certificate(pem);
    expect(cert.subject).toContain('CN=sealed-secret');
    expect(cert.verify(cert.publicKey)).toBe(true); // self-signed
    expect(cert.publicKey.asymmetricKeyType).toBe('rsa');
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(Date.now());
    // The same certificate under every proxy spelling and on the controller's own port.
    for (const target of [
      'sealed-secrets-controller',
      'sealed-secrets-controller:http',
      'http:sealed-secrets-controller:',
    ]) {
      const again = await kube(
        `/api/v1/namespaces/kube-system/services/${target}/proxy/v1/cert.pem`,
      );
      expect(await again.text()).toBe(pem);
    }
    const direct = await fetch(`${sandbox.urls.admin}/v1/cert.pem`);
    expect(await direct.text()).toBe(pem);
    expect(sandbox.sealedSecrets.certificatePem).toBe(pem);
  });

  it('keeps the key across resets', async () => {
    const before = sandbox.sealedSecrets.certificatePem;
    await sandbox.reset();
    const res = await fetch(`${sandbox.urls.admin}/v1/cert.pem`);
    expect(await res.text()).toBe(before);
  });

  it('answers the service proxy only with credentials, and 404 for other services', async () => {
    const anonymous = await fetch(
      `${sandbox.urls.kubernetes}/api/v1/namespaces/kube-system/services/sealed-secrets-controller:http/proxy/v1/cert.pem`,
    );
    expect(anonymous.status).toBe(401);
    const other = await kube(
      '/api/v1/namespaces/default/services/sealed-secrets-controller:http/proxy/v1/cert.pem',
    );
    expect(other.status).toBe(404);
    expect((await other.json()).kind).toBe('Status');
    const unknownPath = await kube(
      '/api/v1/namespaces/kube-system/services/sealed-secrets-controller:http/proxy/v1/keys',
    );
    expect(unknownPath.status).toBe(404);
  });

  it('verifies with 409 what its key does not open, and names no plaintext', async () => {
    const otherKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const foreign = sealedSecretFor(otherKey.publicKey, 'ml-dev/db');
    const verify = await kube(
      '/api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy/v1/verify',
      { method: 'POST', body: JSON.stringify(foreign) },
    );
    expect(verify.status).toBe(409);
    const unseal = await fetch(`${sandbox.urls.admin}/_sandbox/unseal`, {
      method: 'POST',
      body: JSON.stringify(foreign),
    });
    expect(unseal.status).toBe(409);
    expect(await unseal.json()).toEqual({
      ok: false,
      error: expect.stringMatching(
        /encryptedData.password does not decrypt with this controller's key for strict scope \(ml-dev\/db\)/,
      ),
    });
    const garbage = await fetch(`${sandbox.urls.admin}/v1/verify`, {
      method: 'POST',
      body: 'kind: Secret',
    });
    expect(garbage.status).toBe(409);
  });

  it('unseals what is sealed to its certificate, answering digests only', async () => {
    const key = new crypto.X509Certificate(sandbox.sealedSecrets.certificatePem)
      .publicKey;
    const sealed = sealedSecretFor(key, 'ml-dev/db');
    const res = await fetch(`${sandbox.urls.admin}/_sandbox/unseal`, {
      method: 'POST',
      body: JSON.stringify(sealed),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      name: 'db',
      namespace: 'ml-dev',
      scope: 'strict',
      data: {
        password: {
          sha256: crypto.createHash('sha256').update('x').digest('hex'),
          bytes: 1,
        },
      },
    });
    // Bound to its name: the same value under another name does not open.
    const moved = {
      ...sealed,
      metadata: { name: 'other', namespace: 'ml-dev' },
    };
    const verify = await fetch(`${sandbox.urls.admin}/v1/verify`, {
      method: 'POST',
      body: JSON.stringify(moved),
    });
    expect(verify.status).toBe(409);
  });

  it('makes a certificate that parses as X.509 and expires in ten years', () => {
    const { privateKey } = crypto.generateKeyPairSync('rsa', {
      modulusLength: 2048,
    });
    const now = new Date('2049-06-01T00:00:00Z');
    const cert = new crypto.X509Certificate(
      selfSignedCertificate(privateKey, now),
    );
    expect(new Date(cert.validFrom).toISOString()).toBe(now.toISOString());
    // past 2049 the validity is a GeneralizedTime
    expect(new Date(cert.validTo).toISOString()).toBe(
      '2059-06-01T00:00:00.000Z',
    );
    expect(cert.verify(crypto.createPublicKey(privateKey))).toBe(true);
  });

  it('makes a readable certificate whatever the random serial starts with', () => {
    // OpenSSL refuses a DER INTEGER with a needless leading zero ("illegal
    // padding"); a random serial starts with 0x00 once in 256.
    const { privateKey } = crypto.generateKeyPairSync('rsa', {
      modulusLength: 1024,
    });
    const serials = [
      '000102030405060708090a0b0c0d0e0f',
      '0000000000000000000000000000007f',
      '0080000000000000000000000000000a',
      '8000000000000000000000000000000b',
      '00000000000000000000000000000000',
    ];
    for (const hex of serials) {
      const cert = new crypto.X509Certificate(
        selfSignedCertificate(privateKey, new Date(), Buffer.from(hex, 'hex')),
      );
      const shortest = hex.replace(/^(00)+/, '') || '00';
      expect(BigInt(`0x${cert.serialNumber}`)).toBe(BigInt(`0x${shortest}`));
    }
  });
});
