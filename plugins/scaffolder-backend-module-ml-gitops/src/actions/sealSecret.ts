import {
  InputError,
  isError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { mlGitopsSecretSealPermission } from '@ml-gitops/plugin-ml-gitops-common';
import crypto from 'node:crypto';
import yaml from 'yaml';
import { examples } from './sealSecret.examples';
import {
  CertificateSource,
  certificateSource,
  certificateUrlProblem,
  MlGitopsActionsConfig,
} from './config';
import {
  checkDnsLabel,
  checkDnsSubdomain,
  checkEnvironment,
  pullRequestOutput,
  targetInput,
  environmentInput,
} from './inputs';
import {
  branchChange,
  initiatorAuthor,
  openChangePullRequest,
  openedBy,
  writeOneCommitBranch,
} from './pullRequest';
import { createGitClients, MlGitopsActionOptions } from './actionOptions';
import { readBranchManifest } from './branchManifest';
import { resolveTarget } from './modelTarget';

/** How widely a SealedSecret may be unsealed (kubeseal's `--scope`). @public */
export type SealingScope = 'strict' | 'namespace-wide' | 'cluster-wide';

const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const SCOPES: SealingScope[] = ['strict', 'namespace-wide', 'cluster-wide'];
/** The most a Kubernetes Secret may hold. */
const MAX_SECRET_BYTES = 1024 * 1024;

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
function chooseCertificate(
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

/**
 * `ml-gitops:secret:seal`: seals values with the cluster's Sealed Secrets
 * certificate and opens a pull request adding `secrets/<name>.sealed.yaml` to
 * an environment's branch. Plaintext never leaves the action: not in logs,
 * not in outputs, not in Git.
 *
 * @public
 */
export function createSealSecretAction(options: MlGitopsActionOptions) {
  const { reader, writer } = createGitClients(options);
  return createTemplateAction({
    id: 'ml-gitops:secret:seal',
    description:
      "Seals values with the cluster's Sealed Secrets certificate and opens a pull request that adds the SealedSecret as secrets/<name>.sealed.yaml to an environment branch of the config repo.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        ...targetInput,
        ...environmentInput(
          options.config.environments,
          'The environment (branch) the secret is for, e.g. production',
        ),
        name: z =>
          z
            .string()
            .describe(
              'Name of the Kubernetes Secret the controller creates (a DNS subdomain, e.g. fraud-detector-db)',
            ),
        namespace: z =>
          z
            .string()
            .describe('Kubernetes namespace of the Secret, e.g. ml-serving'),
        data: z =>
          z
            .record(z.string(), z.string())
            .describe(
              'Secret key → plaintext value. Pass values from the template secrets (${{ secrets.x }}) so they are never stored with the task',
            )
            .optional(),
        key: z =>
          z
            .string()
            .describe(
              'One Secret key, with value, instead of data (templates cannot template object keys)',
            )
            .optional(),
        value: z =>
          z
            .string()
            .describe(
              'The plaintext value of key; pass it from the template secrets (${{ secrets.x }})',
            )
            .optional(),
        scope: z =>
          z
            .enum(['strict', 'namespace-wide', 'cluster-wide'])
            .describe(
              'Where the sealed values may be unsealed (kubeseal --scope); strict binds them to this name and namespace',
            )
            .optional(),
        certificate: z =>
          z
            .string()
            .describe(
              "The cluster's Sealed Secrets certificate PEM (kubeseal --fetch-cert). Refused unless mlGitops.sealedSecrets.allowPastedCertificate is true; by default the certificate configured for the environment is used",
            )
            .optional(),
        certificateUrl: z =>
          z
            .string()
            .describe(
              'Not accepted (refused when not empty): the certificate comes from mlGitops.sealedSecrets.environments.<env>.certificateUrl or mlGitops.sealedSecrets.certificateUrl',
            )
            .optional(),
      },
      output: {
        ...pullRequestOutput('The branch holding the change'),
        path: z =>
          z.string().describe('Path of the SealedSecret in the config repo'),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const environment = checkEnvironment(
        options.config,
        input.environment,
        'environment',
      );
      const name = checkDnsSubdomain(input.name, 'name', 'Secret name');
      const namespace = checkDnsLabel(
        input.namespace,
        'namespace',
        'namespace',
      );
      const data = secretData(input);
      const keys = Object.keys(data);
      const scope = input.scope ?? 'strict';
      if (!SCOPES.includes(scope)) {
        throw new InputError(`scope must be one of ${SCOPES.join(', ')}`);
      }
      // Which certificate, before anything is read or fetched: a URL from
      // the step is refused, a pasted one unless an operator allows it.
      const certificate = chooseCertificate(options.config, environment, input);
      const target = await resolveTarget(
        ctx,
        options,
        reader,
        {
          entityRef: input.entityRef,
          repoUrl: input.repoUrl,
        },
        {
          permission: mlGitopsSecretSealPermission,
          what: 'seal a secret for',
        },
      );
      const { loc } = target;
      const path = `secrets/${name}.sealed.yaml`;

      const key =
        'key' in certificate
          ? certificate.key
          : await fetchConfiguredCertificate(certificate.source);
      const sealed = sealSecret({ key, name, namespace, scope, data });
      ctx.output('path', path);
      ctx.logger.info(
        `Sealed ${keys.length} key(s) (${keys.join(
          ', ',
        )}) of ${namespace}/${name} with scope ${scope}`,
      );

      // The environment's branch must exist and be a valid config repo.
      const current = await readBranchManifest(writer, target, environment);
      const existing = await writer.getFile(loc, path, current.head);
      const model = target.model ?? current.manifest.model_name;
      const change = branchChange(
        'seal',
        loc,
        { manifestPath: target.manifestPath, model },
        environment,
        name,
      );
      const { branch } = change;
      const title = `${
        existing ? 'Reseal' : 'Seal'
      } secret ${name} for ${model} in ${environment}`;
      const body = [
        `${
          existing ? 'Replaces' : 'Adds'
        } the SealedSecret \`${path}\` on **${environment}**: Secret \`${namespace}/${name}\` with key(s) ${keys
          .map(k => `\`${k}\``)
          .join(', ')}, scope \`${scope}\`.`,
        '',
        'Only the Sealed Secrets controller of the cluster can decrypt the values; no plaintext is in this pull request.',
        '',
        openedBy('ml-gitops:secret:seal', ctx, target.entityRef),
      ].join('\n');

      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would commit ${path} to a branch ${branch} from ${environment} and open "${title}"`,
        );
        ctx.output('branch', branch);
        return;
      }

      // Sealing is randomised, so a branch never already holds this
      // ciphertext: a run of its own rebuilds the branch; a retried task
      // keeps its commit through the checkpoint.
      await writeOneCommitBranch(ctx, writer, change, {
        baseHead: current.head,
        path,
        content: () => sealed,
        isDone: () => false,
        message: title,
        author: initiatorAuthor(ctx),
      });
      await openChangePullRequest(ctx, writer, change, {
        title,
        body,
        record: {
          kind: 'seal',
          environment,
          ...(ctx.user?.ref ? { requestedBy: ctx.user.ref } : {}),
        },
        environments: options.config.environments,
      });
    },
  });
}

/**
 * The Secret's keys and values from `data` and/or `key` + `value`, checked.
 * Error messages name keys only, never a value.
 */
function secretData(input: {
  data?: Record<string, unknown>;
  key?: unknown;
  value?: unknown;
}): Record<string, string> {
  if ((input.key === undefined) !== (input.value === undefined)) {
    throw new InputError('key and value go together; give both or neither');
  }
  if (
    input.data !== undefined &&
    (typeof input.data !== 'object' ||
      input.data === null ||
      Array.isArray(input.data))
  ) {
    throw new InputError('data must be an object of Secret key → value');
  }
  const entries: Array<[unknown, unknown]> = Object.entries(input.data ?? {});
  if (input.key !== undefined) {
    entries.push([input.key, input.value]);
  }
  if (entries.length === 0) {
    throw new InputError('data is empty; give at least one key and value');
  }
  const badKeys = entries
    .map(([k]) => k)
    .filter(
      k => typeof k !== 'string' || !SECRET_KEY.test(k) || /^\.\.?$/.test(k),
    );
  if (badKeys.length > 0) {
    throw new InputError(
      `Invalid Secret key(s) ${badKeys
        .map(k => JSON.stringify(String(k).slice(0, 100)))
        .join(
          ', ',
        )}: use letters, digits, "-", "_" and "." (not "." or ".." alone)`,
    );
  }
  const data: Record<string, string> = {};
  let bytes = 0;
  for (const [k, v] of entries as Array<[string, unknown]>) {
    if (Object.prototype.hasOwnProperty.call(data, k)) {
      throw new InputError(`The Secret key ${k} is given twice`);
    }
    if (typeof v !== 'string') {
      throw new InputError(`The value of ${k} must be a string`);
    }
    if (v === '') {
      throw new InputError(`The value of ${k} is empty; give the secret value`);
    }
    bytes += Buffer.byteLength(v, 'utf8');
    data[k] = v;
  }
  if (bytes > MAX_SECRET_BYTES) {
    throw new InputError(
      `The values add up to ${bytes} bytes; a Kubernetes Secret holds at most ${MAX_SECRET_BYTES}`,
    );
  }
  return data;
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
