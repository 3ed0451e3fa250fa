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

// The code owner approval check: who must approve what a change request changes, and whether its Git host says they did.

import { ModelManifest } from '@ml-gitops/plugin-ml-gitops-common';
import {
  CodeownersRule,
  ownerEntriesOf,
  parseCodeowners,
} from '../lib/codeowners';
import { describeError } from '../lib/errors';
import { positionOf } from '../lib/positions';
import { CheckResult, failed, Finding, passed } from '../report';
import { GitHubContext, gitHubApprovals } from './approvalGitHub';
import { GitLabContext, gitLabApprovals } from './approvalGitLab';
import { ApprovalSource } from './approvalSource';
import { BaseState, git } from './changes';
import { ProtectedChange, protectedChanges } from './protectedChanges';
import type { ManifestLocation } from './registry';

export { approversOf } from './approvalGitHub';
export type { GitHubContext } from './approvalGitHub';
export type { GitLabContext } from './approvalGitLab';

const TITLE = 'Code owner approval';

/** The base branch's CODEOWNERS: its path and rules, or none. */
async function baseCodeowners(
  root: string,
  baseCommit: string,
  source: ApprovalSource,
): Promise<{ path: string; rules: CodeownersRule[] } | undefined> {
  for (const path of source.codeownersPaths) {
    const text = await git(root, ['show', `${baseCommit}:${path}`]).catch(
      () => undefined,
    );
    if (text !== undefined) {
      return { path, rules: parseCodeowners(text, source.flavor) };
    }
  }
  return undefined;
}

/** The commit the check runs on, or the head of the merge ref it checked out. */
async function checkedHeads(root: string): Promise<string[]> {
  const parents = (
    await git(root, ['rev-list', '--parents', '-n', '1', 'HEAD'])
  )
    .trim()
    .split(' ');
  // HEAD itself; for GitHub's refs/pull/N/merge and GitLab's merged results
  // pipelines, its second parent is the change request's head.
  return parents.length === 3 ? [parents[0], parents[2]] : [parents[0]];
}

/**
 * With `--base`: a change request that loosens the performance gate,
 * changes `checks:`, CODEOWNERS or a CI file passes only with the approval
 * of a code owner of that file, per the base branch's CODEOWNERS, on the
 * change request's current head. Approvals are read from GitLab when a
 * GitLab context is given, else from GitHub. `gatesApproved` tells the gate
 * check whose thresholds apply.
 */
export async function checkApproval(options: {
  root: string;
  manifestPath: string;
  location: ManifestLocation;
  base: BaseState;
  head?: ModelManifest;
  changedFiles: string[];
  github: GitHubContext;
  gitlab?: GitLabContext;
}): Promise<{ result: CheckResult; gatesApproved: boolean }> {
  const { root, base, location } = options;
  const source = options.gitlab
    ? gitLabApprovals(options.gitlab)
    : gitHubApprovals(options.github);
  const changes = protectedChanges({
    manifestPath: options.manifestPath,
    base: base.manifest,
    head: options.head,
    changedFiles: options.changedFiles,
  });
  const gateChanges = changes.filter(c => c.kind === 'a gate change');
  if (changes.length === 0) {
    return {
      result: passed(
        'approval',
        TITLE,
        'no gate, checks, CODEOWNERS or workflow change that needs a code owner',
      ),
      gatesApproved: true,
    };
  }
  const at = (change: ProtectedChange) =>
    change.manifestPath
      ? {
          file: location.file,
          ...positionOf(location.text, change.manifestPath),
        }
      : { file: change.path, line: 1 };
  const needs = (change: ProtectedChange) =>
    `${change.what}; ${change.kind} needs a code owner's approval`;
  const refuse = (
    summary: string,
    fixFor: (change: ProtectedChange) => string,
    extra: Finding[] = [],
    status: 'failed' | 'error' = 'failed',
  ) => ({
    result: {
      ...failed(
        'approval',
        TITLE,
        summary,
        [
          ...changes.map(change => ({
            severity: 'error' as const,
            ...at(change),
            message: needs(change),
            fix: fixFor(change),
          })),
          ...extra,
        ],
        { changes: changes.map(c => ({ path: c.path, what: c.what })) },
      ),
      status,
    },
    gatesApproved: false,
  });

  const owners = await baseCodeowners(root, base.commit, source);
  /** The CODEOWNERS entries that must each approve a change (with owners). */
  const entriesOf = (change: ProtectedChange) =>
    (owners ? ownerEntriesOf(owners.rules, change.path) : []).filter(
      e => e.owners.length > 0,
    );
  const entryText = (entry: { owners: string[]; rule: CodeownersRule }) =>
    `${entry.rule.section ? `[${entry.rule.section}] ` : ''}${entry.owners.join(
      ' ',
    )} (${owners!.path}:${entry.rule.line} on ${base.ref})`;
  const askFix = (change: ProtectedChange) => {
    const entries = entriesOf(change);
    if (!entries.length) {
      return `${change.path} has no code owner in the CODEOWNERS of ${base.ref}: add one there in a ${source.noun} of its own first (or undo this change)`;
    }
    return `Ask a code owner of ${change.path}, ${entries
      .map(entryText)
      .join(' and one of ')}, to approve the ${source.noun}'s latest commit`;
  };

  const missing = source.missing();
  if (missing.length > 0) {
    const message = `cannot confirm a code owner's approval without ${missing.join(
      ', ',
    )}`;
    return refuse(
      `${changes.length} change${
        changes.length === 1 ? '' : 's'
      } need a code owner's approval; ${message}`,
      askFix,
      [{ severity: 'error', message, fix: source.missingFix }],
    );
  }

  let approvers: string[];
  let headSha: string;
  try {
    headSha = await source.headSha();
    const checked = await checkedHeads(root);
    if (!checked.includes(headSha)) {
      return refuse(
        `the ${source.noun}'s head is ${headSha.slice(
          0,
          12,
        )}, not the commit this run checks (${checked[checked.length - 1].slice(
          0,
          12,
        )})`,
        () => `Re-run the check on the ${source.noun}'s latest commit`,
      );
    }
    approvers = await source.approvers(headSha);
  } catch (error) {
    const message = `cannot read the approvals of ${
      source.name
    }: ${describeError(error)}`;
    return refuse(
      message,
      askFix,
      [{ severity: 'error', message, fix: source.readFix(error) }],
      'error',
    );
  }

  const findings: Finding[] = [];
  const approvedBy: string[] = [];
  try {
    for (const change of changes) {
      const entries = entriesOf(change);
      const by: string[] = [];
      for (const entry of entries) {
        let who: string | undefined;
        for (const login of approvers) {
          for (const owner of entry.owners) {
            if (await source.isOwner(owner, login)) {
              who = `@${login} (${owner})`;
              break;
            }
          }
          if (who) break;
        }
        if (!who) break;
        by.push(who);
      }
      if (entries.length > 0 && by.length === entries.length) {
        approvedBy.push(`${change.what}: approved by ${by.join(', ')}`);
        continue;
      }
      const hint = source.unconfirmedHint(entries.flatMap(e => e.owners));
      findings.push({
        severity: 'error',
        ...at(change),
        message: `${needs(change)}${
          approvers.length
            ? ` (approvals of ${headSha.slice(0, 12)} by ${approvers
                .map(a => `@${a}`)
                .join(', ')}, none a code owner of ${change.path}${
                entries.length > 1 ? ' in every section' : ''
              })`
            : ` (no approval of the latest commit ${headSha.slice(0, 12)})`
        }`,
        fix: `${askFix(change)}${hint ? `. ${hint}` : ''}`,
      });
    }
  } catch (error) {
    const message = `cannot read ${source.memberships}: ${describeError(
      error,
    )}`;
    return refuse(
      message,
      askFix,
      [{ severity: 'error', message, fix: source.membershipFix(error) }],
      'error',
    );
  }
  const details = { headSha, approvers, approved: approvedBy };
  if (findings.length > 0) {
    return {
      result: failed(
        'approval',
        TITLE,
        `${findings.length} change${
          findings.length === 1 ? '' : 's'
        } without a code owner's approval`,
        findings,
        details,
      ),
      gatesApproved: gateChanges.every(
        c => !findings.some(f => f.message.startsWith(c.what)),
      ),
    };
  }
  return {
    result: passed('approval', TITLE, approvedBy.join('; '), [], details),
    gatesApproved: true,
  };
}
