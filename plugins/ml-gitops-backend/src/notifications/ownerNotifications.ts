import { LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { NotificationService } from '@backstage/plugin-notifications-node';

/**
 * The topics of ML GitOps notifications, one per kind, so that people can
 * mute a kind (the notifications settings list topics per origin): drift
 * (and a drift that ended), rollbacks (merged, missed their target,
 * opened automatically), canary verdicts, and environments that stay
 * unknown or missing. An addition to the design contract.
 *
 * @public
 */
export const NOTIFICATION_TOPICS = {
  drift: 'ml-gitops.drift',
  rollback: 'ml-gitops.rollback',
  canary: 'ml-gitops.canary',
  stale: 'ml-gitops.stale',
} as const;

/** @public */
export type NotificationTopic =
  (typeof NOTIFICATION_TOPICS)[keyof typeof NOTIFICATION_TOPICS];

/**
 * Where a notification leads: the fleet page with `?entity=<ref>`, which
 * finds the model's ML GitOps tab through the catalog's entity route as the
 * app binds it (the backend cannot know where the app mounts entity pages).
 */
export function entityTabLink(entity: Entity): string {
  return `/ml-gitops?entity=${encodeURIComponent(stringifyEntityRef(entity))}`;
}

/**
 * Tells the owners of a model's entity. The scope names the one thing the
 * notification is about (a later send with the same scope updates it
 * instead of adding one); the topic names its kind. A failure to send is
 * logged, never thrown: a notification is not worth a failed poll.
 */
export async function notifyEntityOwners(
  deps: { notifications?: NotificationService; logger: LoggerService },
  target: { entity: Entity; entityRef: string },
  payload: {
    topic: NotificationTopic;
    scope: string;
    title: string;
    description?: string;
    severity: 'high' | 'normal';
    /** Where it links; the model's ML GitOps tab when not given. */
    link?: string;
  },
): Promise<void> {
  if (!deps.notifications) return;
  await deps.notifications
    .send({
      recipients: { type: 'entity', entityRef: target.entityRef },
      payload: {
        title: payload.title,
        ...(payload.description !== undefined
          ? { description: payload.description }
          : {}),
        severity: payload.severity,
        link: payload.link ?? entityTabLink(target.entity),
        topic: payload.topic,
        scope: payload.scope,
      },
    })
    .catch(error =>
      deps.logger.warn(
        `Sending a notification for ${target.entityRef} failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
      ),
    );
}
