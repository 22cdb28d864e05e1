// The GraphQL-over-HTTP audit shipped in graphql-http, against the running
// service. Fails on any error or warning. Usage: node audit.mjs http://127.0.0.1:8080/query
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) throw new Error('usage: node audit.mjs <endpoint>');

const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  results.push({ audit, result: await audit.fn() });
}
const counts = { ok: 0, warn: 0, error: 0 };
for (const { audit, result } of results) {
  counts[result.status]++;
  if (result.status !== 'ok') {
    console.log(`${result.status.toUpperCase()} ${audit.id} ${audit.name}: ${result.reason}`);
    if (result.response) {
      console.log(`  -> HTTP ${result.response.status} ${result.response.headers.get('content-type')}`);
    }
  }
}
console.log(`graphql-http audit: ${results.length} audits, ${counts.ok} ok, ${counts.warn} warn, ${counts.error} error`);
process.exit(counts.warn + counts.error === 0 ? 0 : 1);
