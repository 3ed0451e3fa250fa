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

import contract from './mlflowRestContract.json';

type FieldType = string;
type MessageSpec = { fields: Record<string, FieldType>; required: string[] };

const messages = contract.messages as Record<string, MessageSpec>;
const enums = contract.enums as Record<string, string[]>;
const endpoints = contract.endpoints as Record<string, string>;
const requests = contract.requests as Record<string, string>;

/** The endpoints the contract describes, e.g. `GET model-versions/get`. @public */
export const MLFLOW_CONTRACT_ENDPOINTS = Object.keys(endpoints);

const SPECIAL_DOUBLES = ['NaN', 'Infinity', '-Infinity'];

function checkValue(
  type: FieldType,
  value: unknown,
  path: string,
  problems: string[],
) {
  if (type === 'any') {
    return;
  }
  if (type.startsWith('repeated ')) {
    if (!Array.isArray(value)) {
      problems.push(`${path} must be a list`);
      return;
    }
    if (value.length === 0) {
      // Protobuf's JSON leaves out an empty repeated field.
      problems.push(`${path} is an empty list; MLflow leaves it out`);
    }
    const itemType = type.slice('repeated '.length);
    value.forEach((item, i) =>
      checkValue(itemType, item, `${path}[${i}]`, problems),
    );
    return;
  }
  if (type.startsWith('enum ')) {
    const allowed = enums[type.slice('enum '.length)];
    if (typeof value !== 'string' || !allowed.includes(value)) {
      problems.push(
        `${path} must be one of ${allowed.join(', ')}, got ${JSON.stringify(
          value,
        )}`,
      );
    }
    return;
  }
  switch (type) {
    case 'string':
      if (typeof value !== 'string') {
        problems.push(`${path} must be a string, got ${JSON.stringify(value)}`);
      }
      return;
    case 'int64':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        problems.push(
          `${path} must be an integer (MLflow writes int64 as a JSON number), got ${JSON.stringify(
            value,
          )}`,
        );
      }
      return;
    case 'double':
      if (
        typeof value !== 'number' &&
        !(typeof value === 'string' && SPECIAL_DOUBLES.includes(value))
      ) {
        problems.push(`${path} must be a number, got ${JSON.stringify(value)}`);
      }
      return;
    case 'bool':
      if (typeof value !== 'boolean') {
        problems.push(`${path} must be true or false`);
      }
      return;
    default:
      checkMessage(type, value, path, problems);
  }
}

function checkMessage(
  name: string,
  value: unknown,
  path: string,
  problems: string[],
) {
  const spec = messages[name];
  if (!spec) {
    throw new Error(`the MLflow contract has no message ${name}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${path} must be a ${name} object`);
    return;
  }
  const object = value as Record<string, unknown>;
  for (const key of spec.required) {
    if (object[key] === undefined) {
      problems.push(`${path}.${key} is missing (MLflow always sends it)`);
    }
  }
  for (const [key, field] of Object.entries(object)) {
    const type = spec.fields[key];
    if (type === undefined) {
      problems.push(`${path}.${key} is not a field of MLflow's ${name}`);
    } else if (field === null) {
      problems.push(`${path}.${key} is null; MLflow leaves unset fields out`);
    } else if (field !== undefined) {
      checkValue(type, field, `${path}.${key}`, problems);
    }
  }
}

/**
 * What is wrong with an answer to `endpoint` (e.g. `GET model-versions/get`)
 * measured against MLflow's REST API (mlflowRestContract.json): invented
 * fields, missing ones MLflow always sends, wrong types, empty lists MLflow
 * leaves out. An answer with an HTTP error status is checked as MLflow's
 * error body. Empty when it matches.
 * @public
 */
export function mlflowContractProblems(
  endpoint: string,
  body: unknown,
  status = 200,
): string[] {
  const message = status >= 400 ? 'Error' : endpoints[endpoint];
  if (!message) {
    throw new Error(
      `the MLflow contract does not describe ${endpoint}; one of ${MLFLOW_CONTRACT_ENDPOINTS.join(
        ', ',
      )}`,
    );
  }
  const problems: string[] = [];
  checkMessage(message, body, message, problems);
  return problems;
}

/**
 * Reads an MLflow answer (a fetch Response from an emulator or an msw
 * fixture) and returns its contract problems, for tests.
 * @public
 */
export async function mlflowResponseProblems(
  endpoint: string,
  response: Response,
): Promise<string[]> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [`the answer to ${endpoint} is not JSON: ${text.slice(0, 80)}`];
  }
  return mlflowContractProblems(endpoint, body, response.status);
}

/**
 * What is wrong with the JSON body of a request to a write `endpoint` (e.g.
 * `POST model-versions/set-tag`) measured against MLflow's request message:
 * fields MLflow does not know, required ones missing, wrong types. Empty
 * when it matches.
 * @public
 */
export function mlflowRequestProblems(
  endpoint: string,
  body: unknown,
): string[] {
  const message = requests[endpoint];
  if (!message) {
    throw new Error(
      `the MLflow contract describes no request body of ${endpoint}; one of ${Object.keys(
        requests,
      ).join(', ')}`,
    );
  }
  const problems: string[] = [];
  checkMessage(message, body, message, problems);
  return problems;
}
