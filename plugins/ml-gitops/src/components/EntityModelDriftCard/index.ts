export { EntityModelDriftCard } from './EntityModelDriftCard';
