/** Node-only entry: file readers on top of the browser-safe library. */
export * from './index.js';
export { readCsvFile, readTableFile, readTableFileAsync, fileSource, TABLE_EXTENSIONS } from './io/node.js';
