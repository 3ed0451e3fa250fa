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

import { registerMswTestHooks } from '@backstage/backend-test-utils';
import { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import { manifest } from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import { setupServer } from 'msw/node';
import {
  auth,
  discovery,
  environmentStatus,
  fakeBackend,
} from '../__testUtils__/backend';
import { fakeGithubOwner } from '../__testUtils__/fakeGithubOwner';
import { fakePullsApi } from '../__testUtils__/fakePulls';
import { LocalConfigRepo } from '../__testUtils__/gitRepos';
import { runLikeScaffolder, schemaErrors } from '../__testUtils__/runAction';
import { makeSealingKeys } from '../__testUtils__/sealing';
import {
  fakeConfigRepo,
  fakeMlflow,
  FakeMlflowVersion,
  fraudDetectorEntity,
  makeContext,
  makeOptions,
} from '../__testUtils__/setup';
import { createConfigRepoCreateAction } from './configRepoCreate';
import { createDeployAction } from './deploy';
import { createFreezeAction, createUnfreezeAction } from './freeze';
import { createPromoteAction } from './promote';
import { createRollbackAction } from './rollback';
import { createSealSecretAction } from './sealSecret';
import {
  createRejectVersionAction,
  createUnrejectVersionAction,
} from './versionRejection';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

/*
 * Hostile input, table-driven: every row must be refused with an InputError
 * that says what is wrong, and leave Git exactly as it was — no ref, commit,
 * pull request, label or repository created, and no call to the Git host at
 * all. Rows marked `schema` are refused by the scaffolder's validation of the
 * action's input schema (as its task runner does); every other row passes
 * that validation and is refused by the action's own checks.
 */

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);
jest.setTimeout(60_000);

const keys = makeSealingKeys();
const MB = 1024 * 1024;

function namedEntity(name: string, annotations: Record<string, string>) {
  const entity = fraudDetectorEntity(annotations);
  entity.metadata.name = name;
  return entity;
}

/** The model's entity, and entities whose annotations are themselves hostile. */
const entities = [
  fraudDetectorEntity(),
  namedEntity('escaping-path', {
    'ml-gitops/manifest-path': '../../etc/x.yaml',
  }),
  namedEntity('mention-in-model', {
    'ml-gitops/model': '@acme/security [x](https://evil.example.com)',
  }),
  namedEntity('credentials-in-url', {
    'ml-gitops/config-repo':
      'https://bot:ghp_leaked@github.com/acme/fraud-detector-config',
  }),
];

type World = {
  action: TemplateAction<any, any, any>;
  /** Everything Git holds and everything asked of the Git host. */
  snapshot(): unknown;
  cleanup(): void;
};

function fakeRepoWorld(
  create: (options: ReturnType<typeof makeOptions>) => World['action'],
): World {
  const versions: Record<string, string> = {
    dev: '13',
    staging: '13',
    production: '12',
  };
  const repo = fakeConfigRepo(versions);
  server.use(
    ...repo.writeHandlers(),
    ...repo.handlers(),
    ...fakeMlflow('fraud-detector', [
      { version: '13', metrics: { auc: 0.95 } },
    ]),
    fakeBackend(
      Object.entries(versions).map(([e, v]) => environmentStatus(e, v)),
    ).handler,
  );
  return {
    action: create(makeOptions({ entities })),
    snapshot: () => ({
      branches: [...repo.branches],
      commits: repo.commits.size,
      opened: repo.opened.length,
      calls: [...repo.calls],
    }),
    cleanup: () => {},
  };
}

/** The registry's versions; a row that got as far as tagging shows here. */
function registryWorld(
  create: (options: ReturnType<typeof makeOptions>) => World['action'],
): World {
  const repo = fakeConfigRepo({ dev: '12', staging: '12', production: '12' });
  const versions: FakeMlflowVersion[] = [
    { version: '12', metrics: { auc: 0.95 } },
    {
      version: '13',
      metrics: { auc: 0.95 },
      tags: { validation_status: 'rejected' },
    },
  ];
  server.use(
    ...repo.writeHandlers(),
    ...repo.handlers(),
    ...fakeMlflow('fraud-detector', versions),
  );
  return {
    action: create(makeOptions({ entities })),
    snapshot: () => ({
      tags: versions.map(v => v.tags ?? {}),
      branches: [...repo.branches],
      opened: repo.opened.length,
    }),
    cleanup: () => {},
  };
}

const worlds: Record<string, () => World> = {
  deploy: () => fakeRepoWorld(createDeployAction),
  freeze: () => fakeRepoWorld(createFreezeAction),
  unfreeze: () => fakeRepoWorld(createUnfreezeAction),
  reject: () => registryWorld(createRejectVersionAction),
  unreject: () => registryWorld(createUnrejectVersionAction),
  promote: () =>
    fakeRepoWorld(options =>
      createPromoteAction({ ...options, discovery, auth }),
    ),
  seal: () =>
    fakeRepoWorld(options =>
      createSealSecretAction({
        ...options,
        // No handler answers it: a row that got as far as fetching fails.
        config: {
          ...options.config,
          sealedSecrets: {
            certificateUrl: 'https://sealed-secrets.example.com/v1/cert.pem',
          },
        },
      }),
    ),
  rollback: () => {
    const remote = new LocalConfigRepo();
    remote.commit('Initial config', { 'deploy/model.yaml': manifest('12') });
    remote.commit('Deploy 13', { 'deploy/model.yaml': manifest('13') });
    remote.pushAll();
    const api = fakePullsApi();
    server.use(...api.handlers);
    return {
      action: createRollbackAction({
        ...makeOptions({ entities }),
        remoteUrl: () => remote.bare,
      }),
      snapshot: () => ({
        refs: remote.remoteGit('for-each-ref'),
        pulls: api.pulls.length,
      }),
      cleanup: () => remote.cleanup(),
    };
  },
  create: () => {
    const remote = new LocalConfigRepo();
    const github = fakeGithubOwner({ owner: 'acme', type: 'Organization' });
    server.use(
      ...github.handlers,
      ...fakeMlflow('fraud-detector', [
        { version: '1', metrics: { auc: 0.95 } },
      ]),
    );
    return {
      action: createConfigRepoCreateAction({
        ...makeOptions({ entities }),
        remoteUrl: () => remote.bare,
      }),
      snapshot: () => ({
        refs: remote.remoteGit('for-each-ref'),
        repos: [...github.repos],
        created: github.created.length,
        settings: Object.keys(github.settings),
        protections: Object.keys(github.protections),
      }),
      cleanup: () => remote.cleanup(),
    };
  },
};

const base: Record<string, JsonObject> = {
  deploy: { entityRef: 'component:default/fraud-detector', version: '13' },
  promote: {
    entityRef: 'component:default/fraud-detector',
    sourceEnvironment: 'staging',
  },
  rollback: {
    entityRef: 'component:default/fraud-detector',
    environment: 'dev',
    reason: 'p95 latency doubled',
  },
  seal: {
    entityRef: 'component:default/fraud-detector',
    environment: 'production',
    name: 'fraud-detector-db',
    namespace: 'ml-serving',
    data: { password: 'hunter2' },
  },
  create: {
    repoUrl: 'github.com?owner=acme&repo=fraud-detector-config',
    model: 'fraud-detector',
    version: '1',
    owners: ['@acme/ml-team'],
  },
  freeze: {
    entityRef: 'component:default/fraud-detector',
    environment: 'production',
    reason: 'holiday change freeze',
  },
  unfreeze: {
    entityRef: 'component:default/fraud-detector',
    environment: 'production',
  },
  reject: {
    entityRef: 'component:default/fraud-detector',
    version: '12',
    reason: 'leaks card numbers',
  },
  unreject: { entityRef: 'component:default/fraud-detector', version: '13' },
};

type Row = [
  action: keyof typeof base,
  what: string,
  input: JsonObject,
  message: RegExp,
  layer?: 'schema',
];

const notAnEnvironment = /is not one of enum values: dev,staging,production/;
const plainText = /contains control, invisible or text-direction characters/;
const notAVersion = /is not a registry version id/;
const certificateUrlRefused =
  /^certificateUrl is not accepted: .*configures mlGitops\.sealedSecrets\.environments\.production\.certificateUrl/;
const pastedRefused =
  /^certificate is not accepted: .*mlGitops\.sealedSecrets\.allowPastedCertificate: true$/;

const rows: Row[] = [
  // Branch names Git refuses, given as environments.
  [
    'deploy',
    'an environment with ".."',
    { environment: 'dev..prod' },
    notAnEnvironment,
    'schema',
  ],
  [
    'deploy',
    'an environment with a space',
    { environment: 'dev prod' },
    notAnEnvironment,
    'schema',
  ],
  [
    'deploy',
    'an environment with ~ ^ : ? * [',
    { environment: 'dev~^:?*[' },
    notAnEnvironment,
    'schema',
  ],
  [
    'deploy',
    'an environment with "@{"',
    { environment: 'dev@{1}' },
    notAnEnvironment,
    'schema',
  ],
  [
    'deploy',
    'an environment with a leading "-"',
    { environment: '-dev' },
    notAnEnvironment,
    'schema',
  ],
  [
    'deploy',
    'an environment ending in .lock',
    { environment: 'dev.lock' },
    notAnEnvironment,
    'schema',
  ],
  [
    'deploy',
    'an environment with a control character',
    { environment: 'dev\u0000' },
    notAnEnvironment,
    'schema',
  ],
  [
    'deploy',
    'an environment with an RTL override',
    { environment: 'dev\u202e' },
    notAnEnvironment,
    'schema',
  ],
  [
    'deploy',
    'an empty environment',
    { environment: '' },
    notAnEnvironment,
    'schema',
  ],
  [
    'deploy',
    'an environment that is a list',
    { environment: ['dev'] },
    /environment is not of a type\(s\) string/,
    'schema',
  ],
  // YAML injection and other junk as the version.
  [
    'deploy',
    'a version with a newline and a key',
    { version: '1\nmalicious: true' },
    plainText,
  ],
  [
    'deploy',
    'a version with a quote and a comment',
    { version: '"1" # x' },
    notAVersion,
  ],
  ['deploy', 'a YAML anchor as the version', { version: '&a' }, notAVersion],
  ['deploy', 'a YAML alias as the version', { version: '*a' }, notAVersion],
  ['deploy', 'a flow mapping as the version', { version: '{}' }, notAVersion],
  ['deploy', 'a flow sequence as the version', { version: '[]' }, notAVersion],
  [
    'deploy',
    'a YAML tag as the version',
    { version: '!!python/object:os.system' },
    notAVersion,
  ],
  [
    'deploy',
    'a 1 MB version',
    { version: '1'.repeat(MB) },
    /version does not meet maximum length of 63/,
    'schema',
  ],
  ['deploy', 'an empty version', { version: '' }, notAVersion],
  [
    'deploy',
    'a number as the version',
    { version: 13 },
    /version is not of a type\(s\) string/,
    'schema',
  ],
  // Paths that leave the repository.
  [
    'deploy',
    'a manifest path starting with ../',
    { manifestPath: '../model.yaml' },
    /is not a path inside the config repo/,
  ],
  [
    'deploy',
    'an absolute manifest path',
    { manifestPath: '/deploy/model.yaml' },
    /is not a path inside the config repo/,
  ],
  [
    'deploy',
    'a manifest path climbing out through secrets/',
    { manifestPath: 'secrets/../../x.yaml' },
    /is not a path inside the config repo/,
  ],
  [
    'deploy',
    "a manifest path into Git's own files",
    { manifestPath: '.git/config.yaml' },
    /is not a path inside the config repo/,
  ],
  [
    'deploy',
    'a manifest path with a backslash',
    { manifestPath: 'deploy\\..\\model.yaml' },
    /is not a path inside the config repo/,
  ],
  [
    'deploy',
    'a manifest path that is not YAML',
    { manifestPath: 'deploy/model.json' },
    /is not a path inside the config repo/,
  ],
  [
    'deploy',
    'an escaping manifest path in the annotation',
    { entityRef: 'component:default/escaping-path' },
    /Entity component:default\/escaping-path has unusable ml-gitops annotations: ml-gitops\/manifest-path "..\/..\/etc\/x.yaml" is not a path inside the config repo/,
  ],
  [
    'deploy',
    'a model name that would mention a team and link out in the PR text',
    { entityRef: 'component:default/mention-in-model' },
    /Entity component:default\/mention-in-model has unusable ml-gitops annotations: ml-gitops\/model "@acme\/security \[x\]\(https:\/\/evil.example.com\)" is not usable as a Kubernetes label value/,
  ],
  // Repository URLs that point elsewhere or carry secrets.
  [
    'deploy',
    'a repo URL on a host without an integration',
    { repoUrl: 'https://git.evil.example.com/acme/fraud-detector-config' },
    /No GitHub or GitLab integration is configured for git.evil.example.com/,
  ],
  [
    'deploy',
    'a RepoUrlPicker value on a host without an integration',
    { repoUrl: 'git.evil.example.com?owner=acme&repo=x' },
    /git.evil.example.com/,
  ],
  [
    'deploy',
    'a repo URL with credentials',
    { repoUrl: 'https://bot:ghp_leaked@github.com/acme/fraud-detector-config' },
    /repoUrl must not carry credentials/,
  ],
  [
    'deploy',
    'a repo URL with credentials in the annotation',
    { entityRef: 'component:default/credentials-in-url' },
    /config-repo annotation of component:default\/credentials-in-url must not carry credentials/,
  ],
  [
    'deploy',
    'a repo URL with credentials and a ".." segment',
    { repoUrl: 'https://bot:ghp_leaked@github.com/acme/../x' },
    /repoUrl "https:\/\/\*\*\*@github.com\/acme\/..\/x" contains white space, "\\" or a "." \/ ".." path segment/,
  ],
  [
    'deploy',
    'a repo URL with a query',
    { repoUrl: 'https://github.com/acme/fraud-detector-config?ref=main' },
    /has a query or fragment/,
  ],
  [
    'deploy',
    'a file: repo URL',
    { repoUrl: 'file:///etc/passwd' },
    /must be an https URL of the config repo/,
  ],
  [
    'deploy',
    'a repo URL climbing with ..',
    { repoUrl: 'https://github.com/acme/../other/repo' },
    /"." \/ ".." path segment/,
  ],
  [
    'deploy',
    'a repo name with ..',
    { repoUrl: 'github.com?owner=acme&repo=..' },
    /must name an owner and a repository/,
  ],
  // Names that only look right.
  [
    'deploy',
    'an entity name with a unicode hyphen',
    { entityRef: 'component:default/fraud\u2010detector' },
    /is not an entity reference/,
  ],
  [
    'deploy',
    'an entity name with an RTL override',
    { entityRef: 'component:default/rotceted-duarf\u202e' },
    plainText,
  ],
  ['deploy', 'an empty entity ref', { entityRef: '' }, /entityRef is empty/],
  [
    'deploy',
    'force as a string',
    { force: 'yes', reason: 'x' },
    /force is not of a type\(s\) boolean/,
    'schema',
  ],
  [
    'deploy',
    'force with a blank reason',
    { force: true, reason: '   ' },
    /force: true needs a reason/,
  ],
  // Promotions that skip, go backwards or ask odd reviewers.
  [
    'promote',
    'a pair that skips staging',
    { sourceEnvironment: 'dev', targetEnvironment: 'production' },
    /dev promotes to staging, not production/,
  ],
  [
    'promote',
    'a pair that goes backwards',
    { sourceEnvironment: 'production', targetEnvironment: 'staging' },
    /production is the last environment/,
  ],
  [
    'promote',
    'a pair that stays',
    { sourceEnvironment: 'staging', targetEnvironment: 'staging' },
    /staging promotes to production, not staging/,
  ],
  [
    'promote',
    'the last environment as the source',
    { sourceEnvironment: 'production' },
    /production is the last environment/,
  ],
  [
    'promote',
    'a source with shell syntax',
    { sourceEnvironment: 'staging;rm -rf /' },
    notAnEnvironment,
    'schema',
  ],
  [
    'promote',
    'a reviewer path',
    { reviewers: ['../admin'] },
    /reviewers "..\/admin" are not GitHub logins or teams/,
  ],
  [
    'promote',
    'a reviewer with a newline',
    { reviewers: ['alice\nbob'] },
    /are not GitHub logins or teams/,
  ],
  [
    'promote',
    '16 reviewers',
    { reviewers: Array.from({ length: 16 }, (_, i) => `user${i}`) },
    /GitHub takes at most 15/,
  ],
  [
    'promote',
    'reviewers as a string',
    { reviewers: 'alice' },
    /reviewers is not of a type\(s\) array/,
    'schema',
  ],
  // Rollbacks of branches that are not environments.
  [
    'rollback',
    'an environment climbing to another branch',
    { environment: 'dev/../production' },
    notAnEnvironment,
    'schema',
  ],
  [
    'rollback',
    'HEAD as the environment',
    { environment: 'HEAD' },
    notAnEnvironment,
    'schema',
  ],
  [
    'rollback',
    'a manifest path outside the repo',
    { manifestPath: '../../etc/passwd.yaml' },
    /is not a path inside the config repo/,
  ],
  [
    'rollback',
    'an environment as an object',
    { environment: { name: 'dev' } },
    /environment is not of a type\(s\) string/,
    'schema',
  ],
  [
    'rollback',
    'a repo URL with a token',
    {
      repoUrl:
        'https://x-access-token:ghs_x@github.com/acme/fraud-detector-config',
    },
    /must not carry credentials/,
  ],
  // Secrets with names Kubernetes refuses, or that would leave secrets/.
  [
    'seal',
    'a Secret name with ".."',
    { name: 'fraud..db' },
    /name "fraud..db" is not a valid Secret name/,
  ],
  [
    'seal',
    'a Secret name climbing out of secrets/',
    { name: '../deploy/model' },
    /is not a valid Secret name/,
  ],
  [
    'seal',
    'a Secret name with a leading "-"',
    { name: '-db' },
    /is not a valid Secret name/,
  ],
  [
    'seal',
    'a Secret name with a Cyrillic letter',
    { name: 'fr\u0430ud-db' },
    /is not a valid Secret name/,
  ],
  [
    'seal',
    'a 254-character Secret name',
    { name: 'a'.repeat(254) },
    /name is 254 characters long/,
  ],
  [
    'seal',
    'a namespace with a YAML key',
    { namespace: 'ml-serving\nkind: Secret' },
    plainText,
  ],
  [
    'seal',
    'a namespace with a path',
    { namespace: 'ml-serving/../kube-system' },
    /is not a valid namespace/,
  ],
  [
    'seal',
    'a 64-character namespace',
    { namespace: 'a'.repeat(64) },
    /namespace is 64 characters long/,
  ],
  [
    'seal',
    'the key ".."',
    { data: { '..': 'x' } },
    /Invalid Secret key\(s\) "..": .*not "." or ".." alone/,
  ],
  [
    'seal',
    'an empty key',
    { data: undefined, key: '', value: 'x' },
    /Invalid Secret key\(s\) ""/,
  ],
  [
    'seal',
    'values over 1 MiB',
    { data: { blob: 'x'.repeat(MB + 1) } },
    /add up to 1048577 bytes; a Kubernetes Secret holds at most 1048576/,
  ],
  [
    'seal',
    'a number as a value',
    { data: { password: 42 } },
    /instance.data.password is not of a type\(s\) string/,
    'schema',
  ],
  [
    'seal',
    'an unknown scope',
    { scope: 'global' },
    /instance.scope is not one of enum values/,
    'schema',
  ],
  // Certificates from anywhere but the configuration (security issue #13).
  [
    'seal',
    'a certificate URL to the cloud metadata service',
    { certificateUrl: 'http://169.254.169.254/latest/meta-data/' },
    certificateUrlRefused,
  ],
  [
    'seal',
    'a certificate URL to the backend itself',
    { certificateUrl: 'http://localhost:7007/api/catalog/entities' },
    certificateUrlRefused,
  ],
  [
    'seal',
    'a file: certificate URL',
    { certificateUrl: 'file:///etc/ssl/cert.pem' },
    certificateUrlRefused,
  ],
  [
    'seal',
    'a certificate URL with credentials',
    {
      certificateUrl: 'https://admin:pw@sealed-secrets.example.com/v1/cert.pem',
    },
    certificateUrlRefused,
  ],
  [
    'seal',
    'a certificate URL with a header injected',
    {
      certificateUrl:
        'https://sealed-secrets.example.com/v1/cert.pem\r\nHost: evil.example.com',
    },
    certificateUrlRefused,
  ],
  [
    'seal',
    'the configured certificate URL given again',
    { certificateUrl: 'https://sealed-secrets.example.com/v1/cert.pem' },
    certificateUrlRefused,
  ],
  [
    'seal',
    'a certificate URL as an object',
    { certificateUrl: { href: 'http://169.254.169.254/' } },
    /instance.certificateUrl is not of a type\(s\) string/,
    'schema',
  ],
  [
    'seal',
    'a pasted certificate',
    { certificate: keys.certificate },
    pastedRefused,
  ],
  [
    'seal',
    'a 1 MB pasted certificate',
    { certificate: 'x'.repeat(MB) },
    pastedRefused,
  ],
  [
    'seal',
    'an unknown environment',
    { environment: 'prod' },
    notAnEnvironment,
    'schema',
  ],
  // Config repos that would carry injected YAML, CODEOWNERS or Applications.
  [
    'create',
    'a model name with a space',
    { model: 'fraud detector' },
    /model "fraud detector" is not usable as a Kubernetes label value/,
  ],
  [
    'create',
    'a version with YAML',
    { version: '1\nmalicious: true' },
    plainText,
  ],
  [
    'create',
    'a CODEOWNERS line injection',
    { owners: ['@acme/ml-team\n* @evil'] },
    /are not CODEOWNERS entries/,
  ],
  [
    'create',
    'no owners',
    { owners: [] },
    /owners does not meet minimum length of 1/,
    'schema',
  ],
  [
    'create',
    'a runtime with YAML',
    { runtime: 'kserve }\nmalicious: true' },
    plainText,
  ],
  [
    'create',
    'a registry that is not configured',
    { registry: 'evil' },
    /registry "evil" is not configured; choose one of mlflow-default/,
  ],
  [
    'create',
    'a namespace template escaping',
    { namespace: 'ml-{environment}/../kube-system' },
    /is not a valid namespace/,
  ],
  [
    'create',
    'a destination server with credentials',
    { destinationServer: 'https://admin:pw@k8s.example.com' },
    /destinationServer .* is not a cluster API URL/,
  ],
  [
    'create',
    'a gate metric with a newline',
    { gates: { 'auc\nx': { min: 1 } } },
    /are not registry metric names/,
  ],
  [
    'create',
    'a repo on a host without an integration',
    { repoUrl: 'https://git.evil.example.com/acme/x' },
    /No GitHub or GitLab integration is configured for git.evil.example.com/,
  ],
  [
    'create',
    'negative replicas',
    { replicas: -1 },
    /replicas must be greater than or equal to 0/,
    'schema',
  ],
  [
    'create',
    'a 10 000-character description',
    { description: 'x'.repeat(10_000) },
    /description is 10000 characters long; at most 350/,
  ],
  // Rollbacks: the reason goes into a pull request, the history and a
  // notification; the target must be a version that served there.
  ['rollback', 'an empty reason', { reason: '' }, /^reason is empty/],
  ['rollback', 'a blank reason', { reason: '   \t ' }, plainText],
  [
    'rollback',
    'a reason with a line break and a fake record',
    { reason: 'slow\n<!-- ml-gitops:rollback {"environment":"dev"} -->' },
    plainText,
  ],
  [
    'rollback',
    'a reason with a bidi override',
    { reason: 'ok\u202e' },
    plainText,
  ],
  [
    'rollback',
    'a 1001-character reason',
    { reason: 'x'.repeat(1001) },
    /reason does not meet maximum length of 1000/,
    'schema',
  ],
  [
    'rollback',
    'a reason as a number',
    { reason: 42 },
    /instance.reason is not of a type\(s\) string/,
    'schema',
  ],
  [
    'rollback',
    'no reason',
    { reason: undefined },
    /requires property "reason"/,
    'schema',
  ],
  ['rollback', 'a target climbing paths', { toVersion: '../12' }, notAVersion],
  ['rollback', 'a target with a line break', { toVersion: '12\nx' }, plainText],
  [
    'rollback',
    'a target that never served there',
    { toVersion: '99' },
    /toVersion 99 never served in dev \(versions there: 13, 12\)/,
  ],
  [
    'rollback',
    'the current version as the target',
    { toVersion: '13' },
    /dev already declares fraud-detector version 13/,
  ],
  [
    'rollback',
    'a target as a number',
    { toVersion: 12 },
    /instance.toVersion is not of a type\(s\) string/,
    'schema',
  ],
  [
    'rollback',
    'rejectVersion as a string',
    { rejectVersion: 'no' },
    /instance.rejectVersion is not of a type\(s\) boolean/,
    'schema',
  ],
  // Freezes: the reason and end are written into the manifest.
  ['freeze', 'an empty reason', { reason: '' }, /^reason is empty/],
  [
    'freeze',
    'a reason that would add a YAML key',
    { reason: 'x"\nmodel_version: "99' },
    plainText,
  ],
  [
    'freeze',
    'a 501-character reason',
    { reason: 'x'.repeat(501) },
    /reason does not meet maximum length of 500/,
    'schema',
  ],
  [
    'freeze',
    'an end that is not a time',
    { until: 'after the holidays' },
    /until "after the holidays" is not an ISO 8601 time with a zone/,
  ],
  [
    'freeze',
    'an end without a zone',
    { until: '2099-01-04T08:00:00' },
    /is not an ISO 8601 time with a zone/,
  ],
  [
    'freeze',
    'an end on the 45th of the 13th month',
    { until: '2099-13-45T08:00:00Z' },
    /is not an ISO 8601 time with a zone/,
  ],
  [
    'freeze',
    'an end in the past',
    { until: '2001-01-01T00:00:00Z' },
    /until 2001-01-01T00:00:00Z is in the past/,
  ],
  [
    'freeze',
    'an end that would add a YAML key',
    { until: '2099-01-04T08:00:00Z\nfreeze: null' },
    plainText,
  ],
  [
    'freeze',
    'an end as a number',
    { until: 4102444800 },
    /instance.until is not of a type\(s\) string/,
    'schema',
  ],
  [
    'freeze',
    'an unknown environment',
    { environment: 'prod' },
    notAnEnvironment,
    'schema',
  ],
  [
    'freeze',
    'an environment climbing to another branch',
    { environment: 'dev/../production' },
    notAnEnvironment,
    'schema',
  ],
  [
    'unfreeze',
    'an unknown environment',
    { environment: 'qa' },
    notAnEnvironment,
    'schema',
  ],
  [
    'unfreeze',
    'HEAD as the environment',
    { environment: 'HEAD' },
    notAnEnvironment,
    'schema',
  ],
  // Rejections: tags written into the registry.
  [
    'reject',
    'a version with a shell command',
    { version: '12; rm -rf /' },
    notAVersion,
  ],
  [
    'reject',
    'a version climbing MLflow paths',
    { version: '../../registered-models/delete' },
    notAVersion,
  ],
  [
    'reject',
    'a version the registry does not have',
    { version: '99' },
    /fraud-detector version 99 does not exist in the registry mlflow-default/,
  ],
  ['reject', 'an empty reason', { reason: '' }, /^reason is empty/],
  [
    'reject',
    'a reason with a zero-width space',
    { reason: 'ok\u200b' },
    plainText,
  ],
  [
    'reject',
    'a 1001-character reason',
    { reason: 'x'.repeat(1001) },
    /reason does not meet maximum length of 1000/,
    'schema',
  ],
  [
    'reject',
    'a version as a number',
    { version: 12 },
    /instance.version is not of a type\(s\) string/,
    'schema',
  ],
  [
    'unreject',
    'a version that is not rejected',
    { version: '12' },
    /fraud-detector version 12 is not rejected in the registry mlflow-default/,
  ],
  [
    'unreject',
    'a version the registry does not have',
    { version: '99' },
    /fraud-detector version 99 does not exist in the registry mlflow-default/,
  ],
  ['unreject', 'an empty version', { version: '' }, notAVersion],
  [
    'unreject',
    'a 500-character version',
    { version: '1'.repeat(500) },
    /version does not meet maximum length of 63/,
    'schema',
  ],
];

describe('hostile input', () => {
  it('has at least 125 rows over every action', () => {
    expect(rows.length).toBeGreaterThanOrEqual(125);
    expect(new Set(rows.map(r => r[0]))).toEqual(new Set(Object.keys(base)));
  });

  it.each(rows.map(row => [`${row[0]}: ${row[1]}`, row] as const))(
    'refuses %s and leaves Git untouched',
    async (_name, [actionName, _what, change, message, layer]) => {
      const world = worlds[actionName]();
      try {
        const input = Object.fromEntries(
          Object.entries({ ...base[actionName], ...change }).filter(
            ([, v]) => v !== undefined,
          ),
        ) as JsonObject;
        // Which layer refuses: the schema the scaffolder validates, or the action.
        const errors = schemaErrors(world.action, input);
        expect({ refusedBySchema: errors.length > 0, errors }).toMatchObject({
          refusedBySchema: layer === 'schema',
        });
        const before = JSON.stringify(world.snapshot());
        const { ctx, logs } = makeContext(input);
        const error = await runLikeScaffolder(world.action, ctx).then(
          () => undefined,
          e => e,
        );
        expect(error?.name).toBe('InputError');
        expect(error.message).toMatch(message);
        // No credential planted in a row comes back in the message.
        for (const planted of ['ghp_leaked', 'admin:pw', 'ghs_x']) {
          expect(error.message).not.toContain(planted);
        }
        // Short enough to read, whatever the size of the input.
        expect(error.message.length).toBeLessThan(1000);
        expect(JSON.stringify(world.snapshot())).toBe(before);
        expect(
          logs.filter(l => /Created|Committed|Pushed|Opened/.test(l)),
        ).toEqual([]);
      } finally {
        world.cleanup();
      }
    },
  );
});
