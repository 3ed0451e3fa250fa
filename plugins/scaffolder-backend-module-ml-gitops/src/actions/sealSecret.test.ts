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
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import crypto from 'node:crypto';
import { ConfigReader } from '@backstage/config';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { makeContext, makeOptions, outputsOf } from '../__testUtils__/setup';
import {
  makeSealingKeys,
  parseSealedSecret,
  sha256,
} from '../__testUtils__/sealing';
import {
  readMlGitopsActionsConfig,
  SealedSecretsActionsConfig,
} from './config';
import { createSealSecretAction } from './sealSecret';
import {
  fetchConfiguredCertificate,
  MAX_CERTIFICATE_BYTES,
} from './sealingCertificate';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';
import { parseYamlStrict } from '@ml-gitops/plugin-ml-gitops-common';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

const keys = makeSealingKeys();
const PATH = 'secrets/fraud-detector-db.sealed.yaml';
const PASSWORD = 'hunter2-very-secret';
/** The certificate every environment uses unless it has its own. */
const CERT_URL = 'https://sealed-secrets.example.com/v1/cert.pem';

const input = {
  entityRef: 'component:default/fraud-detector',
  environment: 'production',
  name: 'fraud-detector-db',
  namespace: 'ml-serving',
  data: { password: PASSWORD },
};

function setup(
  sealedSecrets: SealedSecretsActionsConfig = { certificateUrl: CERT_URL },
) {
  const repo = new FakeGithubRepo('acme', 'fraud-detector-config');
  for (const branch of ['dev', 'staging', 'production']) {
    repo.commit({
      branch,
      parents: [],
      message: `Initial ${branch}`,
      date: '2026-11-01T10:00:00Z',
      files: { 'deploy/model.yaml': manifest('12') },
    });
  }
  server.use(
    ...repo.writeHandlers(),
    ...repo.handlers(),
    http.get(CERT_URL, () => HttpResponse.text(keys.certificate)),
  );
  return {
    repo,
    action: createSealSecretAction(makeOptions({ sealedSecrets })),
  };
}

describe('ml-gitops:secret:seal', () => {
  it('opens a pull request adding a SealedSecret only the controller can open', async () => {
    const { repo, action } = setup();
    const { ctx, logs } = makeContext(input);
    await action.handler(ctx);

    const branch = 'ml-gitops/seal/production/fraud-detector-db';
    expect(outputsOf(ctx)).toEqual({
      path: PATH,
      changeRequestUrl:
        'https://github.com/acme/fraud-detector-config/pull/101',
      number: 101,
      targetBranchName: 'production',
      pullRequestUrl: 'https://github.com/acme/fraud-detector-config/pull/101',
      pullRequestNumber: 101,
      branch,
    });
    expect(repo.opened[0]).toMatchObject({
      title: 'Seal secret fraud-detector-db for fraud-detector in production',
      head: branch,
      base: 'production',
      labels: ['ml-gitops/secret'],
    });
    const text = repo.commits.get(repo.branches.get(branch)!)!.files[PATH];
    // The pull request check reads it strictly: no anchors or aliases, even
    // for the metadata written twice.
    expect(parseYamlStrict(text, { path: PATH })).toMatchObject({ ok: true });
    const sealed = parseSealedSecret(text);
    expect(sealed).toMatchObject({
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata: { name: 'fraud-detector-db', namespace: 'ml-serving' },
      spec: {
        template: {
          metadata: { name: 'fraud-detector-db', namespace: 'ml-serving' },
          type: 'Opaque',
        },
      },
    });
    // The controller opens it to the value (compared by digest) ...
    expect(keys.controller.unseal(text)).toMatchObject({
      ok: true,
      scope: 'strict',
      data: { password: { sha256: sha256(PASSWORD) } },
    });
    // ... and, strict scope, not under another name.
    const renamed = {
      ...sealed,
      metadata: { ...sealed.metadata, name: 'other' },
    };
    expect(keys.controller.unseal(JSON.stringify(renamed)).ok).toBe(false);
    // No plaintext anywhere but the sealed value.
    const everything = [
      text,
      repo.opened[0].body,
      logs.join('\n'),
      JSON.stringify(outputsOf(ctx)),
    ].join('\n');
    expect(everything).not.toContain(PASSWORD);
  });

  it("seals namespace-wide with the label kubeseal uses and the environment's own certificate", async () => {
    const production = makeSealingKeys();
    const PROD_URL = 'https://sealed-secrets.prod.example.com/v1/cert.pem';
    const { repo, action } = setup({
      certificateUrl: CERT_URL,
      environments: { production: { certificateUrl: PROD_URL } },
    });
    server.use(
      http.get(PROD_URL, () => HttpResponse.text(production.certificate)),
    );
    const { ctx } = makeContext({
      ...input,
      scope: 'namespace-wide' as const,
    });
    await action.handler(ctx);
    const branch = outputsOf(ctx).branch as string;
    const text = repo.commits.get(repo.branches.get(branch)!)!.files[PATH];
    expect(parseSealedSecret(text).metadata.annotations).toEqual({
      'sealedsecrets.bitnami.com/namespace-wide': 'true',
    });
    expect(production.controller.unseal(text)).toMatchObject({
      ok: true,
      scope: 'namespace-wide',
      data: { password: { sha256: sha256(PASSWORD) } },
    });
    // Not the default certificate's controller.
    expect(keys.controller.unseal(text).ok).toBe(false);
  });

  it('opens one pull request when retried; a run without its checkpoints seals again on the same branch', async () => {
    const { repo, action } = setup();
    let failOnce = true;
    server.use(
      http.post(
        'https://api.github.com/repos/acme/fraud-detector-config/pulls',
        () => {
          if (failOnce) {
            failOnce = false;
            return HttpResponse.json({ message: 'boom' }, { status: 502 });
          }
          return undefined;
        },
      ),
    );
    await expect(action.handler(makeContext(input).ctx)).rejects.toThrow(/502/);
    await action.handler(makeContext(input).ctx); // no checkpoints kept
    expect(repo.opened).toHaveLength(1);
    // Sealing is randomised: the new run's ciphertext replaces the first
    // one, still one commit on production's head.
    const branch = 'ml-gitops/seal/production/fraud-detector-db';
    expect(repo.commits.get(repo.branches.get(branch)!)!.parents).toEqual([
      repo.branches.get('production'),
    ]);
  });

  it('takes one key and value instead of data', async () => {
    const { repo, action } = setup();
    const { ctx } = makeContext({
      ...input,
      data: undefined,
      key: 'token',
      value: PASSWORD,
    });
    await action.handler(ctx);
    const sealed = parseSealedSecret(
      repo.commits.get(repo.branches.get(outputsOf(ctx).branch as string)!)!
        .files[PATH],
    );
    expect(Object.keys(sealed.spec.encryptedData)).toEqual(['token']);
  });

  it('touches nothing in a dry run', async () => {
    const { repo, action } = setup();
    const { ctx, logs } = makeContext(input, { isDryRun: true });
    await action.handler(ctx);
    expect(repo.opened).toHaveLength(0);
    expect(repo.calls.filter(c => /^(create-ref|put)/.test(c))).toEqual([]);
    expect(logs.join('\n')).toMatch(/Dry run: would commit secrets\//);
  });

  it.each([
    [
      'an invalid name',
      { name: 'Fraud_DB' },
      /name "Fraud_DB" is not a valid Secret name/,
    ],
    [
      'an invalid namespace',
      { namespace: 'ML' },
      /namespace "ML" is not a valid namespace/,
    ],
    ['empty data', { data: {} }, /data is empty/],
    [
      'an invalid key',
      { data: { 'a b': 'x' } },
      /Invalid Secret key\(s\) "a b"/,
    ],
    [
      'an empty value',
      { data: { password: '' } },
      /The value of password is empty/,
    ],
    [
      'an unknown environment',
      { environment: 'qa' },
      /"qa" is not a configured environment/,
    ],
  ])('refuses %s before touching Git', async (_what, change, message) => {
    const { repo, action } = setup();
    await expect(
      action.handler(makeContext({ ...input, ...change }).ctx),
    ).rejects.toThrow(message);
    expect(repo.calls).toEqual([]);
  });
});

describe('ml-gitops:secret:seal never reveals the value', () => {
  const VALUE = 'S3cr3t-Value-Never-Logged-9f2c';
  const valueInput = { ...input, data: undefined, key: 'token', value: VALUE };

  it('keeps it out of logs, outputs, checkpoints, the pull request and Git', async () => {
    const { repo, action } = setup();
    const { ctx, logs, checkpoints } = makeContext(valueInput);
    await action.handler(ctx);
    const outputs = outputsOf(ctx);
    const committed = repo.commits.get(
      repo.branches.get(outputs.branch as string)!,
    )!;
    // It was sealed, and the controller's key opens it.
    expect(keys.controller.unseal(committed.files[PATH])).toMatchObject({
      ok: true,
      data: { token: { sha256: sha256(VALUE) } },
    });
    const records = [
      logs.join('\n'),
      JSON.stringify(outputs),
      JSON.stringify([...checkpoints]),
      JSON.stringify(repo.opened),
      JSON.stringify([...repo.commits.values()]),
      repo.calls.join('\n'),
    ].join('\n');
    expect(records).not.toContain(VALUE);
    expect(records).not.toContain(Buffer.from(VALUE).toString('base64'));
  });

  it.each([
    ['an unknown environment', { environment: 'qa' }],
    ['an invalid name', { name: 'Bad_Name' }],
    ['an invalid key', { key: 'a b' }],
    ['a certificate URL of its own', { certificateUrl: CERT_URL }],
    ['a pasted certificate', { certificate: 'nope' }],
    ['an unreachable configured certificate URL', { environment: 'staging' }],
  ])('keeps it out of the error and logs for %s', async (_what, change) => {
    const { action } = setup({
      certificateUrl: CERT_URL,
      environments: {
        staging: {
          certificateUrl: 'https://sealed-secrets.invalid/v1/cert.pem',
        },
      },
    });
    server.use(
      http.get('https://sealed-secrets.invalid/v1/cert.pem', () =>
        HttpResponse.error(),
      ),
    );
    const { ctx, logs } = makeContext({ ...valueInput, ...change });
    const error = await action.handler(ctx).then(
      () => undefined,
      e => e,
    );
    expect(['InputError', 'ServiceUnavailableError']).toContain(error?.name);
    expect(`${error.message}\n${error.stack}`).not.toContain(VALUE);
    expect(logs.join('\n')).not.toContain(VALUE);
    expect(JSON.stringify(outputsOf(ctx))).not.toContain(VALUE);
  });

  it('keeps it out of a dry run', async () => {
    const { action } = setup();
    const { ctx, logs } = makeContext(valueInput, { isDryRun: true });
    await action.handler(ctx);
    expect(logs.join('\n')).not.toContain(VALUE);
    expect(JSON.stringify(outputsOf(ctx))).not.toContain(VALUE);
  });
});

/*
 * Security issue #13: the action used to fetch any certificateUrl a step gave
 * it, from the backend, following redirects, and reported the status and
 * length of the answer — a probe of every address the backend reaches. Now
 * only URLs from the configuration are fetched, each under the rules below,
 * and an error says which config key to fix, never what the URL answered.
 */
describe('ml-gitops:secret:seal seals only with configured certificates', () => {
  const INTERNAL = 'http://169.254.169.254/latest/meta-data/iam/credentials';

  /** Every URL requested through fetch in the running test. */
  let requested: string[] = [];
  const record = ({ request }: { request: Request }) => {
    requested.push(request.url);
  };
  beforeAll(() => server.events.on('request:start', record));
  afterAll(() => server.events.removeListener('request:start', record));
  beforeEach(() => {
    requested = [];
  });

  async function failure(
    action: ReturnType<typeof setup>['action'],
    change: Record<string, unknown> = {},
  ) {
    const { ctx, logs } = makeContext({ ...input, ...change } as any);
    const error = await action.handler(ctx).then(
      () => undefined,
      e => e,
    );
    expect(error).toBeDefined();
    return { error, logs };
  }

  it('user URL refused: a certificateUrl from the step is never fetched, and the error names the config key', async () => {
    const { repo, action } = setup();
    const { error } = await failure(action, { certificateUrl: INTERNAL });
    expect(error.name).toBe('InputError');
    expect(error.message).toMatch(
      /certificateUrl is not accepted: .* configures mlGitops\.sealedSecrets\.environments\.production\.certificateUrl \(or mlGitops\.sealedSecrets\.certificateUrl for every environment\)/,
    );
    expect(requested).toEqual([]);
    expect(repo.calls).toEqual([]);
  });

  it("treats an empty certificateUrl (an old template's empty field) as not given", async () => {
    const { repo, action } = setup();
    const { ctx } = makeContext({ ...input, certificateUrl: '' });
    await action.handler(ctx);
    expect(repo.opened).toHaveLength(1);
  });

  it('redirect refused: a 3xx from the configured URL is not followed', async () => {
    const { repo, action } = setup();
    server.use(
      http.get(
        CERT_URL,
        () =>
          new HttpResponse(null, {
            status: 302,
            headers: { location: INTERNAL },
          }),
      ),
      http.get(INTERNAL, () => HttpResponse.text('aws-secret-key')),
    );
    const { error } = await failure(action);
    expect(error.name).toBe('ServiceUnavailableError');
    expect(error.message).toMatch(
      /^The certificate URL configured at mlGitops\.sealedSecrets\.certificateUrl answered with a redirect, and redirects are not followed/,
    );
    expect(error.message).not.toContain('169.254');
    expect(error.message).not.toContain('302');
    expect(requested).toEqual([CERT_URL]);
    expect(repo.calls).toEqual([]);
  });

  describe('http refused outside development', () => {
    it('stops the backend at start when a certificate URL is http and NODE_ENV is production', () => {
      for (const sealedSecrets of [
        { certificateUrl: 'http://sealed-secrets.example.com/v1/cert.pem' },
        {
          environments: {
            production: {
              certificateUrl: 'http://sealed-secrets.example.com/v1/cert.pem',
            },
          },
        },
      ]) {
        expect(() =>
          readMlGitopsActionsConfig(
            new ConfigReader({ mlGitops: { sealedSecrets } }),
            'production',
          ),
        ).toThrow(
          /mlGitops\.sealedSecrets\.(environments\.production\.)?certificateUrl is an http URL .*outside development \(NODE_ENV is "production"\) the Sealed Secrets certificate is fetched over https only/,
        );
      }
    });

    it('takes http in development and test (the demo and its sandbox)', () => {
      for (const nodeEnv of ['development', 'test']) {
        expect(
          readMlGitopsActionsConfig(
            new ConfigReader({
              mlGitops: {
                sealedSecrets: {
                  certificateUrl: 'http://localhost:7014/v1/cert.pem',
                },
              },
            }),
            nodeEnv,
          ).sealedSecrets,
        ).toEqual({ certificateUrl: 'http://localhost:7014/v1/cert.pem' });
      }
    });

    it('does not fetch an http URL at run time outside development, even from options built by hand', async () => {
      const HTTP_URL = 'http://sealed-secrets.example.com/v1/cert.pem';
      const { repo, action } = setup({ certificateUrl: HTTP_URL });
      server.use(http.get(HTTP_URL, () => HttpResponse.text(keys.certificate)));
      const before = process.env.NODE_ENV;
      process.env.NODE_ENV = 'production';
      try {
        const { error } = await failure(action);
        expect(error.message).toMatch(
          /^The certificate URL configured at mlGitops\.sealedSecrets\.certificateUrl is not an https URL without credentials \(http is fetched only in development\)/,
        );
      } finally {
        process.env.NODE_ENV = before;
      }
      expect(requested).toEqual([]);
      expect(repo.calls).toEqual([]);
    });
  });

  const SECRET_BODY = 'db-password=Tr0ub4dor&3 internal.corp.example:5432';
  it.each([
    [
      'an error page',
      () =>
        HttpResponse.text(SECRET_BODY, {
          status: 500,
          statusText: 'Internal Kept Secret',
        }),
    ],
    ['a 404', () => HttpResponse.text(SECRET_BODY, { status: 404 })],
    ['a 200 that is not PEM', () => HttpResponse.text(SECRET_BODY)],
    [
      'a PEM that is not a certificate',
      () =>
        HttpResponse.text(
          `-----BEGIN CERTIFICATE-----\n${Buffer.from(SECRET_BODY).toString(
            'base64',
          )}\n-----END CERTIFICATE-----\n`,
        ),
    ],
    [
      'a public key rather than a certificate',
      () =>
        HttpResponse.text(
          crypto
            .generateKeyPairSync('rsa', { modulusLength: 1024 })
            .publicKey.export({ type: 'spki', format: 'pem' })
            .toString(),
        ),
    ],
  ])(
    'body not echoed: %s from the configured URL gives an error naming the key, without the answer',
    async (_what, answer) => {
      const { repo, action } = setup({
        environments: { production: { certificateUrl: CERT_URL } },
      });
      server.use(http.get(CERT_URL, answer));
      const { error, logs } = await failure(action);
      expect(error.name).toBe('ServiceUnavailableError');
      expect(error.message).toBe(
        "The certificate URL configured at mlGitops.sealedSecrets.environments.production.certificateUrl did not answer a PEM certificate; check that it serves the Sealed Secrets controller's public certificate (kubeseal --fetch-cert): status 200, at most 64 KiB, an RSA certificate in PEM",
      );
      // Stack frames' line:column positions are numbers too: left out.
      const stack = (error.stack ?? '').replace(/:\d+:\d+\)?$/gm, '');
      const told = `${error.message}\n${stack}\n${logs.join('\n')}`;
      for (const leak of [
        SECRET_BODY,
        'Tr0ub4dor',
        'internal.corp',
        'Kept Secret',
        '500',
        '404',
        String(SECRET_BODY.length),
        CERT_URL,
        'sealed-secrets.example.com',
      ]) {
        expect(told).not.toContain(leak);
      }
      expect(repo.calls).toEqual([]);
    },
  );

  it('names the key without the cause when the configured URL cannot be reached', async () => {
    const { action } = setup();
    server.use(http.get(CERT_URL, () => HttpResponse.error()));
    const { error } = await failure(action);
    expect(error.message).toBe(
      "The certificate URL configured at mlGitops.sealedSecrets.certificateUrl could not be reached; check that the Backstage backend reaches the Sealed Secrets controller's certificate at that address",
    );
  });

  it('gives up on a configured URL that does not answer in time', async () => {
    server.use(http.get(CERT_URL, () => delay('infinite')));
    await expect(
      fetchConfiguredCertificate(
        { url: CERT_URL, configKey: 'mlGitops.sealedSecrets.certificateUrl' },
        { timeoutMs: 200 },
      ),
    ).rejects.toThrow(
      /^The certificate URL configured at mlGitops\.sealedSecrets\.certificateUrl did not answer within 0\.2 s;/,
    );
  });

  it.each([
    [
      'declared by its length',
      () =>
        HttpResponse.text(
          keys.certificate + '#'.repeat(MAX_CERTIFICATE_BYTES + 1),
        ),
    ],
    [
      'streamed without a length',
      () => {
        let sent = 0;
        const chunk = new TextEncoder().encode(
          keys.certificate.padEnd(16 * 1024, '#'),
        );
        return new HttpResponse(
          new ReadableStream({
            pull(controller) {
              if (sent >= 2 * 1024 * 1024) controller.close();
              else {
                sent += chunk.byteLength;
                controller.enqueue(chunk);
              }
            },
          }),
          { headers: { 'content-type': 'application/x-pem-file' } },
        );
      },
    ],
  ])('oversize answer refused: %s', async (_what, answer) => {
    const { repo, action } = setup();
    server.use(http.get(CERT_URL, answer));
    const { error } = await failure(action);
    expect(error.message).toMatch(
      /^The certificate URL configured at mlGitops\.sealedSecrets\.certificateUrl did not answer a PEM certificate;/,
    );
    expect(error.message).not.toMatch(/\d{5,}/);
    expect(repo.calls).toEqual([]);
  });

  it('refuses a configured certificate that has expired', async () => {
    server.use(http.get(CERT_URL, () => HttpResponse.text(keys.certificate)));
    await expect(
      fetchConfiguredCertificate(
        { url: CERT_URL, configKey: 'mlGitops.sealedSecrets.certificateUrl' },
        { now: new Date('2200-01-01T00:00:00Z') },
      ),
    ).rejects.toThrow(
      /^The certificate URL configured at mlGitops\.sealedSecrets\.certificateUrl serves an expired certificate/,
    );
  });

  it('refuses an environment without a configured certificate, naming the key to set', async () => {
    const { repo, action } = setup({
      environments: { dev: { certificateUrl: CERT_URL } },
    });
    const { error } = await failure(action);
    expect(error.name).toBe('InputError');
    expect(error.message).toMatch(
      /No Sealed Secrets certificate is configured for production: an operator sets mlGitops\.sealedSecrets\.environments\.production\.certificateUrl \(or mlGitops\.sealedSecrets\.certificateUrl for every environment\)/,
    );
    expect(requested).toEqual([]);
    expect(repo.calls).toEqual([]);
  });

  describe('pasted certificate refused unless allowed', () => {
    it('refuses a pasted certificate by default, naming the key that allows it', async () => {
      const { repo, action } = setup();
      const { error } = await failure(action, {
        certificate: keys.certificate,
      });
      expect(error.name).toBe('InputError');
      expect(error.message).toMatch(
        /certificate is not accepted: this Backstage seals only with the certificate configured for production .*mlGitops\.sealedSecrets\.allowPastedCertificate: true/,
      );
      expect(requested).toEqual([]);
      expect(repo.calls).toEqual([]);
    });

    it('refuses it when allowPastedCertificate is false', async () => {
      const { action } = setup({
        certificateUrl: CERT_URL,
        allowPastedCertificate: false,
      });
      const { error } = await failure(action, {
        certificate: keys.certificate,
      });
      expect(error.message).toMatch(/certificate is not accepted/);
    });

    it('seals with a pasted certificate when an operator allows it, fetching nothing', async () => {
      const pasted = makeSealingKeys();
      const { repo, action } = setup({ allowPastedCertificate: true });
      const { ctx } = makeContext({
        ...input,
        certificate: pasted.certificate,
      });
      await action.handler(ctx);
      const text = repo.commits.get(
        repo.branches.get(outputsOf(ctx).branch as string)!,
      )!.files[PATH];
      expect(pasted.controller.unseal(text).ok).toBe(true);
      expect(requested.filter(u => u.includes('sealed-secrets'))).toEqual([]);
    });

    it.each([
      [
        'a certificate that is not one',
        { certificate: 'nope' },
        /is not a PEM certificate or public key/,
      ],
      [
        'a non-RSA key',
        {
          certificate: crypto
            .generateKeyPairSync('ec', { namedCurve: 'P-256' })
            .publicKey.export({ type: 'spki', format: 'pem' })
            .toString(),
        },
        /holds a ec key; Sealed Secrets uses RSA/,
      ],
    ])(
      'still refuses %s when allowed, before touching Git',
      async (_what, change, message) => {
        const { repo, action } = setup({ allowPastedCertificate: true });
        const { error } = await failure(action, change);
        expect(error.message).toMatch(message);
        expect(repo.calls).toEqual([]);
      },
    );
  });
});
