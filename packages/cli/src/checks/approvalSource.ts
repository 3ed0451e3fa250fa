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

// Where the code owner approval check reads approvals: one Git host's review API behind a small interface.

import { CodeownersFlavor } from '../lib/codeowners';

/** One Git host's answers about the change request the check runs for. */
export interface ApprovalSource {
  /** e.g. "acme/fraud-detector-config#7" or "ml-platform/fraud-config!7" */
  readonly name: string;
  /** "pull request" (GitHub) or "merge request" (GitLab) */
  readonly noun: string;
  /** Where the host reads CODEOWNERS, in its order, and how it reads it. */
  readonly codeownersPaths: string[];
  readonly flavor: CodeownersFlavor;
  /** What the check needs to read approvals but was not given. */
  missing(): string[];
  /** The fix shown when something is missing. */
  readonly missingFix: string;
  /** The change request's current head commit. */
  headSha(): Promise<string>;
  /** Who approved `headSha` (logins or usernames). */
  approvers(headSha: string): Promise<string[]>;
  /** Whether `approver` is, or is in, the CODEOWNERS owner `owner`. */
  isOwner(owner: string, approver: string): Promise<boolean>;
  /** What to add to a fix when some of `owners` could not be confirmed. */
  unconfirmedHint(owners: string[]): string | undefined;
  /** The fix for a failure to read the change request or its approvals. */
  readFix(error: unknown): string;
  /** "team memberships" / "group memberships", for messages. */
  readonly memberships: string;
  /** The fix for a failure to read memberships. */
  membershipFix(error: unknown): string;
}
