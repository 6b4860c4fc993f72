export { componentLogger, createNodeLogger, type NodeLoggerOptions } from './node-logger.js';
