export * from './format';
export * from './status';
export { freshnessOf, staleSince, type Freshness } from './staleness';
export { RelativeTime } from './RelativeTime';
export { PullRequestLink } from './PullRequestLink';
export { StaleDataNotice } from './StaleDataNotice';
export { PermissionedButton } from './PermissionedButton';
export * from './sources';
export { CanaryStatus } from './CanaryStatus';
export { ServingBadge } from './ServingBadge';
export {
  describeRejection,
  freezeEnd,
  FreezeNotice,
  FrozenChip,
  RejectedBadge,
  RejectionText,
} from './lifecycle';
