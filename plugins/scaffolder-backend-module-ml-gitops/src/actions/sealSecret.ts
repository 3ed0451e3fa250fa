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

import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { mlGitopsSecretSealPermission } from '@ml-gitops/plugin-ml-gitops-common';
import { examples } from './sealSecret.examples';
import {
  checkDnsLabel,
  checkDnsSubdomain,
  checkEnvironmentInput,
} from './inputs';
import {
  pullRequestOutput,
  targetInput,
  environmentInput,
} from './inputFields';
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
import { sealSecret, SealingScope } from './sealing';
import {
  chooseCertificate,
  fetchConfiguredCertificate,
} from './sealingCertificate';

// The action ml-gitops:secret:seal: its schema, the checks of the values to seal, and the pull request adding the SealedSecret.

const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const SCOPES: SealingScope[] = ['strict', 'namespace-wide', 'cluster-wide'];
/** The most a Kubernetes Secret may hold. */
const MAX_SECRET_BYTES = 1024 * 1024;

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
      const environment = checkEnvironmentInput(options.config, input);
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
