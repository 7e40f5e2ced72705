// Puppeteer must never download its own browser: the tests and benchmarks drive Debian's Chromium
// (/usr/bin/chromium), and a fresh machine cannot reach the download host. This file makes
// `npm ci` skip puppeteer's postinstall download without any environment variable.
module.exports = { skipDownload: true };
