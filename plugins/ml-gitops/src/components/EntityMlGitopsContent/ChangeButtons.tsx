import ArrowForwardIcon from '@material-ui/icons/ArrowForward';
import UndoIcon from '@material-ui/icons/Undo';
import { useRouteRef } from '@backstage/core-plugin-api';
import {
  mlGitopsDeploymentPromotePermission,
  mlGitopsDeploymentRollbackPermission,
  type EnvironmentStatus,
} from '@ml-gitops/plugin-ml-gitops-common';
import { createFromTemplateRouteRef } from '../../routes';
import { PermissionedButton } from '../common';
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
      permission={mlGitopsDeploymentPromotePermission}
      resourceRef={entityRef}
      deniedReason="You are not allowed to promote this model (ml-gitops.deployment.promote)."
      disabledReason={disabledReason}
      hint={
        source.declared
          ? `Open a pull request promoting version ${source.declared.version} from ${source.name} to ${target.name}`
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

/** Opens the rollback template for one environment. */
export function RollbackButton(props: {
  entityRef: string;
  environment: EnvironmentStatus;
}) {
  const { entityRef, environment } = props;
  const templatePath = useTemplatePath(ROLLBACK_TEMPLATE);
  let disabledReason: string | undefined;
  if (!templatePath) {
    disabledReason = NO_SCAFFOLDER;
  } else if (!environment.declared) {
    disabledReason = `Nothing is declared in ${environment.name} to roll back.`;
  }
  return (
    <PermissionedButton
      permission={mlGitopsDeploymentRollbackPermission}
      resourceRef={entityRef}
      deniedReason="You are not allowed to roll back this model (ml-gitops.deployment.rollback)."
      disabledReason={disabledReason}
      hint={
        environment.declared
          ? `Open a pull request reverting the last deployment of ${environment.name} (version ${environment.declared.version})`
          : undefined
      }
      to={
        templatePath &&
        withFormData(templatePath, { entityRef, environment: environment.name })
      }
      size="small"
      startIcon={<UndoIcon />}
    >
      Roll back {environment.name}
    </PermissionedButton>
  );
}
