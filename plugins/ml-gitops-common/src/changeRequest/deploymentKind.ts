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

import type { DeploymentKind } from '../api/types';
import {
  CHANGE_LABELS,
  changeKindOfMessage,
  isRevertMessage,
  parseChangeBranch,
} from './changeRequest';

/**
 * What is known of a commit that changed the version an environment's
 * branch declares. The history reader knows the pull request that merged
 * it (from the Git host); the rollback, working on a clone, knows the
 * commits only.
 *
 * @public
 */
export type VersionChangeFacts = {
  /** The commit's full message. */
  message: string;
  /** The pull request that merged the commit, when it is known. */
  pullRequest?: {
    title: string;
    /** The branch it merged. */
    headRef: string;
    labels: readonly string[];
  };
  /**
   * For a merge commit: the message of the merged branch's head (its second
   * parent). Asked only when nothing else decides, as it may cost a request.
   */
  mergedHeadMessage?: () => Promise<string | undefined>;
};

/** A subject (or pull request title) people give a rollback. */
const ROLLBACK_SUBJECT = /^(revert|roll ?back)\b/i;

/**
 * Whether a change of an environment's version was a deploy, a promotion or
 * a rollback: the one rule behind the history (what the tab shows, what
 * the audit counts) and the rollback (which versions were rolled back from,
 * and so are never a target again). What the actions wrote decides first:
 * the rollback trailer or a merge of a rollback branch in the message, the
 * pull request's label or branch. Changes made by hand are read as people
 * make them: a revert, a subject or title that starts with "Revert",
 * "Rollback" or "Roll back", or a merged branch whose head is a revert is a
 * rollback; a merge of another environment's branch is a promotion.
 *
 * @public
 */
export async function deploymentKindOf(
  facts: VersionChangeFacts,
  where: { environments: readonly string[]; environment: string },
): Promise<DeploymentKind> {
  const { environments, environment } = where;
  const pull = facts.pullRequest;
  const labelled = (kind: 'rollback' | 'promote') =>
    Boolean(
      pull &&
        (pull.labels.includes(CHANGE_LABELS[kind]) ||
          parseChangeBranch(pull.headRef, environments)?.kind === kind),
    );
  const said = changeKindOfMessage(facts.message, environments, environment);
  if (said === 'rollback' || labelled('rollback')) {
    return 'rollback';
  }
  if (labelled('promote')) {
    return 'promotion';
  }
  if (
    (pull && ROLLBACK_SUBJECT.test(pull.title)) ||
    (said === undefined && ROLLBACK_SUBJECT.test(facts.message))
  ) {
    return 'rollback';
  }
  if (
    pull &&
    pull.headRef !== environment &&
    environments.includes(pull.headRef)
  ) {
    return 'promotion';
  }
  // Without the pull request (e.g. a merge made with git), the merge
  // message names the branch.
  if (said === 'promote') {
    return 'promotion';
  }
  if (facts.mergedHeadMessage) {
    const head = await facts.mergedHeadMessage();
    if (head !== undefined && isRevertMessage(head)) {
      return 'rollback';
    }
  }
  return 'deploy';
}
