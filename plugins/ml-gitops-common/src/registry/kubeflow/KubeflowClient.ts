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

// The Kubeflow Model Registry's REST client: the reads ML GitOps makes, and errors that say what to fix.
import {
  AuthenticationError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { z } from 'zod';
import { fetchWithTimeout, parseJsonOrUndefined } from '../http';
import {
  apiArtifactList,
  apiError,
  apiModelVersion,
  apiModelVersionList,
  apiRegisteredModel,
  modelArtifactsOf,
  modelVersionOf,
  registeredModelOf,
} from './kubeflowAnswers';
import {
  KubeflowApiMetadataValue,
  KubeflowModelArtifact,
  KubeflowModelVersion,
  KubeflowRegisteredModel,
} from './types';

/**
 * The REST API of the Kubeflow Model Registry this client speaks: the
 * `paths` of kubeflow/model-registry `api/openapi/model-registry.yaml`
 * (info.version v1alpha3) all start with it.
 *
 * @public
 */
export const KUBEFLOW_API_PATH = '/api/model_registry/v1alpha3';

/**
 * Options of {@link KubeflowClient.create}.
 *
 * @public
 */
export type KubeflowClientOptions = {
  /**
   * The registry's REST service, e.g. `https://model-registry.example.com`
   * (a path prefix is kept); the client appends {@link KUBEFLOW_API_PATH}.
   */
  baseUrl: string;
  /**
   * Sent as `Authorization: Bearer <token>` (the spec's `Bearer` security
   * scheme): what the auth proxy in front of the registry takes, e.g. a
   * Kubernetes service account token.
   */
  token?: string;
  /** Where the caller sets the token, named in the message of a 401 or 403. */
  credentialsHint?: string;
  /** The fetch to use; defaults to the global one. */
  fetch?: typeof fetch;
  /** Timeout of one request in milliseconds; default 15 000. */
  timeoutMs?: number;
};

/** Artifacts asked for per page (the spec's `pageSize` parameter). */
const PAGE_SIZE = 100;
/** A version with more artifact pages than this is not read further. */
const MAX_PAGES = 10;

/**
 * A client of the Kubeflow Model Registry's REST API (v1alpha3), for what
 * ML GitOps reads: a registered model by name, a version of it by name or id,
 * its versions, and the version's model artifacts; and what it writes: a
 * version's string custom properties (the rejection markers). Isomorphic
 * (fetch only).
 *
 * Answers are checked with zod; an unexpected answer, a timeout or an
 * unreachable server is a `ServiceUnavailableError`, a token the proxy
 * refuses an `AuthenticationError` or `NotAllowedError`, each naming the URL
 * and what to fix.
 *
 * @public
 */
export class KubeflowClient {
  static create(options: KubeflowClientOptions): KubeflowClient {
    return new KubeflowClient(options);
  }

  /** The registry's REST service, without a trailing slash. */
  readonly url: string;
  private readonly token?: string;
  private readonly credentialsHint?: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  private constructor(options: KubeflowClientOptions) {
    this.url = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.credentialsHint = options.credentialsHint;
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /**
   * The registered model of this name (`GET /registered_model?name=`,
   * operation findRegisteredModel), or undefined when there is none.
   */
  async findRegisteredModel(
    name: string,
  ): Promise<KubeflowRegisteredModel | undefined> {
    const body = await this.send(
      'GET',
      'registered_model',
      { name },
      undefined,
      true,
    );
    if (body === undefined) return undefined;
    return registeredModelOf(
      this.parse(apiRegisteredModel, body, 'registered_model'),
    );
  }

  /**
   * The version of this name of a registered model
   * (`GET /model_version?name=&parentResourceId=`, operation
   * findModelVersion), or undefined when there is none.
   */
  async findModelVersion(
    registeredModelId: string,
    name: string,
  ): Promise<KubeflowModelVersion | undefined> {
    const body = await this.send(
      'GET',
      'model_version',
      { name, parentResourceId: registeredModelId },
      undefined,
      true,
    );
    return body === undefined
      ? undefined
      : modelVersionOf(this.parse(apiModelVersion, body, 'model_version'));
  }

  /**
   * A version by its id (`GET /model_versions/{id}`, operation
   * getModelVersion), or undefined when there is none.
   */
  async getModelVersion(id: string): Promise<KubeflowModelVersion | undefined> {
    const endpoint = `model_versions/${encodeURIComponent(id)}`;
    const body = await this.send('GET', endpoint, {}, undefined, true);
    return body === undefined
      ? undefined
      : modelVersionOf(this.parse(apiModelVersion, body, endpoint));
  }

  /**
   * The model artifacts of a version
   * (`GET /model_versions/{id}/artifacts?artifactType=model-artifact`,
   * operation getModelVersionArtifacts), following `nextPageToken`.
   */
  async listModelArtifacts(
    versionId: string,
  ): Promise<KubeflowModelArtifact[]> {
    const endpoint = `model_versions/${encodeURIComponent(
      versionId,
    )}/artifacts`;
    const artifacts: KubeflowModelArtifact[] = [];
    let pageToken = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await this.send('GET', endpoint, {
        artifactType: 'model-artifact',
        pageSize: String(PAGE_SIZE),
        ...(pageToken ? { nextPageToken: pageToken } : {}),
      });
      const list = this.parse(apiArtifactList, body, endpoint);
      artifacts.push(...modelArtifactsOf(list));
      pageToken = list.nextPageToken ?? '';
      if (!pageToken || (list.items ?? []).length === 0) break;
    }
    return artifacts;
  }

  private parse<T>(schema: z.ZodType<T>, body: unknown, endpoint: string): T {
    const result = schema.safeParse(body);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new ServiceUnavailableError(
        `Kubeflow Model Registry at ${
          this.url
        } sent an unexpected ${endpoint} response (${
          issue
            ? `${issue.path.join('.') || 'body'}: ${issue.message}`
            : 'invalid'
        }); check that the URL points to a Kubeflow Model Registry REST service`,
      );
    }
    return result.data;
  }

  /**
   * Every version of a registered model
   * (`GET /registered_models/{id}/versions`, operation
   * getRegisteredModelVersions), following `nextPageToken`; at most
   * 1 000 versions are read.
   */
  async listModelVersions(
    registeredModelId: string,
  ): Promise<KubeflowModelVersion[]> {
    const endpoint = `registered_models/${encodeURIComponent(
      registeredModelId,
    )}/versions`;
    const versions: KubeflowModelVersion[] = [];
    let pageToken = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await this.send('GET', endpoint, {
        pageSize: String(PAGE_SIZE),
        ...(pageToken ? { nextPageToken: pageToken } : {}),
      });
      const list = this.parse(apiModelVersionList, body, endpoint);
      for (const item of list.items ?? []) {
        versions.push(
          modelVersionOf(this.parse(apiModelVersion, item, endpoint)),
        );
      }
      pageToken = list.nextPageToken ?? '';
      if (!pageToken || (list.items ?? []).length === 0) break;
    }
    return versions;
  }
  /**
   * Sets and removes string custom properties of a version (the rejection
   * markers): reads the version, then `PATCH /model_versions/{id}`
   * (operation updateModelVersion) with a `ModelVersionUpdate` whose
   * `customProperties` is the whole map with the changes made, as the
   * registry's own UI sends it, so a removed key is gone whether the server
   * replaces or merges the map; the answer is checked for the removal.
   * Throws a `NotFoundError` when the version does not exist.
   */
  async updateModelVersionProperties(
    versionId: string,
    changes: { set?: Record<string, string>; remove?: string[] },
  ): Promise<KubeflowModelVersion> {
    const endpoint = `model_versions/${encodeURIComponent(versionId)}`;
    const current = await this.send('GET', endpoint, {}, undefined, true);
    if (current === undefined) {
      throw new NotFoundError(
        `Kubeflow Model Registry at ${this.url} has no model version with id ${versionId}`,
      );
    }
    const properties: Record<string, KubeflowApiMetadataValue> = {
      ...(this.parse(apiModelVersion, current, endpoint).customProperties ??
        {}),
    };
    for (const key of changes.remove ?? []) delete properties[key];
    for (const [key, value] of Object.entries(changes.set ?? {})) {
      properties[key] = {
        metadataType: 'MetadataStringValue',
        string_value: value,
      };
    }
    const answer = await this.send(
      'PATCH',
      endpoint,
      {},
      {
        customProperties: properties,
      },
    );
    const updated = modelVersionOf(
      this.parse(apiModelVersion, answer, endpoint),
    );
    const kept = (changes.remove ?? []).filter(
      key => key in updated.properties.tags,
    );
    if (kept.length > 0) {
      throw new ServiceUnavailableError(
        `Kubeflow Model Registry at ${
          this.url
        } kept the custom properties ${kept.join(
          ', ',
        )} of model version ${versionId} after a PATCH without them; remove them in the registry's UI`,
      );
    }
    return updated;
  }

  /**
   * Sends a request to an endpoint below {@link KUBEFLOW_API_PATH};
   * resolves to the JSON body, or undefined for the registry's own 404 (an
   * Error body) when `missingIsUndefined`.
   */
  private async send(
    method: 'GET' | 'PATCH',
    endpoint: string,
    query: Record<string, string>,
    body?: unknown,
    missingIsUndefined = false,
  ): Promise<unknown> {
    const search = new URLSearchParams(query).toString();
    const url = `${this.url}${KUBEFLOW_API_PATH}/${endpoint}${
      search ? `?${search}` : ''
    }`;
    const where = `Kubeflow Model Registry at ${this.url}`;
    const action = `${method} ${endpoint}`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const response = await fetchWithTimeout(
      this.fetchFn,
      url,
      {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      },
      { where, timeoutMs: this.timeoutMs, action },
    );
    const text = await response.text().catch(() => '');
    const json = parseJsonOrUndefined(text);
    if (response.ok) {
      if (json === null || typeof json !== 'object') {
        throw new ServiceUnavailableError(
          `${where} sent a response to ${action} that is not JSON; check that the URL points to a Kubeflow Model Registry REST service (${url})`,
        );
      }
      return json;
    }
    const error = apiError.safeParse(json);
    const message = error.success ? error.data.message : text.slice(0, 200);
    const hint = this.credentialsHint ? ` in ${this.credentialsHint}` : '';
    if (response.status === 404 && error.success && missingIsUndefined) {
      // The registry's own "not found" (ErrorResponse in
      // internal/server/openapi/helpers.go: code "Not Found" and a message
      // such as "no model versions found for name=…").
      return undefined;
    }
    if (response.status === 401) {
      throw new AuthenticationError(
        this.token
          ? `${where} answered 401 on ${action}: the token${hint} is not accepted (invalid or expired); set a bearer token its auth proxy accepts`
          : `${where} answered 401 on ${action}: it needs a bearer token; set token${hint}`,
      );
    }
    if (response.status === 403) {
      const access =
        method === 'GET'
          ? "read access to the model registry (e.g. RBAC get on its service in the registry's namespace)"
          : "write access to the model registry, which rejecting a version needs (e.g. RBAC update on its service in the registry's namespace)";
      throw new NotAllowedError(
        `${where} answered 403 on ${action}${
          message ? ` (${message.trim()})` : ''
        }: give the identity of the token${hint} ${access}`,
      );
    }
    if (response.status === 404) {
      throw new ServiceUnavailableError(
        `${where} has no ${endpoint} endpoint (404 on ${url}); check that the URL points to a Kubeflow Model Registry REST service serving ${KUBEFLOW_API_PATH}`,
      );
    }
    if (response.status >= 400 && response.status < 500) {
      throw new InputError(
        `${where} rejected ${action} (${response.status}): ${message}`,
      );
    }
    throw new ServiceUnavailableError(
      `${where} failed on ${action} (${response.status}${
        message ? `: ${message}` : ''
      }); try again, or check the server's logs`,
    );
  }
}
