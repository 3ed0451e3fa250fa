import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import {
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import {
  describeServing,
  servingBasisHint,
} from '@ml-gitops/plugin-ml-gitops-common';
import type {
  ServingState,
  ServingStatus,
} from '@ml-gitops/plugin-ml-gitops-common';

const LABELS: Record<ServingState, string> = {
  serving: 'Serving',
  'rolling-out': 'Rolling out',
  failed: 'Not serving: the predictor fails',
  'not-ready': 'Not serving: not ready',
  unknown: 'Serving state unknown',
};

function StateIcon(props: { state: ServingState; children: string }) {
  const children = (
    <span style={{ whiteSpace: 'nowrap' }}>{props.children}</span>
  );
  switch (props.state) {
    case 'serving':
      return <StatusOK>{children}</StatusOK>;
    case 'failed':
      return <StatusError>{children}</StatusError>;
    case 'not-ready':
      return <StatusWarning>{children}</StatusWarning>;
    case 'rolling-out':
      return <StatusRunning>{children}</StatusRunning>;
    default:
      return <StatusPending>{children}</StatusPending>;
  }
}

function Caption(props: { children: string; title?: string }) {
  return (
    <Typography
      variant="caption"
      color="textSecondary"
      component="div"
      title={props.title}
    >
      {props.children}
    </Typography>
  );
}

/**
 * Whether the live version really serves, read from its serving object (a
 * KServe InferenceService): the state in words (not only a colour), the
 * canary share of the traffic, why it does not serve (KServe's
 * `lastFailureInfo` or the failing condition), and a hint where only the
 * Ready condition could be read. Renders nothing where no serving object is
 * read (the operator's sync and health then say all there is).
 */
export function ServingBadge(props: { serving?: ServingStatus }) {
  const { serving } = props;
  if (!serving) {
    return null;
  }
  const share =
    serving.state === 'serving' &&
    serving.trafficPercent !== undefined &&
    serving.trafficPercent < 100
      ? `, ${serving.trafficPercent}% of traffic`
      : '';
  const label = `${LABELS[serving.state] ?? serving.state}${share}`;
  const object = `InferenceService ${serving.namespace}/${serving.name} on ${serving.cluster}`;
  const details = [
    object,
    serving.readyRevision ? `ready revision ${serving.readyRevision}` : '',
    serving.storageUri ? `model ${serving.storageUri}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  let why: string | undefined;
  if (serving.failure) {
    why = serving.failure.message
      ? `${serving.failure.reason}: ${serving.failure.message}`
      : serving.failure.reason;
  } else if (serving.state !== 'serving') {
    why = serving.message ?? describeServing(serving);
  }
  const hint = servingBasisHint(serving);
  return (
    <div data-serving-state={serving.state}>
      <Tooltip title={details}>
        <span>
          <StateIcon state={serving.state}>{label}</StateIcon>
        </span>
      </Tooltip>
      {why && <Caption title={why}>{why}</Caption>}
      {hint && <Caption title={hint}>Readiness only: no model status</Caption>}
    </div>
  );
}
