#!/usr/bin/env node
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
 * Writes the contract slices in
 * plugins/ml-gitops-common/src/testUtils/contracts/: the parts of the
 * machine-readable descriptions that real systems publish (GitHub's OpenAPI
 * description, Argo CD's swagger, the Flux, KServe and Argo Rollouts CRDs,
 * the Kubeflow Model Registry's OpenAPI description)
 * for the answers ML GitOps reads. Tests validate the sandbox's emulators and
 * the msw fixtures against them.
 *
 *   node scripts/contracts/refresh.mjs --mirrors DIR --github FILE
 *
 * --mirrors: a folder with one git clone (bare or not) per repository, named
 *   owner+name/repo (e.g. DIR/fluxcd+kustomize-controller/repo) or owner+name;
 *   each file is read from its HEAD, whose commit the slice names.
 * --github: GitHub's description api.github.com.json, from a checkout of
 *   github/rest-api-description (descriptions/api.github.com/) or from the npm
 *   package @octokit/openapi (generated/api.github.com.json, the same file with
 *   x-octokit extensions); --github-source says which, for the slice's header.
 * --only: github, argocd, flux, kserve, argo-rollouts or kubeflow, to refresh
 *   just one.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'package.json'));
const YAML = require('yaml');
const prettier = require('prettier');
const out = join(root, 'plugins/ml-gitops-common/src/testUtils/contracts');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => {
    if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
if (!args.mirrors && args.only !== 'github') {
  console.error(
    'usage: node scripts/contracts/refresh.mjs --mirrors DIR --github FILE [--only SYSTEM]',
  );
  process.exit(2);
}
const mirrors = args.mirrors;

/* ----------------------------------------------------------- reading ---- */

function mirror(repo) {
  const name = repo.replace('/', '+');
  for (const dir of [join(mirrors, name, 'repo'), join(mirrors, name)]) {
    if (existsSync(dir)) return dir;
  }
  throw new Error(`no clone of ${repo} under ${mirrors}`);
}

/** The file at HEAD of a clone, with the commit it was read at. */
function gitFile(repo, path) {
  const dir = mirror(repo);
  const git = (...a) =>
    execFileSync('git', ['-C', dir, ...a], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
  return {
    text: git('show', `HEAD:${path}`),
    source: { repo, path, commit: git('rev-parse', 'HEAD').trim() },
  };
}

/* ----------------------------------------------------------- slicing ---- */

/** The schema keywords the validator reads; the rest (prose, examples) goes. */
const KEYWORDS = new Set([
  '$ref',
  'type',
  'format',
  'enum',
  'nullable',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'allOf',
  'anyOf',
  'oneOf',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
]);

/**
 * A schema with only the keywords above. `refName` maps a $ref to the name
 * the slice keeps it under (or null: not kept, any value passes there).
 */
function strip(schema, refName) {
  if (Array.isArray(schema)) return schema.map(s => strip(s, refName));
  if (!schema || typeof schema !== 'object') return schema;
  const kept = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!KEYWORDS.has(key)) continue;
    if (key === '$ref') {
      const name = refName(value);
      if (name === null) return { $comment: `not kept: ${value}` };
      kept.$ref = `#/definitions/${name}`;
    } else if (key === 'properties') {
      kept.properties = Object.fromEntries(
        Object.entries(value).map(([p, s]) => [p, strip(s, refName)]),
      );
    } else if (key === 'enum' || key === 'required' || key === 'type') {
      kept[key] = value;
    } else {
      kept[key] = strip(value, refName);
    }
  }
  return kept;
}

/**
 * Keeps, below `schema`, the full schema at each path in `keep` (dotted, `[]`
 * for array items); elsewhere an object or array
 * keeps only its type and the names of its properties, each reduced the same
 * way one level down, and its contents are not checked further.
 */
function prune(schema, keep, path = '') {
  if (keep.includes(path)) return schema;
  const prefix = path ? `${path}.` : '';
  if (
    path &&
    !keep.some(k => k.startsWith(prefix) || k.startsWith(`${path}[]`))
  ) {
    return shallow(schema);
  }
  const pruned = { ...schema };
  if (schema.properties) {
    pruned.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([name, child]) => [
        name,
        prune(child, keep, `${prefix}${name}`),
      ]),
    );
  }
  if (schema.items) pruned.items = prune(schema.items, keep, `${path}[]`);
  return pruned;
}

/** A property not on a kept path: its type and scalar facts only. */
function shallow(schema) {
  if (schema.type === 'object' || schema.properties || schema.items) {
    const { type, required, ...rest } = schema;
    const reduced = { type };
    if (rest.properties) {
      reduced.properties = Object.fromEntries(
        Object.keys(rest.properties).map(p => [
          p,
          { 'x-kubernetes-preserve-unknown-fields': true },
        ]),
      );
    } else {
      reduced['x-kubernetes-preserve-unknown-fields'] = true;
    }
    if (required) reduced.required = required;
    return reduced;
  }
  return schema;
}

/* ------------------------------------------------------------ output ---- */

function write(system, file, slice) {
  mkdirSync(join(out, system), { recursive: true });
  const path = join(out, system, file);
  const options = prettier.resolveConfig.sync(path) ?? {};
  writeFileSync(
    path,
    prettier.format(JSON.stringify(slice), { ...options, filepath: path }),
  );
  console.log(
    `${path.slice(root.length + 1)}: ${JSON.stringify(slice).length} bytes`,
  );
}

const header = (what, sources, note = '') =>
  `${what}, sliced by scripts/contracts/refresh.mjs from ${sources
    .map(s => `github.com/${s.repo} ${s.path} at ${s.commit}`)
    .join(', ')}. Only the keywords a validator reads are kept (no prose).${
    note ? ` ${note}` : ''
  } Do not edit by hand: run the script again.`;

/* ------------------------------------------------------------ GitHub ---- */

/** The REST calls ML GitOps makes (plugins/ml-gitops-node/src/git, the scaffolder actions) and the statuses it reads. */
const GITHUB_OPERATIONS = [
  ['get', '/repos/{owner}/{repo}', ['200']],
  ['patch', '/repos/{owner}/{repo}', ['200']],
  ['post', '/orgs/{org}/repos', ['201']],
  ['post', '/user/repos', ['201']],
  ['get', '/users/{username}', ['200']],
  ['get', '/repos/{owner}/{repo}/branches', ['200']],
  ['put', '/repos/{owner}/{repo}/branches/{branch}/protection', ['200']],
  ['get', '/repos/{owner}/{repo}/git/ref/{ref}', ['200']],
  ['post', '/repos/{owner}/{repo}/git/refs', ['201']],
  ['get', '/repos/{owner}/{repo}/contents/{path}', ['200']],
  ['put', '/repos/{owner}/{repo}/contents/{path}', ['200', '201']],
  ['get', '/repos/{owner}/{repo}/commits/{ref}', ['200']],
  ['get', '/repos/{owner}/{repo}/commits/{commit_sha}/pulls', ['200']],
  ['get', '/repos/{owner}/{repo}/commits/{ref}/status', ['200']],
  ['get', '/repos/{owner}/{repo}/commits/{ref}/statuses', ['200']],
  ['post', '/repos/{owner}/{repo}/statuses/{sha}', ['201']],
  ['get', '/repos/{owner}/{repo}/pulls', ['200']],
  ['post', '/repos/{owner}/{repo}/pulls', ['201']],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}', ['200']],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', ['200']],
  [
    'post',
    '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
    ['201'],
  ],
  ['post', '/repos/{owner}/{repo}/issues/{issue_number}/labels', ['200']],
  ['put', '/repos/{owner}/{repo}/collaborators/{username}', ['201', '204']],
  ['put', '/orgs/{org}/teams/{team_slug}/repos/{owner}/{repo}', ['204']],
];

function github() {
  const file = args.github;
  if (!file) throw new Error('--github FILE (api.github.com.json) is needed');
  const description = JSON.parse(readFileSync(file, 'utf8'));
  const sourceText =
    args['github-source'] ??
    'npm @octokit/openapi generated/api.github.com.json (github.com/github/rest-api-description descriptions/api.github.com/api.github.com.json with x-octokit extensions)';
  const components = description.components;
  const resolveResponse = r =>
    r.$ref ? components.responses[r.$ref.split('/').pop()] : r;
  const definitions = {};
  const pending = [];
  const refName = ref => {
    const name = ref.split('/').pop();
    if (!(name in definitions)) {
      definitions[name] = null;
      pending.push(name);
    }
    return name;
  };
  const operations = {};
  for (const [method, path, statuses] of GITHUB_OPERATIONS) {
    const op = description.paths[path]?.[method];
    if (!op) throw new Error(`GitHub's description has no ${method} ${path}`);
    for (const status of statuses) {
      const response = op.responses[status];
      if (!response) throw new Error(`${method} ${path} has no ${status}`);
      const schema =
        resolveResponse(response).content?.['application/json']?.schema;
      operations[`${method.toUpperCase()} ${path}`] = {
        ...operations[`${method.toUpperCase()} ${path}`],
        [status]: schema ? strip(schema, refName) : null,
      };
    }
  }
  const error = refName('#/components/schemas/basic-error');
  while (pending.length) {
    const name = pending.shift();
    definitions[name] = strip(components.schemas[name], refName);
  }
  write('github', 'restContract.json', {
    $comment: `The response schemas of the GitHub REST calls ML GitOps makes, sliced by scripts/contracts/refresh.mjs from ${sourceText}, info.version ${description.info.version}. Only the keywords a validator reads are kept (no prose); $refs point into definitions. Do not edit by hand: run the script again.`,
    source: { description: sourceText, version: description.info.version },
    error,
    operations,
    definitions: Object.fromEntries(Object.entries(definitions).sort()),
  });
}

/* ----------------------------------------------------------- Argo CD ---- */

/**
 * The Argo CD definitions ML GitOps reads; a $ref to any other definition
 * is kept as "any value" (e.g. the Helm and Kustomize source options, the
 * managed resources' tree).
 */
const ARGOCD_KEPT = [
  'v1alpha1Application',
  'v1alpha1ApplicationList',
  'v1alpha1ApplicationSpec',
  'v1alpha1ApplicationSource',
  'v1alpha1ApplicationDestination',
  'v1alpha1ApplicationStatus',
  'v1alpha1ApplicationCondition',
  'v1alpha1ApplicationSummary',
  'v1alpha1SyncStatus',
  'v1alpha1ComparedTo',
  'v1alpha1HealthStatus',
  'v1alpha1AppHealthStatus',
  'v1alpha1OperationState',
  'v1alpha1Operation',
  'v1alpha1OperationInitiator',
  'v1alpha1SyncOperation',
  'v1alpha1SyncOperationResult',
  'v1alpha1SyncPolicy',
  'v1alpha1SyncPolicyAutomated',
  'applicationv1alpha1ResourceStatus',
  'v1alpha1ResourceResult',
  'v1alpha1RevisionHistory',
  'v1alpha1SourceHydratorStatus',
  'v1ObjectMeta',
  'v1ListMeta',
  'v1Time',
  'v1OwnerReference',
  'versionVersionMessage',
];

function argocd() {
  const { text, source } = gitFile('argoproj/argo-cd', 'assets/swagger.json');
  const swagger = JSON.parse(text);
  const refName = ref => {
    const name = ref.split('/').pop();
    return ARGOCD_KEPT.includes(name) ? name : null;
  };
  const definitions = {};
  for (const name of ARGOCD_KEPT) {
    if (!swagger.definitions[name]) throw new Error(`no ${name} in swagger`);
    definitions[name] = strip(swagger.definitions[name], refName);
  }
  write('argocd', 'swaggerContract.json', {
    $comment: header(
      "The Argo CD API server's Application and version answers",
      [source],
      'A $ref to a definition ML GitOps does not read is replaced by an object that accepts any value. The swagger (Swagger 2.0, generated from the Go types) marks no field required.',
    ),
    source,
    definitions,
  });
}

/* --------------------------------------------------------------- CRDs ---- */

function crd(repo, path, kind, version, keep) {
  const { text, source } = gitFile(repo, path);
  const docs = YAML.parseAllDocuments(text).map(d => d.toJS());
  const definition = docs.find(
    d => d?.kind === 'CustomResourceDefinition' && d.spec.names.kind === kind,
  );
  const served = definition.spec.versions.find(v => v.name === version);
  if (!served) throw new Error(`${kind} has no version ${version} in ${path}`);
  const schema = strip(served.schema.openAPIV3Schema, () => {
    throw new Error('a CRD schema has no $ref');
  });
  return {
    source,
    apiVersion: `${definition.spec.group}/${version}`,
    schema: keep ? prune(schema, keep) : schema,
  };
}

function crds(system, file, what, list, note) {
  const kinds = {};
  const sources = [];
  for (const [repo, path, kind, version, keep] of list) {
    const { source, apiVersion, schema } = crd(repo, path, kind, version, keep);
    sources.push(source);
    kinds[kind] = { apiVersion, source, schema };
  }
  write(system, file, {
    $comment: header(what, sources, note),
    kinds,
  });
}

function flux() {
  crds(
    'flux',
    'crdContract.json',
    'The OpenAPI v3 schemas of the Flux objects ML GitOps reads (whole: spec and status)',
    [
      [
        'fluxcd/kustomize-controller',
        'config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml',
        'Kustomization',
        'v1',
      ],
      [
        'fluxcd/helm-controller',
        'config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml',
        'HelmRelease',
        'v2',
      ],
      [
        'fluxcd/source-controller',
        'config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml',
        'GitRepository',
        'v1',
      ],
    ],
  );
}

function kserve() {
  crds(
    'kserve',
    'crdContract.json',
    "The OpenAPI v3 schema of KServe's InferenceService: status whole, and of spec the predictor's model and scaling",
    [
      [
        'kserve/kserve',
        'config/crd/full/serving.kserve.io_inferenceservices.yaml',
        'InferenceService',
        'v1beta1',
        [
          'apiVersion',
          'kind',
          'metadata',
          'status',
          'spec.predictor.model.modelFormat',
          'spec.predictor.model.storageUri',
          'spec.predictor.model.runtime',
          'spec.predictor.model.protocolVersion',
          'spec.predictor.minReplicas',
          'spec.predictor.maxReplicas',
          'spec.predictor.canaryTrafficPercent',
        ],
      ],
    ],
    'Elsewhere in spec an object keeps only the names of its properties (an invented one fails) and its contents are not checked.',
  );
}

function rollouts() {
  crds(
    'argo-rollouts',
    'crdContract.json',
    "The OpenAPI v3 schema of Argo Rollouts' AnalysisRun: status whole, spec by property names",
    [
      [
        'argoproj/argo-rollouts',
        'manifests/crds/analysis-run-crd.yaml',
        'AnalysisRun',
        'v1alpha1',
        [
          'apiVersion',
          'kind',
          'metadata',
          'status',
          'spec.args',
          'spec.terminate',
        ],
      ],
    ],
    'Elsewhere in spec an object keeps only the names of its properties (an invented one fails) and its contents are not checked.',
  );
}

/* ------------------------------------------ Kubeflow Model Registry ---- */

/**
 * The Kubeflow Model Registry answers ML GitOps reads (findRegisteredModel,
 * findModelVersion, getModelVersion, getModelVersionArtifacts) and its
 * Error body, with every schema they reference.
 */
const KUBEFLOW_ROOTS = [
  'RegisteredModel',
  'ModelVersion',
  'ArtifactList',
  'Error',
];

function kubeflow() {
  const { text, source } = gitFile(
    'kubeflow/model-registry',
    'api/openapi/model-registry.yaml',
  );
  const spec = YAML.parse(text);
  const schemas = spec.components.schemas;
  const refName = ref => ref.split('/').pop();
  const definitions = {};
  const visit = name => {
    if (definitions[name]) return;
    if (!schemas[name]) throw new Error(`no ${name} in the OpenAPI schemas`);
    definitions[name] = strip(schemas[name], refName);
    JSON.stringify(schemas[name], (key, value) => {
      if (key === '$ref') visit(refName(value));
      return value;
    });
  };
  KUBEFLOW_ROOTS.forEach(visit);
  write('kubeflow', 'openapiContract.json', {
    $comment: header(
      'The Kubeflow Model Registry REST API (v1alpha3) answers ML GitOps reads',
      [source],
      `Schemas ${KUBEFLOW_ROOTS.join(
        ', ',
      )} and every schema they reference; oneOf alternatives are checked as anyOf.`,
    ),
    source: { ...source, version: spec.info.version },
    definitions: Object.fromEntries(Object.entries(definitions).sort()),
  });
}

const all = {
  github,
  argocd,
  flux,
  kserve,
  'argo-rollouts': rollouts,
  kubeflow,
};
for (const [name, run] of Object.entries(all)) {
  if (!args.only || args.only === name) run();
}
