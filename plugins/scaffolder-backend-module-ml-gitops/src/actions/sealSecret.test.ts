import { registerMswTestHooks } from '@backstage/backend-test-utils';
import {
  FakeGithubRepo,
  manifest,
} from '@ml-gitops/plugin-ml-gitops-node/testUtils';
import crypto from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { makeContext, makeOptions, outputsOf } from '../__testUtils__/setup';
import {
  makeSealingKeys,
  parseSealedSecret,
  sha256,
} from '../__testUtils__/sealing';
import { createSealSecretAction } from './sealSecret';
import { registerContractChecks } from '@ml-gitops/plugin-ml-gitops-common/testUtils';

const server = setupServer();
registerMswTestHooks(server);
registerContractChecks(server);

const keys = makeSealingKeys();
const PATH = 'secrets/fraud-detector-db.sealed.yaml';
const PASSWORD = 'hunter2-very-secret';

const input = {
  entityRef: 'component:default/fraud-detector',
  environment: 'production',
  name: 'fraud-detector-db',
  namespace: 'ml-serving',
  data: { password: PASSWORD },
  certificate: keys.certificate,
};

function setup() {
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
  server.use(...repo.writeHandlers(), ...repo.handlers());
  return { repo, action: createSealSecretAction(makeOptions()) };
}

describe('ml-gitops:secret:seal', () => {
  it('opens a pull request adding a SealedSecret only the controller can open', async () => {
    const { repo, action } = setup();
    const { ctx, logs } = makeContext(input);
    await action.handler(ctx);

    const branch = 'ml-gitops/seal/production/fraud-detector-db';
    expect(outputsOf(ctx)).toEqual({
      path: PATH,
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

  it('seals namespace-wide with the label kubeseal uses and a fetched certificate', async () => {
    const { repo, action } = setup();
    server.use(
      http.get('https://sealed-secrets.example.com/v1/cert.pem', () =>
        HttpResponse.text(keys.certificate),
      ),
    );
    const { certificate: _omit, ...rest } = input;
    const { ctx } = makeContext({
      ...rest,
      scope: 'namespace-wide' as const,
      certificateUrl: 'https://sealed-secrets.example.com/v1/cert.pem',
    });
    await action.handler(ctx);
    const branch = outputsOf(ctx).branch as string;
    const text = repo.commits.get(repo.branches.get(branch)!)!.files[PATH];
    expect(parseSealedSecret(text).metadata.annotations).toEqual({
      'sealedsecrets.bitnami.com/namespace-wide': 'true',
    });
    expect(keys.controller.unseal(text)).toMatchObject({
      ok: true,
      scope: 'namespace-wide',
      data: { password: { sha256: sha256(PASSWORD) } },
    });
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
      'no certificate',
      { certificate: undefined },
      /Give the cluster's Sealed Secrets certificate/,
    ],
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
    ['a certificate that is not one', { certificate: 'nope' }],
    [
      'an unreachable certificate URL',
      {
        certificate: undefined,
        certificateUrl: 'https://sealed-secrets.invalid/v1/cert.pem',
      },
    ],
  ])('keeps it out of the error and logs for %s', async (_what, change) => {
    const { action } = setup();
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
    expect(error?.name).toBe('InputError');
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
