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

import { useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Typography from '@material-ui/core/Typography';
import ArrowForwardIcon from '@material-ui/icons/ArrowForward';
import UndoIcon from '@material-ui/icons/Undo';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import {
  mlGitopsTabChanges,
  rollbackCandidates,
  type Deployment,
  type EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import { mlGitopsApiRef } from '../../api';
import { createFromTemplateRouteRef } from '../../routes';
import { PermissionedButton, shortSha } from '../common';
import { PROMOTE_TEMPLATE, ROLLBACK_TEMPLATE, withFormData } from './templates';

const NO_SCAFFOLDER =
  'The scaffolder is not installed in this Backstage app, so no pull request can be opened from here.';

function useTemplatePath(template: { namespace: string; name: string }) {
  const createFromTemplate = useRouteRef(createFromTemplateRouteRef);
  return createFromTemplate?.({
    namespace: template.namespace,
    templateName: template.name,
  });
}

/** Opens the promote template for `source` → `target`. */
export function PromoteButton(props: {
  entityRef: string;
  source: EnvironmentStatus;
  target: EnvironmentStatus;
}) {
  const { entityRef, source, target } = props;
  const templatePath = useTemplatePath(PROMOTE_TEMPLATE);
  let disabledReason: string | undefined;
  if (!templatePath) {
    disabledReason = NO_SCAFFOLDER;
  } else if (!source.declared) {
    disabledReason = `Nothing is declared in ${source.name} to promote.`;
  } else if (target.declared?.version === source.declared.version) {
    disabledReason = `${target.name} already declares version ${source.declared.version}.`;
  }
  return (
    <PermissionedButton
      permission={mlGitopsTabChanges.promote.permission}
      resourceRef={entityRef}
      deniedReason="You are not allowed to promote this model (ml-gitops.deployment.promote)."
      disabledReason={disabledReason}
      hint={
        source.declared
          ? `Open a pull request into ${target.name} that sets model_version to ${source.declared.version}, the version ${source.name} declares; nothing else moves between the environments`
          : undefined
      }
      to={
        templatePath &&
        withFormData(templatePath, {
          entityRef,
          sourceEnvironment: source.name,
          targetEnvironment: target.name,
        })
      }
      variant="outlined"
      color="primary"
      size="small"
      startIcon={<ArrowForwardIcon />}
    >
      Promote to {target.name}
    </PermissionedButton>
  );
}

/** What a rollback of one environment would do, from its history. */
export type RollbackPreview =
  | { possible: false; why: string }
  | {
      possible: true;
      current: string;
      target: string;
      skipped: string[];
      change: string;
    };

/** The preview the dialog shows; the action computes the same from Git. */
export function previewRollback(
  environment: string,
  items: Deployment[],
): RollbackPreview {
  const { current, candidates, rolledBackFrom } = rollbackCandidates(
    items.map(d => ({
      version: d.version,
      previous: d.previousVersion ?? null,
      rollback: d.kind === 'rollback',
    })),
  );
  if (!current || candidates.length === 0) {
    return {
      possible: false,
      why: `No earlier version served in ${environment}${
        rolledBackFrom.size > 0
          ? ` that was not itself rolled back from (${[...rolledBackFrom].join(
              ', ',
            )})`
          : ''
      }.`,
    };
  }
  const target = candidates[0];
  const last = items[0];
  const change =
    last.kind !== 'rollback' && last.previousVersion === target
      ? `a git revert of ${shortSha(last.commit)} (the ${last.kind} of ${
          last.version
        } by ${last.author})`
      : `one commit that sets model_version to ${target} in the manifest`;
  return {
    possible: true,
    current,
    target,
    skipped: [...rolledBackFrom],
    change,
  };
}

function RollbackDialog(props: {
  entityRef: string;
  environment: string;
  templatePath: string;
  onClose: () => void;
}) {
  const { entityRef, environment, templatePath, onClose } = props;
  const api = useApi(mlGitopsApiRef);
  const history = useAsync(
    () => api.getHistory({ entityRef, environment, limit: 100 }),
    [api, entityRef, environment],
  );
  const preview = history.value
    ? previewRollback(environment, history.value.items)
    : undefined;
  const titleId = `ml-gitops-rollback-${environment}-title`;
  return (
    <Dialog open onClose={onClose} aria-labelledby={titleId}>
      <DialogTitle id={titleId}>Roll back {environment}</DialogTitle>
      <DialogContent>
        {history.loading && <Progress />}
        {history.error && <ResponseErrorPanel error={history.error} />}
        {preview && !preview.possible && <Typography>{preview.why}</Typography>}
        {preview?.possible && (
          <>
            <Typography gutterBottom>
              Rolls {environment} back from version{' '}
              <strong>{preview.current}</strong> to{' '}
              <strong>{preview.target}</strong>: the newest earlier version that
              served there and was not itself rolled back from.
            </Typography>
            {preview.skipped.length > 0 && (
              <Typography gutterBottom>
                Skips {preview.skipped.join(', ')}: rolled back from before.
              </Typography>
            )}
            <Typography gutterBottom>
              The pull request holds {preview.change}; nothing else changes.
            </Typography>
            <Typography variant="body2" color="textSecondary">
              The template asks for your reason. By default it marks version{' '}
              {preview.current} rejected in the registry; versions already
              rejected there are skipped.
            </Typography>
          </>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        {preview?.possible && (
          <Button
            color="primary"
            variant="contained"
            component={RouterLink}
            to={withFormData(templatePath, {
              entityRef,
              environment,
              toVersion: preview.target,
            })}
          >
            Continue to {preview.target}
          </Button>
        )}
      </DialogActions>
    </Dialog>
  );
}

/**
 * Shows what a rollback of one environment would do, then opens the
 * rollback template with the computed target filled in.
 */
export function RollbackButton(props: {
  entityRef: string;
  environment: EnvironmentStatus;
}) {
  const { entityRef, environment } = props;
  const templatePath = useTemplatePath(ROLLBACK_TEMPLATE);
  const [open, setOpen] = useState(false);
  let disabledReason: string | undefined;
  if (!templatePath) {
    disabledReason = NO_SCAFFOLDER;
  } else if (!environment.declared) {
    disabledReason = `Nothing is declared in ${environment.name} to roll back.`;
  }
  return (
    <>
      <PermissionedButton
        permission={mlGitopsTabChanges.rollback.permission}
        resourceRef={entityRef}
        deniedReason="You are not allowed to roll back this model (ml-gitops.deployment.rollback)."
        disabledReason={disabledReason}
        hint={
          environment.declared
            ? `See where a rollback of ${environment.name} (version ${environment.declared.version}) goes, then open its pull request`
            : undefined
        }
        onClick={() => setOpen(true)}
        size="small"
        startIcon={<UndoIcon />}
      >
        Roll back {environment.name}
      </PermissionedButton>
      {open && templatePath && (
        <RollbackDialog
          entityRef={entityRef}
          environment={environment.name}
          templatePath={templatePath}
          onClose={() => setOpen(false)}
        />
      )}
    </>
  );
}
