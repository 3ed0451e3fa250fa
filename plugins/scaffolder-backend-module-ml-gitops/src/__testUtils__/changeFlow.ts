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
import { ScmIntegrations } from '@backstage/integration';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { JsonObject } from '@backstage/types';
import { Sandbox } from 'sandbox';
import { readMlGitopsActionsConfig } from '../actions/config';
import { createDeployAction } from '../actions/deploy';
import { createPromoteAction } from '../actions/promote';
import { createRollbackAction } from '../actions/rollback';
import { SandboxGitHost } from './sandboxGitHosts';
import {
  fakePermissions,
  fraudDetectorEntity,
  makeContext,
  outputsOf,
} from './setup';

/*
 * Deploy, promote and roll back through a Git host's merge rules, the same
 * story on every host: every change the actions open is asked of git itself
 * in the host's bare repository before it merges (head contains base,
 * merges cleanly, changes only model_version), then lands the way a team
 * lands it (the validate check, an eligible approval, the merge through the
 * host's REST API), and the version the cluster serves is read after the
 * operator's sync.
 */

const MANIFEST = 'deploy/model.yaml';
const CHECK = 'ml-gitops/validate';
const LABELS: Record<string, string> = {
  'ml-gitops:deploy': 'ml-gitops/deploy',
  'ml-gitops:promote': 'ml-gitops/promotion',
  'ml-gitops:rollback': 'ml-gitops/rollback',
};

export type ChangeFlow = {
  sandbox: () => Sandbox;
  host: () => SandboxGitHost;
  model: string;
  /** the mlGitops.registries entry the model's manifests name */
  registry: () => JsonObject & { name: string };
  /** what production declares at the start */
  production: string;
  /** four versions, registered and passing the gates, newest last */
  versions: [string, string, string, string];
};

type Outputs = {
  changeRequestUrl: string;
  number: number;
  targetBranchName: string;
  pullRequestNumber: number;
  pullRequestUrl: string;
  branch: string;
  previousVersion?: string;
  method?: string;
};

/** Runs the story on the host `flow` names; what it ended with. */
export async function changeFlowScenario(
  flow: ChangeFlow,
): Promise<Record<string, string | null>> {
  const { model } = flow;
  const entityRef = 'component:default/fraud-detector';

  function actions() {
    const config = new ConfigReader({
      integrations: flow.host().integrations(),
      mlGitops: { registries: [flow.registry()] },
    });
    const options = {
      permissions: fakePermissions().service,
      integrations: ScmIntegrations.fromConfig(config),
      config: readMlGitopsActionsConfig(config),
      catalog: catalogServiceMock({
        entities: [
          fraudDetectorEntity({
            'ml-gitops/model': model,
            'ml-gitops/config-repo': flow.host().repoUrl,
            'ml-gitops/registry': flow.registry().name,
          }),
        ],
      }),
    };
    return {
      deploy: createDeployAction(options),
      promote: createPromoteAction(options),
      rollback: createRollbackAction(options),
    };
  }

  const git = (...args: string[]) => flow.host().git(...args);

  const served = (environment: string) => {
    const world = flow.sandbox().current().world;
    return world.liveVersion(world.find(model, environment)!);
  };

  const declared = async (environment: string) =>
    /model_version: "([^"]+)"/.exec(
      git('show', `${environment}:${MANIFEST}`) ?? '',
    )?.[1];

  /** Runs an action; its outputs name the change the same way on every host. */
  async function run(
    action: { id: string; handler(ctx: any): Promise<void> },
    input: Record<string, unknown>,
  ): Promise<Outputs> {
    const { ctx } = makeContext({ entityRef, ...input });
    await action.handler(ctx);
    const outputs = outputsOf(ctx) as Outputs;
    expect(outputs.pullRequestUrl).toBe(
      flow.host().changeUrl(outputs.pullRequestNumber),
    );
    const change = await flow.host().change(outputs.pullRequestNumber);
    expect(change.url).toBe(outputs.pullRequestUrl);
    // the host-neutral names say the same
    expect(outputs).toMatchObject({
      changeRequestUrl: change.url,
      number: outputs.pullRequestNumber,
      targetBranchName: change.target,
    });
    expect(change.labels).toEqual([LABELS[action.id]]);
    expect(await flow.host().branchHead(outputs.branch)).toBe(change.head);
    return outputs;
  }

  /**
   * Checks an open change with git, lands it and returns the version that
   * serves in `target` after the operator's next sync.
   */
  async function land(out: Outputs, target: string, from: string, to: string) {
    const host = flow.host();
    const change = await host.change(out.pullRequestNumber);
    expect(change).toMatchObject({ open: true, target });
    const base = await host.branchHead(target);

    // Git's word, not the emulator's: the head contains the base, it merges
    // cleanly, and its only change is model_version in the manifest.
    expect(git('merge-base', '--is-ancestor', base, change.head)).toBe('');
    expect(git('merge-tree', '--write-tree', base, change.head)).toMatch(
      /^[0-9a-f]{40}$/,
    );
    expect(git('diff', '--name-only', base, change.head)).toBe(MANIFEST);
    const changed = git(
      'diff',
      '--unified=0',
      base,
      change.head,
      '--',
      MANIFEST,
    )!
      .split('\n')
      .filter(l => /^[-+](?![-+])/.test(l));
    expect(changed).toEqual([
      expect.stringMatching(new RegExp(`^-model_version: "${from}"`)),
      expect.stringMatching(new RegExp(`^\\+model_version: "${to}"`)),
    ]);

    const merge = await host.pass(out.pullRequestNumber, CHECK);
    expect(await host.branchHead(target)).toBe(merge);
    const world = flow.sandbox().current().world;
    await world.reconcile(world.find(model, target)!);
    return served(target);
  }

  const { deploy, promote, rollback } = actions();
  const host = flow.host();
  const [v1, v2, v3, v4] = flow.versions;
  const promotion = (source: string, target: string) => ({
    sourceEnvironment: source,
    targetEnvironment: target,
    allowUnverifiedSource: true,
  });
  expect(await declared('production')).toBe(flow.production);

  // dev moves on under an open change: running the change again moves its
  // branch onto the new head in one step, and the change stays open (GitHub
  // closes a pull request whose head ever equals its base).
  const early = await run(deploy, { version: v1 });
  await host.writeFile('dev', 'README.md', `The ${model}.\n`);
  expect((await run(deploy, { version: v1 })).pullRequestNumber).toBe(
    early.pullRequestNumber,
  );
  expect((await host.change(early.pullRequestNumber)).open).toBe(true);

  // Three rounds: deploy to dev, promote to staging, then to production.
  for (const version of [v1, v2, v3]) {
    const devBefore = (await declared('dev'))!;
    const d = await run(deploy, { version });
    // Re-running the same change finds the same change request.
    expect((await run(deploy, { version })).pullRequestNumber).toBe(
      d.pullRequestNumber,
    );
    expect(await land(d, 'dev', devBefore, version)).toBe(version);

    for (const [source, target] of [
      ['dev', 'staging'],
      ['staging', 'production'],
    ]) {
      const before = (await declared(target))!;
      const p = await run(promote, promotion(source, target));
      expect(
        (await run(promote, promotion(source, target))).pullRequestNumber,
      ).toBe(p.pullRequestNumber);
      expect(await land(p, target, before, version)).toBe(version);
    }
  }

  // Roll back production: v3 → v2, a revert of the last promotion; v3 is
  // marked rejected in the registry.
  const r1 = await run(rollback, {
    environment: 'production',
    reason: 'false positives on card-not-present traffic',
  });
  expect(r1).toMatchObject({ previousVersion: v2, method: 'revert' });
  expect(await land(r1, 'production', v3, v2)).toBe(v2);

  // Promoting the rejected v3 again is refused, quoting the reason.
  await expect(
    run(promote, promotion('staging', 'production')),
  ).rejects.toThrow(/false positives on card-not-present traffic/);

  // A new version goes through after the rollback.
  const d4 = await run(deploy, { version: v4 });
  expect(await land(d4, 'dev', v3, v4)).toBe(v4);
  const s4 = await run(promote, promotion('dev', 'staging'));
  expect(await land(s4, 'staging', v3, v4)).toBe(v4);
  const p4 = await run(promote, promotion('staging', 'production'));
  expect(await land(p4, 'production', v2, v4)).toBe(v4);

  // Roll back twice: to v2, then past every version rolled back from to
  // v1, never forward again.
  const r2 = await run(rollback, {
    environment: 'production',
    reason: 'latency regression',
  });
  expect(r2).toMatchObject({ previousVersion: v2, method: 'revert' });
  expect(await land(r2, 'production', v4, v2)).toBe(v2);
  const r3 = await run(rollback, {
    environment: 'production',
    reason: 'drift in card-present scores',
  });
  expect(r3).toMatchObject({ previousVersion: v1, method: 'value' });
  expect(await land(r3, 'production', v2, v1)).toBe(v1);

  // Environment branches were never merged into each other.
  expect(git('merge-base', '--is-ancestor', 'staging', 'production')).toBe(
    undefined,
  );

  // What serves at the end, in every environment.
  return Object.fromEntries(
    ['dev', 'staging', 'production'].map(e => [e, served(e)]),
  );
}
