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
  InputError,
  isError,
  ServiceUnavailableError,
} from '@backstage/errors';
import crypto from 'node:crypto';
import {
  CertificateSource,
  certificateSource,
  certificateUrlProblem,
  MlGitopsActionsConfig,
} from './config';
import { publicKeyFromPem } from './sealing';

// Where ml-gitops:secret:seal's certificate comes from: the configured URL (fetched with limits) or, when allowed, a pasted PEM.

/** The most a certificate (pasted or fetched) may be: a PEM is about 2 KiB. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;
/** How long fetching a configured certificate may take, answer included. */
export const CERTIFICATE_TIMEOUT_MS = 10_000;

/**
 * The body of a response as text, or undefined when it is larger than `max`
 * bytes (read no further than that).
 */
async function readAtMost(
  response: Response,
  max: number,
): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Fetches the Sealed Secrets certificate an operator configured for an
 * environment and returns its RSA public key. Over https only outside
 * development, without following redirects, within a time limit, at most
 * {@link MAX_CERTIFICATE_BYTES}, and only a PEM certificate. Errors name the
 * config key whose URL failed and what to check; they never repeat what the
 * URL answered (status, headers, body or its length) nor the URL itself,
 * which the task's user does not need to see.
 */
export async function fetchConfiguredCertificate(
  source: CertificateSource,
  options: { timeoutMs?: number; now?: Date; nodeEnv?: string } = {},
): Promise<crypto.KeyObject> {
  const { url, configKey } = source;
  const timeoutMs = options.timeoutMs ?? CERTIFICATE_TIMEOUT_MS;
  const subject = `The certificate URL configured at ${configKey}`;
  const notACertificate = new ServiceUnavailableError(
    `${subject} did not answer a PEM certificate; check that it serves the Sealed Secrets controller's public certificate (kubeseal --fetch-cert): status 200, at most ${
      MAX_CERTIFICATE_BYTES / 1024
    } KiB, an RSA certificate in PEM`,
  );
  // Checked at start too; again here for options built without the reader.
  if (
    certificateUrlProblem(
      url,
      configKey,
      options.nodeEnv ?? process.env.NODE_ENV,
    )
  ) {
    throw new ServiceUnavailableError(
      `${subject} is not an https URL without credentials (http is fetched only in development); configure the controller's certificate URL over https`,
    );
  }
  let text: string | undefined;
  try {
    const response = await fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/x-pem-file, text/plain' },
    });
    if (
      response.type === 'opaqueredirect' ||
      (response.status >= 300 && response.status < 400)
    ) {
      await response.body?.cancel().catch(() => {});
      throw new ServiceUnavailableError(
        `${subject} answered with a redirect, and redirects are not followed; configure the address that serves the Sealed Secrets controller's certificate (kubeseal --fetch-cert) itself`,
      );
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw notACertificate;
    }
    text = await readAtMost(response, MAX_CERTIFICATE_BYTES);
  } catch (error) {
    if (error instanceof ServiceUnavailableError) throw error;
    const timedOut =
      isError(error) &&
      (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new ServiceUnavailableError(
      `${subject} ${
        timedOut
          ? `did not answer within ${timeoutMs / 1000} s`
          : 'could not be reached'
      }; check that the Backstage backend reaches the Sealed Secrets controller's certificate at that address`,
    );
  }
  if (text === undefined || !/-----BEGIN CERTIFICATE-----/.test(text)) {
    throw notACertificate;
  }
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(text);
  } catch {
    throw notACertificate;
  }
  if (cert.publicKey.asymmetricKeyType !== 'rsa') {
    throw notACertificate;
  }
  if (
    new Date(cert.validTo).getTime() < (options.now ?? new Date()).getTime()
  ) {
    throw new ServiceUnavailableError(
      `${subject} serves an expired certificate; point it at the controller's current certificate (kubeseal --fetch-cert)`,
    );
  }
  return cert.publicKey;
}

/**
 * Where a step's certificate comes from, decided before anything is read:
 * never a URL from the step; a pasted PEM only when an operator allows it;
 * otherwise the environment's configured URL.
 */
export function chooseCertificate(
  config: MlGitopsActionsConfig,
  environment: string,
  input: { certificate?: unknown; certificateUrl?: unknown },
): { key: crypto.KeyObject } | { source: CertificateSource } {
  const envKey = `mlGitops.sealedSecrets.environments.${environment}.certificateUrl`;
  // An empty template field means: not given.
  if (input.certificateUrl !== undefined && input.certificateUrl !== '') {
    throw new InputError(
      `certificateUrl is not accepted: the Sealed Secrets certificate comes only from the Backstage configuration, so a step cannot make the backend fetch an address of its choosing. Remove certificateUrl from the step; an operator configures ${envKey} (or mlGitops.sealedSecrets.certificateUrl for every environment)`,
    );
  }
  if (input.certificate !== undefined && input.certificate !== '') {
    if (!config.sealedSecrets?.allowPastedCertificate) {
      throw new InputError(
        `certificate is not accepted: this Backstage seals only with the certificate configured for ${environment} (${envKey} or mlGitops.sealedSecrets.certificateUrl). Remove certificate from the step, or ask an operator to set mlGitops.sealedSecrets.allowPastedCertificate: true`,
      );
    }
    return { key: publicKeyFromPem(checkPem(input.certificate)) };
  }
  const source = certificateSource(config, environment);
  if (!source) {
    throw new InputError(
      `No Sealed Secrets certificate is configured for ${environment}: an operator sets ${envKey} (or mlGitops.sealedSecrets.certificateUrl for every environment) to the controller's certificate URL (its /v1/cert.pem)`,
    );
  }
  return { source };
}

/** The certificate as PEM text: a string of reasonable size. */
function checkPem(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_CERTIFICATE_BYTES) {
    throw new InputError(
      "certificate must be the PEM text of the controller's certificate (at most 64 KiB); fetch it with kubeseal --fetch-cert",
    );
  }
  return value;
}
