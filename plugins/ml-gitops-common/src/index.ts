/**
 * Isomorphic (browser and Node) core of ML GitOps for Backstage: the REST API
 * types, catalog annotations, permissions, environment order, the
 * `deploy/model.yaml` schema and editor, drift rules, performance gates and
 * the fetch-based registry clients.
 *
 * @packageDocumentation
 */
export * from './api/types';
export * from './api/audit';
export * from './annotations';
export * from './environments';
export * from './permissions';
export * from './manifest';
export * from './drift';
export * from './serving';
export * from './gates';
export * from './registry';
export * from './canary';
export * from './rollback';
export * from './changes';
export * from './changeRequest';
