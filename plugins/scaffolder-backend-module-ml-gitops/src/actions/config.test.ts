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
import { readMlGitopsSharedConfig } from '@ml-gitops/plugin-ml-gitops-node';
import { readMlGitopsActionsConfig, validateCheckAppId } from './config';

describe('readMlGitopsActionsConfig', () => {
  it('reads environments and registries with the reader the backend uses', () => {
    const config = new ConfigReader({
      mlGitops: {
        environments: ['dev', 'prod'],
        registries: [
          { name: 'mlflow-default', type: 'mlflow', url: 'https://m.example/' },
        ],
      },
    });
    expect(readMlGitopsActionsConfig(config)).toEqual(
      readMlGitopsSharedConfig(config),
    );
    expect(readMlGitopsActionsConfig(config).registries[0].url).toBe(
      'https://m.example',
    );
  });

  it('names the key to fix', () => {
    expect(() =>
      readMlGitopsActionsConfig(
        new ConfigReader({ mlGitops: { environments: ['dev', 'dev'] } }),
      ),
    ).toThrow(/listed twice/);
  });
});

describe('mlGitops.sealedSecrets', () => {
  const read = (sealedSecrets: unknown, nodeEnv = 'production') =>
    readMlGitopsActionsConfig(
      new ConfigReader({ mlGitops: { sealedSecrets } } as any),
      nodeEnv,
    ).sealedSecrets;

  it('is read when set: a default URL, URLs per environment, and whether a pasted certificate is allowed', () => {
    expect(
      read({
        certificateUrl: 'https://sealed-secrets.example.com/v1/cert.pem',
        environments: {
          production: {
            certificateUrl:
              'https://sealed-secrets.prod.example.com/v1/cert.pem',
          },
        },
        allowPastedCertificate: true,
      }),
    ).toEqual({
      certificateUrl: 'https://sealed-secrets.example.com/v1/cert.pem',
      environments: {
        production: {
          certificateUrl: 'https://sealed-secrets.prod.example.com/v1/cert.pem',
        },
      },
      allowPastedCertificate: true,
    });
  });

  it('is left out when not set', () => {
    expect(
      readMlGitopsActionsConfig(new ConfigReader({}), 'production'),
    ).not.toHaveProperty('sealedSecrets');
  });

  it('takes http in development (the sandbox)', () => {
    expect(
      read(
        { certificateUrl: 'http://localhost:7014/v1/cert.pem' },
        'development',
      ),
    ).toEqual({ certificateUrl: 'http://localhost:7014/v1/cert.pem' });
  });

  it.each([
    [
      { certificateUrl: 'cert.pem' },
      /^mlGitops\.sealedSecrets\.certificateUrl must be an absolute https URL without credentials/,
    ],
    [
      { certificateUrl: 'file:///etc/ssl/cert.pem' },
      /^mlGitops\.sealedSecrets\.certificateUrl must be an absolute https URL/,
    ],
    [
      { certificateUrl: 'https://u:p@x.example/v1/cert.pem' },
      /^mlGitops\.sealedSecrets\.certificateUrl must be an absolute https URL without credentials, .*got "https:\/\/\*\*\*@x\.example\/v1\/cert\.pem"$/,
    ],
    [
      { certificateUrl: 'http://sealed-secrets.example.com/v1/cert.pem' },
      /^mlGitops\.sealedSecrets\.certificateUrl is an http URL .*fetched over https only/,
    ],
    [
      {
        environments: {
          staging: { certificateUrl: 'http://10.0.0.7:8080/v1/cert.pem' },
        },
      },
      /^mlGitops\.sealedSecrets\.environments\.staging\.certificateUrl is an http URL/,
    ],
    [
      {
        environments: {
          prod: { certificateUrl: 'https://x.example/v1/cert.pem' },
        },
      },
      /^mlGitops\.sealedSecrets\.environments\.prod names an environment that is not in mlGitops\.environments \(dev, staging, production\)/,
    ],
    [
      { environments: { production: {} } },
      /^mlGitops\.sealedSecrets\.environments\.production\.certificateUrl is missing/,
    ],
    [
      { allowPastedCertificate: 'sometimes' },
      /mlGitops\.sealedSecrets\.allowPastedCertificate/,
    ],
  ])('refuses %j at start, naming the key', (sealedSecrets, message) => {
    expect(() => read(sealedSecrets)).toThrow(message);
  });

  it('binds the validate check to GitHub Actions on github.com, to the configured app elsewhere', () => {
    const plain = readMlGitopsActionsConfig(new ConfigReader({}));
    expect(validateCheckAppId(plain, 'github.com')).toBe(15368);
    expect(validateCheckAppId(plain, 'ghe.example.com')).toBeUndefined();
    const configured = readMlGitopsActionsConfig(
      new ConfigReader({ mlGitops: { validateCheckAppId: 42 } }),
    );
    expect(validateCheckAppId(configured, 'ghe.example.com')).toBe(42);
    expect(() =>
      readMlGitopsActionsConfig(
        new ConfigReader({ mlGitops: { validateCheckAppId: -1 } }),
      ),
    ).toThrow(
      'mlGitops.validateCheckAppId must be the numeric id of a GitHub App (GitHub Actions is 15368 on github.com), got -1',
    );
  });
});
