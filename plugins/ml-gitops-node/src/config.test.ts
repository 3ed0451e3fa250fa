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

import { ConfigReader } from '@backstage/config';
import { readMlGitopsSharedConfig } from './config';

describe('readMlGitopsSharedConfig', () => {
  it('defaults to dev, staging, production and no registries', () => {
    expect(readMlGitopsSharedConfig(new ConfigReader({}))).toEqual({
      environments: ['dev', 'staging', 'production'],
      registries: [],
    });
  });

  it('reads the environments and registries', () => {
    expect(
      readMlGitopsSharedConfig(
        new ConfigReader({
          mlGitops: {
            environments: ['dev', 'prod'],
            registries: [
              {
                name: 'mlflow-default',
                type: 'mlflow',
                url: 'https://mlflow.example.com/',
                token: 't',
              },
              { name: 'other', type: 'mlflow', url: 'http://mlflow:5000' },
              {
                name: 'basic',
                type: 'mlflow',
                url: 'https://mlflow.internal',
                username: 'svc-backstage',
                password: 'pw',
              },
            ],
          },
        }),
      ),
    ).toEqual({
      environments: ['dev', 'prod'],
      registries: [
        {
          name: 'mlflow-default',
          type: 'mlflow',
          url: 'https://mlflow.example.com',
          token: 't',
        },
        {
          name: 'other',
          type: 'mlflow',
          url: 'http://mlflow:5000',
          token: undefined,
        },
        {
          name: 'basic',
          type: 'mlflow',
          url: 'https://mlflow.internal',
          username: 'svc-backstage',
          password: 'pw',
        },
      ],
    });
  });

  it.each([
    [{ environments: ['dev', 'dev'] }, /"dev" is listed twice/],
    [{ environments: ['dev', 'a..b'] }, /not a valid Git branch name/],
    [
      { registries: [{ name: 'r', type: 'mlflow', url: 'mlflow:5000' }] },
      /mlGitops.registries\[0\].url must be an absolute http\(s\) URL/,
    ],
    [
      {
        registries: [
          { name: 'r', type: 'mlflow', url: 'https://u:p@mlflow.example.com' },
        ],
      },
      /mlGitops.registries\[0\].url must not carry credentials/,
    ],
    [
      {
        registries: [
          { name: 'r', type: 'mlflow', url: 'https://a.example.com' },
          { name: 'r', type: 'mlflow', url: 'https://b.example.com' },
        ],
      },
      /mlGitops.registries lists the name "r" twice/,
    ],
    [
      {
        registries: [
          {
            name: 'r',
            type: 'mlflow',
            url: 'https://a.example.com',
            token: 't',
            username: 'u',
            password: 'p',
          },
        ],
      },
      /mlGitops.registries\[0\] \("r"\) sets both token and username\/password; keep one/,
    ],
    [
      {
        registries: [
          {
            name: 'r',
            type: 'mlflow',
            url: 'https://a.example.com',
            username: 'u',
          },
        ],
      },
      /mlGitops.registries\[0\] \("r"\) sets username without password; MLflow's basic-auth app needs both/,
    ],
    [
      {
        registries: [
          {
            name: 'r',
            type: 'mlflow',
            url: 'https://a.example.com',
            password: 'p',
          },
        ],
      },
      /sets password without username/,
    ],
    [
      {
        registries: [
          {
            name: 'kf',
            type: 'kubeflow',
            url: 'https://registry.example.com',
            username: 'u',
            password: 'p',
          },
        ],
      },
      /\("kf"\) sets username\/password, which the Kubeflow Model Registry does not take; set token/,
    ],
    [
      {
        registries: [
          {
            name: 'kf',
            type: 'kubeflow',
            url: 'https://registry.example.com',
            timeout: 'soon',
          },
        ],
      },
      /mlGitops.registries\[0\].timeout is not a duration/,
    ],
  ])('refuses %j with a message naming the key', (mlGitops, message) => {
    expect(() =>
      readMlGitopsSharedConfig(new ConfigReader({ mlGitops })),
    ).toThrow(message);
  });

  it('reads mlGitops.allowedOwners in lower case', () => {
    expect(
      readMlGitopsSharedConfig(
        new ConfigReader({
          mlGitops: { allowedOwners: ['Acme', 'ghe.example.com/ML-Team'] },
        }),
      ).allowedOwners,
    ).toEqual(['acme', 'ghe.example.com/ml-team']);
  });

  it.each([
    [
      [],
      'mlGitops.allowedOwners is empty, which would refuse every config repo',
    ],
    [['acme/infra/x'], 'mlGitops.allowedOwners[0] is "acme/infra/x"'],
    [['-acme'], 'mlGitops.allowedOwners[0] is "-acme"'],
    [['ac--me'], 'mlGitops.allowedOwners[0] is "ac--me"'],
    [['a'.repeat(40)], `mlGitops.allowedOwners[0] is "${'a'.repeat(40)}"`],
    [
      ['https://github.com/acme'],
      'mlGitops.allowedOwners[0] is "https://github.com/acme"',
    ],
    [
      ['acme', 'bad host!/acme'],
      'mlGitops.allowedOwners[1] is "bad host!/acme"',
    ],
  ])('refuses mlGitops.allowedOwners %j', (owners, message) => {
    expect(() =>
      readMlGitopsSharedConfig(
        new ConfigReader({ mlGitops: { allowedOwners: owners } }),
      ),
    ).toThrow(message);
  });

  it('reads a registry of type kubeflow with a bearer token and its own timeout', () => {
    const { registries } = readMlGitopsSharedConfig(
      new ConfigReader({
        mlGitops: {
          registries: [
            {
              name: 'kf',
              type: 'kubeflow',
              url: 'https://registry.example.com/',
              token: 'sa-token',
              timeout: { seconds: 40 },
            },
            { name: 'm', type: 'mlflow', url: 'https://mlflow.example.com' },
          ],
        },
      }),
    );
    expect(registries).toEqual([
      {
        name: 'kf',
        type: 'kubeflow',
        url: 'https://registry.example.com',
        token: 'sa-token',
        timeoutMs: 40_000,
      },
      { name: 'm', type: 'mlflow', url: 'https://mlflow.example.com' },
    ]);
  });
});
