export * from './spec.js';
export { Space } from './codec.js';
