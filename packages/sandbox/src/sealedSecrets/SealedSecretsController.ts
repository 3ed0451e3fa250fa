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

/*
 * The Sealed Secrets controller of the sandbox cluster
 * (github.com/bitnami-labs/sealed-secrets): a key pair made when the sandbox
 * starts and held in memory only, and the controller's HTTP API — GET
 * /v1/cert.pem (the certificate, application/x-pem-file) and POST /v1/verify
 * (200 when the posted SealedSecret decrypts, 409 when it does not). The
 * Kubernetes emulator serves the same API through the service proxy, as
 * `kubeseal --fetch-cert` and `kubeseal --validate` reach it:
 * /api/v1/namespaces/kube-system/services/http:sealed-secrets-controller:http/proxy/v1/cert.pem
 *
 * Unsealing mirrors the controller: each value is uint16 length + RSA-OAEP
 * (SHA-256, label = the scope) of a one-time AES-256-GCM key, then the
 * AES-GCM ciphertext and tag (zero nonce). The plaintext never leaves this
 * file over HTTP; the admin call answers SHA-256 digests only.
 */

import crypto from 'node:crypto';
import http from 'node:http';
import yaml from 'yaml';
import { readBody, sendJson } from '../lib/http';
import type { KubeObject } from '../live/objects';

export const CONTROLLER_NAMESPACE = 'kube-system';
export const CONTROLLER_NAME = 'sealed-secrets-controller';
const PORT_NAME = 'http';

/** What an unseal attempt tells: digests of the values, never the values. */
export type UnsealResult =
  | {
      ok: true;
      name: string;
      namespace: string;
      scope: 'strict' | 'namespace-wide' | 'cluster-wide';
      /** key → SHA-256 (hex) and length in bytes of the plaintext */
      data: Record<string, { sha256: string; bytes: number }>;
    }
  | { ok: false; error: string };

/* A minimal DER encoder: just what a self-signed X.509 certificate needs. */
function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) {
    length = Buffer.from([n]);
  } else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const sequence = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}
/**
 * A DER INTEGER for an unsigned big-endian number, in its shortest form
 * (X.690 8.3.2: no leading 0x00 unless the next bit is set), which OpenSSL
 * requires ("illegal padding" otherwise): a random serial starting 0x00 would
 * make one certificate in 512 unreadable.
 */
function positiveInteger(bytes: Buffer): Buffer {
  if (bytes.length === 0) {
    throw new TypeError('A certificate serial needs at least one byte');
  }
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const digits = bytes.subarray(start);
  return der(
    0x02,
    digits[0] & 0x80 ? Buffer.concat([Buffer.alloc(1), digits]) : digits,
  );
}
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  // UTCTime until 2049, GeneralizedTime after (RFC 5280 4.1.2.5)
  return date.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : der(0x18, Buffer.from(`${iso}Z`));
}
const SHA256_WITH_RSA = sequence(
  oid('1.2.840.113549.1.1.11'),
  der(0x05, Buffer.alloc(0)),
);

/**
 * A self-signed X.509 certificate (v1, SHA-256 with RSA) for the key pair,
 * subject and issuer O=sealed-secret, CN=sealed-secret as the controller
 * names its own, valid for ten years.
 */
export function selfSignedCertificate(
  privateKey: crypto.KeyObject,
  now = new Date(),
  serial: Buffer = crypto.randomBytes(16),
): string {
  const name = sequence(
    der(
      0x31,
      sequence(oid('2.5.4.10'), der(0x0c, Buffer.from('sealed-secret'))),
    ),
    der(
      0x31,
      sequence(oid('2.5.4.3'), der(0x0c, Buffer.from('sealed-secret'))),
    ),
  );
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(now.getUTCFullYear() + 10);
  const spki = crypto
    .createPublicKey(privateKey)
    .export({ type: 'spki', format: 'der' });
  const tbs = sequence(
    positiveInteger(serial),
    SHA256_WITH_RSA,
    name,
    sequence(time(now), time(notAfter)),
    name,
    spki,
  );
  const signature = crypto.sign('sha256', tbs, privateKey);
  const cert = sequence(
    tbs,
    SHA256_WITH_RSA,
    der(0x03, Buffer.concat([Buffer.alloc(1), signature])),
  );
  const base64 = cert.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${base64.replace(
    /\n$/,
    '',
  )}\n-----END CERTIFICATE-----\n`;
}

export class SealedSecretsController {
  private constructor(
    private readonly privateKey: crypto.KeyObject,
    readonly certificatePem: string,
    private readonly createdAt: string,
  ) {}

  /**
   * Makes a fresh RSA key and a self-signed certificate for it, in memory:
   * nothing is written to disk.
   */
  static async create(
    options: { modulusLength?: number } = {},
  ): Promise<SealedSecretsController> {
    const { privateKey } = await new Promise<{
      privateKey: crypto.KeyObject;
    }>((resolve, reject) =>
      crypto.generateKeyPair(
        'rsa',
        { modulusLength: options.modulusLength ?? 2048 },
        (error, _publicKey, key) =>
          error ? reject(error) : resolve({ privateKey: key }),
      ),
    );
    return SealedSecretsController.fromPrivateKey(privateKey);
  }

  /** A controller for a given RSA private key, with a fresh certificate. */
  static fromPrivateKey(
    privateKey: crypto.KeyObject,
    now = new Date(),
  ): SealedSecretsController {
    return new SealedSecretsController(
      privateKey,
      selfSignedCertificate(privateKey, now),
      now.toISOString(),
    );
  }

  /** The controller's Service, as `kubeseal` reads it to find the port name. */
  service(): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: CONTROLLER_NAME,
        namespace: CONTROLLER_NAMESPACE,
        uid: `svc-${CONTROLLER_NAMESPACE}-${CONTROLLER_NAME}`,
        resourceVersion: '1',
        creationTimestamp: this.createdAt,
        labels: { name: CONTROLLER_NAME },
      },
      spec: {
        type: 'ClusterIP',
        selector: { name: CONTROLLER_NAME },
        ports: [
          { name: PORT_NAME, port: 8080, targetPort: 8080, protocol: 'TCP' },
        ],
      },
      status: { loadBalancer: {} },
    } as KubeObject;
  }

  /**
   * Whether a service proxy path segment (`name`, `name:port`,
   * `scheme:name:port` or `scheme:name:`) names this controller.
   */
  matchesProxyTarget(namespace: string, target: string): boolean {
    if (namespace !== CONTROLLER_NAMESPACE) return false;
    const parts = target.split(':');
    let scheme = 'http';
    let name: string;
    let port = '';
    if (parts.length === 3) [scheme, name, port] = parts;
    else if (parts.length === 2) [name, port] = parts;
    else [name] = parts;
    return (
      scheme === 'http' &&
      name === CONTROLLER_NAME &&
      ['', PORT_NAME, '8080'].includes(port)
    );
  }

  /** Decrypts a SealedSecret (YAML or JSON) and reports digests of its values. */
  unseal(text: string): UnsealResult {
    let doc: any;
    try {
      doc = yaml.parse(text);
    } catch (e) {
      return { ok: false, error: `not YAML or JSON: ${(e as Error).message}` };
    }
    if (
      doc?.apiVersion !== 'bitnami.com/v1alpha1' ||
      doc?.kind !== 'SealedSecret'
    ) {
      return {
        ok: false,
        error: 'not a SealedSecret (apiVersion bitnami.com/v1alpha1)',
      };
    }
    const name = String(doc.metadata?.name ?? '');
    const namespace = String(doc.metadata?.namespace ?? '');
    const annotations = {
      ...doc.spec?.template?.metadata?.annotations,
      ...doc.metadata?.annotations,
    };
    let scope: 'strict' | 'namespace-wide' | 'cluster-wide' = 'strict';
    if (annotations['sealedsecrets.bitnami.com/cluster-wide'] === 'true') {
      scope = 'cluster-wide';
    } else if (
      annotations['sealedsecrets.bitnami.com/namespace-wide'] === 'true'
    ) {
      scope = 'namespace-wide';
    }
    if (scope !== 'cluster-wide' && !namespace) {
      return { ok: false, error: 'metadata.namespace is missing' };
    }
    const label =
      scope === 'cluster-wide'
        ? Buffer.alloc(0)
        : Buffer.from(
            scope === 'namespace-wide' ? namespace : `${namespace}/${name}`,
          );
    const encrypted: Record<string, unknown> = doc.spec?.encryptedData ?? {};
    const data: Record<string, { sha256: string; bytes: number }> = {};
    for (const [key, value] of Object.entries(encrypted)) {
      let plain: Buffer;
      try {
        plain = this.decrypt(Buffer.from(String(value), 'base64'), label);
      } catch {
        return {
          ok: false,
          error: `encryptedData.${key} does not decrypt with this controller's key for ${scope} scope (${
            scope === 'cluster-wide' ? 'any name' : label.toString()
          })`,
        };
      }
      data[key] = {
        sha256: crypto.createHash('sha256').update(plain).digest('hex'),
        bytes: plain.length,
      };
      plain.fill(0);
    }
    return { ok: true, name, namespace, scope, data };
  }

  private decrypt(sealed: Buffer, label: Buffer): Buffer {
    const length = sealed.readUInt16BE(0);
    const sessionKey = crypto.privateDecrypt(
      {
        key: this.privateKey,
        padding: crypto.constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
        oaepLabel: label,
      },
      sealed.subarray(2, 2 + length),
    );
    const rest = sealed.subarray(2 + length);
    if (rest.length < 16) throw new Error('too short');
    const decipher = crypto.createDecipheriv(
      'aes-256-gcm',
      sessionKey,
      Buffer.alloc(12),
    );
    decipher.setAuthTag(rest.subarray(rest.length - 16));
    return Buffer.concat([
      decipher.update(rest.subarray(0, rest.length - 16)),
      decipher.final(),
    ]);
  }

  /**
   * The controller's own HTTP API at `path`: /healthz, /v1/cert.pem and
   * /v1/verify. Answers 404 for anything else.
   */
  async handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
  ): Promise<void> {
    if (path === '/healthz' && req.method === 'GET') {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('ok\n');
      return;
    }
    if (path === '/v1/cert.pem' && ['GET', 'HEAD'].includes(req.method!)) {
      req.resume();
      res.writeHead(200, {
        'content-type': 'application/x-pem-file',
        'content-length': Buffer.byteLength(this.certificatePem),
      });
      res.end(req.method === 'HEAD' ? undefined : this.certificatePem);
      return;
    }
    if (path === '/v1/verify' && req.method === 'POST') {
      const body = (await readBody(req)).toString('utf8');
      const result = this.unseal(body);
      res.writeHead(result.ok ? 200 : 409);
      res.end();
      return;
    }
    req.resume();
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('404 page not found\n');
  }

  /** The sandbox admin call: POST /_sandbox/unseal with a SealedSecret. */
  async handleAdminUnseal(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const body = (await readBody(req)).toString('utf8');
    const result = this.unseal(body);
    sendJson(res, result.ok ? 200 : 409, result);
  }
}
