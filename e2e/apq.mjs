// Apollo Client 4's PersistedQueryLink against the service: first a hash only
// (PERSISTED_QUERY_NOT_FOUND), then the full query, then hash-only hits; the same
// with GET for hashed queries. With a second endpoint (a second server process on
// the same Redis), the query registered on the first is served by hash on the
// second. Usage: node apq.mjs <endpoint> [second endpoint]
import { createHash, randomUUID } from 'node:crypto';
import { ApolloClient, InMemoryCache, HttpLink, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const [endpoint, second] = process.argv.slice(2);
if (!endpoint) throw new Error('usage: node apq.mjs <endpoint> [second endpoint]');

const sha256 = (q) => createHash('sha256').update(q).digest('hex');
let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};

// client makes a fresh Apollo client whose fetches are logged.
function client(uri, useGETForHashedQueries, log) {
  const loggingFetch = async (url, init) => {
    const res = await fetch(url, init);
    const body = await res.clone().text();
    let code = '';
    try { code = JSON.parse(body).errors?.[0]?.extensions?.code ?? ''; } catch {}
    const sentQuery = init.method === 'GET' ? new URL(url).searchParams.has('query') : 'query' in JSON.parse(init.body);
    const entry = { method: init.method, sentQuery, status: res.status, code };
    log.push(entry);
    console.log(`  ${entry.method} ${entry.sentQuery ? 'hash+query' : 'hash only '} -> HTTP ${entry.status}${entry.code ? ' ' + entry.code : ''}`);
    return res;
  };
  return new ApolloClient({
    cache: new InMemoryCache(),
    link: new PersistedQueryLink({ sha256, useGETForHashedQueries }).concat(new HttpLink({ uri, fetch: loggingFetch })),
    defaultOptions: { query: { fetchPolicy: 'no-cache' } },
  });
}

async function roundTrip(label, useGET) {
  // A name no earlier run registered, so that the first request must miss.
  const name = 'Apq' + randomUUID().replaceAll('-', '');
  const query = gql(`query ${name} { room(id: "7") { id name } }`);
  console.log(`${label}:`);
  const log = [];
  const first = await client(endpoint, useGET, log).query({ query });
  check(first.data.room.id === '7', `${label}: the room is served`);
  check(log.length === 2 && !log[0].sentQuery && log[0].code === 'PERSISTED_QUERY_NOT_FOUND' && log[1].sentQuery,
    `${label}: first request is hash only and misses, then the full query is sent`);
  if (useGET) check(log[0].method === 'GET', `${label}: the hashed request is a GET`);
  const again = [];
  const second_ = await client(endpoint, useGET, again).query({ query });
  check(second_.data.room.id === '7' && again.length === 1 && !again[0].sentQuery && again[0].code === '',
    `${label}: the next client's hash-only request hits`);
  if (useGET) check(again[0].method === 'GET', `${label}: the hit is a GET a CDN can cache`);
  return query;
}

await roundTrip('POST', false);
const shared = await roundTrip('GET for hashed queries', true);
if (second) {
  console.log('second server, same Redis:');
  const log = [];
  const res = await client(second, true, log).query({ query: shared });
  check(res.data.room.id === '7' && log.length === 1 && !log[0].sentQuery,
    'a query registered on the first server is served by hash on the second');
}
console.log(failures === 0 ? 'apq: all checks passed' : `apq: ${failures} checks failed`);
process.exit(failures === 0 ? 0 : 1);
