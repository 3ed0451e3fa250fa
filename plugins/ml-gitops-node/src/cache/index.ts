export { ByteBoundedCache, approximateBytes } from './ByteBoundedCache';
