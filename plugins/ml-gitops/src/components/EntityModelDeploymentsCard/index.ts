export { EntityModelDeploymentsCard } from './EntityModelDeploymentsCard';
