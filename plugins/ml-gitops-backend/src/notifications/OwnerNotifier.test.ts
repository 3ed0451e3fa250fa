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

import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  entityTabLink,
  NOTIFICATION_TOPICS,
  notifyEntityOwners,
} from './OwnerNotifier';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'fraud-detector', namespace: 'risk' },
};

function notifications(send: NotificationService['send']) {
  return { send } as NotificationService;
}

describe('notifyEntityOwners', () => {
  it('sends to the entity with a topic of its kind, so people can mute a kind', async () => {
    const send = jest.fn(async () => {});
    await notifyEntityOwners(
      {
        notifications: notifications(send),
        logger: mockServices.logger.mock(),
      },
      { entity, entityRef: 'component:risk/fraud-detector' },
      {
        topic: NOTIFICATION_TOPICS.drift,
        scope: 'ml-gitops:drift:component:risk/fraud-detector:production',
        title: 'Fraud detector: production has drifted from Git',
        severity: 'high',
      },
    );
    expect(send).toHaveBeenCalledWith({
      recipients: {
        type: 'entity',
        entityRef: 'component:risk/fraud-detector',
      },
      payload: {
        title: 'Fraud detector: production has drifted from Git',
        severity: 'high',
        link: '/ml-gitops?entity=component%3Arisk%2Ffraud-detector',
        topic: 'ml-gitops.drift',
        scope: 'ml-gitops:drift:component:risk/fraud-detector:production',
      },
    });
  });

  it('keeps a given link, and logs a failed send instead of throwing', async () => {
    const logger = mockServices.logger.mock();
    const send = jest.fn(async () => {
      throw new Error('notifications backend unreachable');
    });
    await expect(
      notifyEntityOwners(
        { notifications: notifications(send), logger },
        { entity, entityRef: 'component:risk/fraud-detector' },
        {
          topic: NOTIFICATION_TOPICS.rollback,
          scope: 'ml-gitops:auto-rollback:x',
          title: 't',
          severity: 'normal',
          link: 'https://github.com/acme/fraud-detector-config/pull/7',
        },
      ),
    ).resolves.toBeUndefined();
    expect(send.mock.calls[0]).toMatchObject([
      {
        payload: {
          link: 'https://github.com/acme/fraud-detector-config/pull/7',
          topic: 'ml-gitops.rollback',
        },
      },
    ]);
    expect(logger.warn).toHaveBeenCalledWith(
      'Sending a notification for component:risk/fraud-detector failed: notifications backend unreachable',
    );
  });

  it('links names that need escaping safely', () => {
    expect(
      entityTabLink({
        ...entity,
        metadata: { name: 'a.b_c', namespace: 'team x' },
      }),
    ).toBe('/ml-gitops?entity=component%3Ateam%20x%2Fa.b_c');
  });
});
