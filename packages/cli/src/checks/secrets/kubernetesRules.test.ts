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

import { lintSource } from '@secretlint/core';
import {
  credentialRule,
  isCredentialKey,
  kubernetesSecretRule,
  looksLikeCredential,
} from './kubernetesRules';
import {
  base64Password,
  randomSecret,
} from '../../__testUtils__/secretFixtures';

async function lint(filePath: string, content: string) {
  const result = await lintSource({
    source: { filePath, content, contentType: 'text' },
    options: {
      config: {
        rules: [
          { id: kubernetesSecretRule.meta.id, rule: kubernetesSecretRule },
          { id: credentialRule.meta.id, rule: credentialRule },
        ],
      },
    },
  });
  return result.messages.map(m => ({
    rule: m.ruleId.replace('@ml-gitops/secretlint-rule-', ''),
    line: m.loc.start.line,
    message: m.message,
  }));
}

describe('kubernetes-secret rule', () => {
  it('refuses a Secret with data', async () => {
    const found = await lint(
      '/r/deploy/secret.yaml',
      `apiVersion: v1\nkind: Secret\nmetadata: { name: db }\ndata:\n  password: ${base64Password()}\n`,
    );
    expect(found).toEqual([
      expect.objectContaining({
        rule: 'kubernetes-secret',
        line: 4,
        message: expect.stringContaining('kind: Secret with data'),
      }),
    ]);
  });

  it('refuses stringData, in any document of a stream and in a List', async () => {
    const found = await lint(
      '/r/all.yaml',
      `kind: ConfigMap\ndata: { a: b }\n---\nkind: Secret\nstringData:\n  token: abc\n---\nkind: List\nitems:\n  - kind: Secret\n    data: { a: YQ== }\n`,
    );
    expect(found.map(f => f.line)).toEqual([5, 11]);
  });

  it('refuses a Secret in JSON', async () => {
    const found = await lint(
      '/r/secret.json',
      JSON.stringify({ apiVersion: 'v1', kind: 'Secret', data: { a: 'YQ==' } }),
    );
    expect(found).toHaveLength(1);
  });

  it('refuses a Secret in a Helm template that is not valid YAML', async () => {
    const found = await lint(
      '/r/deploy/chart/templates/secret.yaml',
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  {{- range $k, $v := .Values.creds }}\n  {{ $k }}: {{ $v | b64enc }}\n  {{- end }}\n`,
    );
    expect(found).toEqual([
      expect.objectContaining({ rule: 'kubernetes-secret', line: 5 }),
    ]);
  });

  it('accepts SealedSecret, ExternalSecret, a Secret without data and ConfigMaps', async () => {
    expect(
      await lint(
        '/r/secrets/db.sealed.yaml',
        `apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: { name: db }\nspec:\n  encryptedData:\n    password: AgB${randomSecret()}${randomSecret()}\n  template:\n    metadata: { name: db }\n`,
      ),
    ).toEqual([]);
    expect(
      await lint(
        '/r/secrets/db.external.yaml',
        'apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nspec:\n  data:\n    - secretKey: password\n      remoteRef: { key: db/password }\n',
      ),
    ).toEqual([]);
    expect(
      await lint(
        '/r/a.yaml',
        'kind: Secret\nmetadata: { name: x }\ndata: {}\n',
      ),
    ).toEqual([]);
    expect(
      await lint(
        '/r/t.yaml',
        'kind: Secret\nmetadata:\n  name: {{ .Release.Name }}\ntype: Opaque\n',
      ),
    ).toEqual([]);
    expect(
      await lint('/r/c.yaml', 'kind: ConfigMap\ndata: { a: b }\n'),
    ).toEqual([]);
  });
});

describe('credential rule', () => {
  it('refuses a literal password, whatever its entropy', async () => {
    expect(await lint('/r/values.yaml', 'db:\n  password: hunter22\n')).toEqual(
      [
        expect.objectContaining({
          rule: 'credential',
          line: 2,
          message: expect.stringContaining('"password"'),
        }),
      ],
    );
  });

  it('refuses a high-entropy token in YAML and in .env files', async () => {
    expect(
      await lint('/r/values.yaml', `apiToken: ${randomSecret()}\n`),
    ).toHaveLength(1);
    expect(
      await lint('/r/.env', `export CLIENT_SECRET="${randomSecret()}"\n`),
    ).toEqual([expect.objectContaining({ line: 1 })]);
    expect(
      await lint('/r/app.properties', `# x\ndb.password=${randomSecret()}\n`),
    ).toEqual([expect.objectContaining({ line: 2 })]);
  });

  it('accepts placeholders, references and low-entropy names', async () => {
    const ok = [
      'password: ${DB_PASSWORD}',
      'password: "{{ .Values.db.password }}"',
      'token: ${{ secrets.MLFLOW_TOKEN }}',
      'password: <your password>',
      'password: changeme',
      'password: ""',
      'existingSecret: db-credentials',
      'tokenizer: bert-base-uncased',
      'secretName: db-credentials',
      'max_tokens: 256',
      'token: short',
      'api_key: this is not a key but a sentence about it',
    ];
    for (const line of ok) {
      expect(await lint('/r/values.yaml', `${line}\n`)).toEqual([]);
    }
  });

  it('classifies keys and values', () => {
    expect(isCredentialKey('DB_PASSWORD')).toBe(true);
    expect(isCredentialKey('client-secret')).toBe(true);
    expect(isCredentialKey('aws_secret_access_key')).toBe(true);
    expect(isCredentialKey('existingSecret')).toBe(false);
    expect(isCredentialKey('secretName')).toBe(false);
    expect(looksLikeCredential('token', randomSecret())).toBe(true);
    expect(looksLikeCredential('token', 'aaaaaaaaaaaaaaaaaaaa')).toBe(false);
  });
});
