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
 * The contracts that real systems publish, sliced to what ML GitOps reads
 * (./contracts, written by scripts/contracts/refresh.mjs; each file's
 * $comment names its source repository, path and commit), and the checks
 * that measure an emulator's answer or an msw fixture against them.
 */

import githubContract from './contracts/github/restContract.json';
import argoCdContract from './contracts/argocd/swaggerContract.json';
import fluxContract from './contracts/flux/crdContract.json';
import kserveContract from './contracts/kserve/crdContract.json';
import rolloutsContract from './contracts/argo-rollouts/crdContract.json';
import kubeflowContract from './contracts/kubeflow/openapiContract.json';
import { JsonSchema, jsonSchemaProblems } from './jsonSchema';

const github = githubContract as unknown as {
  error: string;
  operations: Record<string, Record<string, JsonSchema | null>>;
  definitions: Record<string, JsonSchema>;
};

/** The GitHub REST operations the contract describes, e.g. `GET /repos/{owner}/{repo}/pulls`. @public */
export const GITHUB_CONTRACT_OPERATIONS = Object.keys(github.operations);

const operationPatterns = GITHUB_CONTRACT_OPERATIONS.map(operation => {
  const [method, template] = operation.split(' ');
  const source = template
    .split('/')
    .map(segment =>
      segment === '{path}' || segment === '{ref}'
        ? '.+'
        : segment.replace(/\{[^}]+\}/g, '[^/]+'),
    )
    .join('/');
  return {
    operation,
    method,
    pattern: new RegExp(`^${source}$`),
    // The more literal segments, the more specific.
    literal: template.split('/').filter(s => s && !s.startsWith('{')).length,
  };
}).sort((a, b) => b.literal - a.literal);

/**
 * The operation a request is an instance of (`PUT`, `/repos/a/b/contents/x`
 * → `PUT /repos/{owner}/{repo}/contents/{path}`), or undefined.
 * @public
 */
export function githubOperationOf(
  method: string,
  path: string,
): string | undefined {
  const bare = path.replace(/\?.*$/, '').replace(/^\/api\/v3/, '');
  return operationPatterns.find(
    p => p.method === method.toUpperCase() && p.pattern.test(bare),
  )?.operation;
}

/**
 * Where GitHub's description contradicts itself and GitHub: a problem that
 * matches is not reported.
 */
const GITHUB_ERRATA: RegExp[] = [
  // pull-request-simple (pulls list, commits/{sha}/pulls) types a label's
  // description as a string, but the same label is nullable in `label` and
  // in `pull-request`, and GitHub sends null for a label without one.
  /^\$(\[\d+\])?\.labels\[\d+\]\.description is null;/,
];

/**
 * What is wrong with a GitHub REST answer to `operation` (one of
 * GITHUB_CONTRACT_OPERATIONS) with HTTP `status`, measured against GitHub's
 * OpenAPI description; an error status is checked as GitHub's basic-error.
 * @public
 */
export function githubContractProblems(
  operation: string,
  body: unknown,
  status = 200,
): string[] {
  const responses = github.operations[operation];
  if (!responses) {
    throw new Error(
      `the GitHub contract does not describe ${operation}; one of ${GITHUB_CONTRACT_OPERATIONS.join(
        ', ',
      )}`,
    );
  }
  let schema: JsonSchema | null | undefined;
  if (status === 304) {
    // Not Modified: a conditional request's answer, without a body.
    return body === undefined
      ? []
      : [`a 304 answer to ${operation} has a body`];
  }
  if (status >= 400) {
    schema = { $ref: `#/definitions/${github.error}` };
  } else {
    schema = responses[String(status)];
    if (schema === undefined) {
      return [
        `GitHub answers ${operation} with ${Object.keys(responses).join(
          ' or ',
        )}, not ${status}`,
      ];
    }
  }
  if (schema === null) {
    return body === undefined || body === '' || body === null
      ? []
      : [`GitHub answers ${operation} ${status} with no body`];
  }
  return jsonSchemaProblems(schema, body, {
    definitions: github.definitions,
    owner: "GitHub's",
  }).filter(problem => !GITHUB_ERRATA.some(e => e.test(problem)));
}

const argoCd = argoCdContract as unknown as {
  definitions: Record<string, JsonSchema>;
};

/**
 * What is wrong with an Argo CD API answer measured against the definition
 * `definition` of Argo CD's swagger (e.g. `v1alpha1Application`,
 * `v1alpha1ApplicationList`, `versionVersionMessage`).
 * @public
 */
export function argoCdContractProblems(
  definition: string,
  body: unknown,
): string[] {
  if (!argoCd.definitions[definition]) {
    throw new Error(`the Argo CD contract does not describe ${definition}`);
  }
  return jsonSchemaProblems({ $ref: `#/definitions/${definition}` }, body, {
    definitions: argoCd.definitions,
    owner: "Argo CD's",
    // Swagger 2.0 has no nullable, and Argo CD writes JSON with Go's
    // encoding/json: a nil slice without omitempty, or a nil pointer picked
    // by `fields` (processAppFields in
    // pkg/apiclient/application/forwarder_overwrite.go), comes out as null.
    anyNull: true,
  });
}

const kubeflow = kubeflowContract as unknown as {
  definitions: Record<string, JsonSchema>;
};

/**
 * What is wrong with a Kubeflow Model Registry answer (`RegisteredModel`,
 * `ModelVersion`, `ArtifactList`, `Error`) or request body
 * (`ModelVersionUpdate`) measured against the schema of its OpenAPI
 * description. Empty when it matches.
 * @public
 */
export function kubeflowContractProblems(
  schema:
    | 'RegisteredModel'
    | 'ModelVersion'
    | 'ModelVersionUpdate'
    | 'ArtifactList'
    | 'Error',
  body: unknown,
): string[] {
  return jsonSchemaProblems({ $ref: `#/definitions/${schema}` }, body, {
    definitions: kubeflow.definitions,
    owner: "the Kubeflow Model Registry's",
  });
}

type CrdContract = {
  kinds: Record<string, { apiVersion: string; schema: JsonSchema }>;
};
const kinds: Record<string, { apiVersion: string; schema: JsonSchema }> = {};
for (const contract of [fluxContract, kserveContract, rolloutsContract]) {
  Object.assign(kinds, (contract as unknown as CrdContract).kinds);
}

/** The custom resources the Kubernetes contract describes, by kind. @public */
export const KUBE_CONTRACT_KINDS = Object.fromEntries(
  Object.entries(kinds).map(([kind, { apiVersion }]) => [kind, apiVersion]),
);

/**
 * What is wrong with a Kubernetes object of a kind in KUBE_CONTRACT_KINDS
 * (Flux's Kustomization, HelmRelease and GitRepository, KServe's
 * InferenceService, Argo Rollouts' AnalysisRun) measured against the
 * OpenAPI v3 schema of its CustomResourceDefinition.
 * @public
 */
export function kubeContractProblems(object: unknown): string[] {
  const { kind, apiVersion } = (object ?? {}) as {
    kind?: string;
    apiVersion?: string;
  };
  const contract = kind ? kinds[kind] : undefined;
  if (!contract) {
    throw new Error(
      `the Kubernetes contract does not describe kind ${kind}; one of ${Object.keys(
        kinds,
      ).join(', ')}`,
    );
  }
  const problems =
    apiVersion === contract.apiVersion
      ? []
      : [
          `$.apiVersion is ${apiVersion}; the CRD serves ${contract.apiVersion}`,
        ];
  return problems.concat(
    jsonSchemaProblems(contract.schema, object, {
      owner: `the ${kind} CRD's`,
    }),
  );
}

/** Reads an answer (a fetch Response) as JSON, for the checks above. @public */
export async function responseJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`the answer is not JSON: ${text.slice(0, 80)}`);
  }
}

const ARGOCD_ANSWERS: Array<[RegExp, string]> = [
  [/^GET \/api\/v1\/applications$/, 'v1alpha1ApplicationList'],
  [/^GET \/api\/v1\/applications\/[^/]+$/, 'v1alpha1Application'],
  [/^POST \/api\/v1\/applications(\/[^/]+\/sync)?$/, 'v1alpha1Application'],
  [/^GET \/api\/version$/, 'versionVersionMessage'],
];

/**
 * The contract problems of an answer to a request, for whichever published
 * contract describes it: a GitHub REST operation, an Argo CD Application,
 * list or version, or a Kubernetes object or list of a kind in
 * KUBE_CONTRACT_KINDS. Undefined when no contract describes it.
 * @public
 */
export function answerContractProblems(
  method: string,
  url: string,
  status: number,
  body: unknown,
): string[] | undefined {
  const path = new URL(url, 'http://localhost').pathname;
  const upper = method.toUpperCase();
  const operation = githubOperationOf(upper, path);
  if (operation) {
    return githubContractProblems(operation, body, status);
  }
  const kubeflowSchema = kubeflowAnswerSchema(path, status);
  if (kubeflowSchema) {
    return kubeflowContractProblems(kubeflowSchema, body);
  }
  if (status >= 400) {
    return undefined;
  }
  const argo = ARGOCD_ANSWERS.find(([pattern]) =>
    pattern.test(`${upper} ${path.replace(/\/+$/, '')}`),
  );
  if (argo) {
    return argoCdContractProblems(argo[1], body);
  }
  if (!path.startsWith('/apis/') || !body || typeof body !== 'object') {
    return undefined;
  }
  const object = body as { kind?: string; items?: unknown[] };
  if (object.kind && kinds[object.kind]) {
    return kubeContractProblems(object);
  }
  const itemKind = object.kind?.replace(/List$/, '');
  if (itemKind && kinds[itemKind] && Array.isArray(object.items)) {
    return object.items.flatMap((item, i) =>
      kubeContractProblems({
        apiVersion: kinds[itemKind].apiVersion,
        kind: itemKind,
        ...(item as object),
      }).map(p => p.replace(/^\$/, `$.items[${i}]`)),
    );
  }
  return undefined;
}

/** The schema of a Kubeflow Model Registry answer, by the spec's paths. */
function kubeflowAnswerSchema(path: string, status: number) {
  const prefix = '/api/model_registry/v1alpha3/';
  const at = path.indexOf(prefix);
  if (at < 0) return undefined;
  if (status >= 400) return 'Error' as const;
  const route = path.slice(at + prefix.length).replace(/\/+$/, '');
  if (route === 'registered_model') return 'RegisteredModel' as const;
  if (route === 'model_version' || /^model_versions\/[^/]+$/.test(route)) {
    return 'ModelVersion' as const;
  }
  if (/^model_versions\/[^/]+\/artifacts$/.test(route)) {
    return 'ArtifactList' as const;
  }
  return undefined;
}

/** What msw's setupServer offers to watch its answers. @public */
export type WatchedServer = {
  events: {
    on(
      event: 'response:mocked',
      listener: (args: { request: Request; response: Response }) => void,
    ): void;
  };
};

/**
 * Measures every answer an msw server gives (an msw fixture) against the
 * published contracts; `problems()` resolves to what was found since the
 * last `reset()`, each prefixed with its request.
 * @public
 */
export function watchContractAnswers(server: WatchedServer) {
  let pending: Array<Promise<string[]>> = [];
  server.events.on('response:mocked', ({ request, response }) => {
    const copy = response.clone();
    pending.push(
      copy.text().then(
        text => {
          let body: unknown = undefined;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            return [];
          }
          const found = answerContractProblems(
            request.method,
            request.url,
            response.status,
            body,
          );
          const { pathname } = new URL(request.url);
          return (found ?? []).map(
            p => `${request.method} ${pathname} → ${response.status}: ${p}`,
          );
        },
        // A body that breaks off (a test of a dropped connection) has no
        // whole answer to measure.
        () => [],
      ),
    );
  });
  return {
    async problems(): Promise<string[]> {
      return [...new Set((await Promise.all(pending)).flat())];
    },
    reset() {
      pending = [];
    },
  };
}

/**
 * For a test file: measures every answer of `server` (its msw fixtures)
 * against the published contracts, and fails a test whose fixtures broke
 * one. A test that means to send a broken answer (to prove the product
 * copes) calls `deliberatelyBroken()`.
 * @public
 */
export function registerContractChecks(server: WatchedServer) {
  const watch = watchContractAnswers(server);
  let broken = false;
  beforeEach(() => {
    watch.reset();
    broken = false;
  });
  afterEach(async () => {
    const problems = await watch.problems();
    if (!broken && problems.length > 0) {
      throw new Error(
        `msw answers that break a published contract (fix the fixture, not the contract):\n${problems.join(
          '\n',
        )}`,
      );
    }
  });
  return {
    deliberatelyBroken() {
      broken = true;
    },
  };
}
