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

// What one HTTP answer to a GraphQL query says: its data, an error that names the cause, no GraphQL API on the host, or a rate limit.
import { ServiceUnavailableError } from '@backstage/errors';
import { answerExcerpt } from '@ml-gitops/plugin-ml-gitops-common';
import { generalErrors, GraphqlError } from './branchHeadsQuery';
import {
  answerMessage,
  answerText,
  GitHostUnanswered,
  GithubAnswer,
} from './githubTransport';
import { rateLimitedUntil } from './rateLimits';

/** Who was asked what, for the messages of {@link readGraphqlAnswer}. */
export type GraphqlAsked = {
  host: string;
  /** What the query did, e.g. "Reading the branch heads of 3 repo(s) on github.com through GraphQL". */
  what: string;
  /** The transport's timeout, named when the host did not answer in time. */
  timeoutMs: number;
};

/** The meaning of a GraphQL answer. */
export type GraphqlAnswer =
  | { kind: 'data'; data: Record<string, unknown>; errors: GraphqlError[] }
  | { kind: 'failed'; error: Error }
  /** The host has no GraphQL API (404): its REST API is asked instead. */
  | { kind: 'no-graphql' }
  /** The GraphQL budget is spent until `limited.until`. */
  | {
      kind: 'rate-limited';
      limited: { kind: 'primary' | 'secondary'; until: string };
      message: string;
    };

/**
 * The error for a query that got no answer, or no whole answer; an error
 * that is not {@link GitHostUnanswered} is thrown on, as it is a bug.
 */
export function graphqlUnanswered(error: unknown, asked: GraphqlAsked): Error {
  if (!(error instanceof GitHostUnanswered)) throw error;
  return new ServiceUnavailableError(
    error.timedOut
      ? `Git host ${asked.host} did not answer within ${
          asked.timeoutMs / 1000
        } s (${asked.what})`
      : `Git host ${asked.host} is unreachable: ${error.detail}`,
  );
}

/**
 * Reads an answer of GitHub's GraphQL endpoint: its status, then its body,
 * checked to be a GraphQL answer with data. A refusal for the rate limit
 * (a 403 or 429, or a 200 whose errors say RATE_LIMITED) is told apart, as
 * GraphQL points and REST requests are separate budgets (docs.github.com,
 * "Rate limits and node limits for the GraphQL API").
 */
export async function readGraphqlAnswer(
  response: GithubAnswer,
  asked: GraphqlAsked,
): Promise<GraphqlAnswer> {
  const { host, what } = asked;
  const failed = (message: string): GraphqlAnswer => ({
    kind: 'failed',
    error: new ServiceUnavailableError(message),
  });
  if (response.status === 404) {
    return { kind: 'no-graphql' };
  }
  if (!response.ok) {
    // Not JSON: the status says enough.
    const said = answerMessage(response).message;
    const detail = said ? `: ${said}` : '';
    const message = `${what} failed with ${response.status}${detail}`;
    const limited = rateLimitedUntil(response, detail);
    if (limited) {
      return { kind: 'rate-limited', limited, message };
    }
    return failed(
      response.status === 401 || response.status === 403
        ? `${message}. Check the token of integrations.github for ${host}.`
        : message,
    );
  }
  let text: string;
  try {
    text = await answerText(response);
  } catch (error) {
    return { kind: 'failed', error: graphqlUnanswered(error, asked) };
  }
  let body: {
    data?: Record<string, unknown> | null;
    errors?: GraphqlError[];
  };
  try {
    body = JSON.parse(text);
  } catch {
    return failed(
      `${what} got an answer that is not JSON ("${answerExcerpt(
        text,
      )}"); check the apiBaseUrl of integrations.github for ${host}`,
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return failed(
      `${what} got JSON that is not a GraphQL answer; check the apiBaseUrl of integrations.github for ${host}`,
    );
  }
  const errors = Array.isArray(body.errors) ? body.errors : [];
  // A spent GraphQL budget is answered 200 with an error of type
  // RATE_LIMITED.
  const rateLimited = errors.find(
    e => e?.type === 'RATE_LIMITED' || e?.type === 'RATE_LIMIT',
  );
  if (rateLimited) {
    const reset = Number(response.headers['x-ratelimit-reset']);
    return {
      kind: 'rate-limited',
      limited: {
        kind: 'primary',
        until: new Date(
          Number.isFinite(reset) && reset > 0
            ? reset * 1000
            : Date.now() + 60_000,
        ).toISOString(),
      },
      message: `${what} was refused: ${String(
        rateLimited.message ?? 'rate limited',
      )}`,
    };
  }
  const data =
    body.data && typeof body.data === 'object' && !Array.isArray(body.data)
      ? body.data
      : undefined;
  if (!data) {
    const general = generalErrors(errors);
    return failed(
      general.length > 0
        ? `${what} failed: ${general.join('; ')}`
        : `${what} got an answer without data; check the apiBaseUrl of integrations.github for ${host}`,
    );
  }
  return { kind: 'data', data, errors };
}
