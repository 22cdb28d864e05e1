// The README's caching-client recipes ("Caching clients"), run as they stand
// there: README.md's apollo-cache.js (Apollo Client 4's InMemoryCache) and
// urql-cache.js (urql's graphcache) are copied into a temporary project and
// imported, and each client, signed in as Fatima (demo-fatima), must
//  1. hold two rooms' members in one cache and read back each room's owners and
//     admins exactly as the server sent them (a person who owns one room and is
//     a plain member of the other is one cached User; the role is on the edge);
//  2. after followUser (and unfollowUser), show the person's new `followed` and
//     `followersCount` in every place the cache holds them (member of two rooms,
//     post author, follower, mutual follower) with the mutation as the only
//     request, and a cache-first query of the same page makes no request;
//  3. append a second page of a room's members (after: endCursor) to the first
//     (relayStylePagination / relayPagination), equal to one page of 20.
// Every comparison is with the server's own answer to the same query, fetched
// without a client. The follows it makes are undone before it ends.
// Usage: node e2e/caches.mjs BASE_URL (e.g. http://127.0.0.1:8080)
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { ApolloClient, HttpLink, gql as apolloGql } from '@apollo/client';
import { Client, fetchExchange, gql as urqlGql } from '@urql/core';
import { checks } from './checks.mjs';

const base = process.argv[2];
if (!base) throw new Error('usage: node e2e/caches.mjs BASE_URL');
const endpoint = `${base}/query`;
const token = 'demo-fatima';
const e2e = path.dirname(fileURLToPath(import.meta.url));

const { check, done } = checks('caches');

// readmeBlock returns the README's code block that starts with the line
// `// NAME`, up to its closing fence, unindented.
function readmeBlock(name) {
  const lines = readFileSync(path.join(e2e, '..', 'README.md'), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim() === `// ${name}`);
  if (start < 0) throw new Error(`README.md has no code block starting with // ${name}`);
  const indent = lines[start].length - lines[start].trimStart().length;
  const out = [];
  for (const l of lines.slice(start)) {
    if (l.trim().startsWith('```')) break;
    out.push(l.slice(indent));
  }
  return out.join('\n').replaceAll('http://localhost:8080/', `${base}/`);
}

// readmeGraphQL returns the README's graphql block that starts with the line start.
function readmeGraphQL(start) {
  const text = readFileSync(path.join(e2e, '..', 'README.md'), 'utf8');
  const block = text.split('```graphql\n').slice(1).map((b) => b.slice(0, b.indexOf('```'))).find((b) => b.startsWith(start));
  if (!block) throw new Error(`README.md has no graphql block starting with ${start}`);
  return block;
}

// The recipes in a project of their own, as an app would have them.
const project = mkdtempSync(path.join(tmpdir(), 'caches-'));
process.on('exit', () => rmSync(project, { recursive: true, force: true }));
symlinkSync(path.join(e2e, 'node_modules'), path.join(project, 'node_modules'));
writeFileSync(path.join(project, 'package.json'), '{"type": "module"}\n');
for (const name of ['apollo-cache.js', 'urql-cache.js']) writeFileSync(path.join(project, name), readmeBlock(name));
let imports = 0;
// recipe imports a fresh copy of one recipe module: every client gets its own cache.
const recipe = (name) => import(`${pathToFileURL(path.join(project, name))}?copy=${++imports}`);

// raw sends a document to the server with no client in between.
async function raw(query, variables = {}) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`raw: ${JSON.stringify(body.errors)}`);
  return body.data;
}

// loggingFetch records each request a client sends: its method and operation.
function loggingFetch(log) {
  return async (url, init = {}) => {
    const method = init.method ?? 'GET';
    let op = '';
    let variables = {};
    if (method === 'GET') {
      const u = new URL(String(url));
      op = u.searchParams.get('operationName') ?? '';
      variables = JSON.parse(u.searchParams.get('variables') ?? '{}');
    } else {
      const body = JSON.parse(init.body);
      op = body.operationName ?? '';
      variables = body.variables ?? {};
    }
    log.push({ method, op, variables });
    return fetch(url, init);
  };
}

// Both clients warn on the console in development (graphcache of a type it
// cannot key, Apollo of data it would drop when merging): any warning fails.
const warnings = [];
console.warn = (...a) => warnings.push(a.join(' '));

// Each client behind one face: query (cache-first), read (the cache alone), mutate.
async function apollo() {
  const log = [];
  const { cache } = await recipe('apollo-cache.js');
  const client = new ApolloClient({
    cache,
    link: new HttpLink({ uri: endpoint, headers: { Authorization: `Bearer ${token}` }, fetch: loggingFetch(log) }),
  });
  const docs = new Map();
  const doc = (text) => docs.get(text) ?? docs.set(text, apolloGql(text)).get(text);
  return {
    name: 'Apollo Client 4 (InMemoryCache)',
    log,
    query: async (text, variables) => (await client.query({ query: doc(text), variables })).data,
    read: (text, variables) => client.readQuery({ query: doc(text), variables }),
    mutate: async (text, variables) => (await client.mutate({ mutation: doc(text), variables })).data,
    // nextPage pages as an app does, through an ObservableQuery's fetchMore.
    nextPage: async (text, variables, after) => {
      const oq = client.watchQuery({ query: doc(text), variables });
      const sub = oq.subscribe(() => {});
      try {
        await oq.fetchMore({ variables: { ...variables, after } });
      } finally {
        sub.unsubscribe();
      }
    },
    keys: () => Object.keys(cache.extract()),
  };
}

async function urql() {
  const log = [];
  const { graphcache } = await recipe('urql-cache.js');
  const client = new Client({
    url: endpoint,
    exchanges: [graphcache, fetchExchange],
    fetch: loggingFetch(log),
    fetchOptions: { headers: { Authorization: `Bearer ${token}` } },
  });
  const docs = new Map();
  const doc = (text) => docs.get(text) ?? docs.set(text, urqlGql(text)).get(text);
  const answer = (r) => {
    if (r.error) throw r.error;
    return r.data;
  };
  return {
    name: 'urql (graphcache)',
    log,
    query: async (text, variables) => answer(await client.query(doc(text), variables).toPromise()),
    read: (text, variables) => client.readQuery(doc(text), variables)?.data ?? null,
    mutate: async (text, variables) => answer(await client.mutation(doc(text), variables).toPromise()),
    nextPage: async (text, variables, after) => {
      answer(await client.query(doc(text), { ...variables, after }).toPromise());
    },
  };
}

// 1. Two rooms' members, with their roles, in one cache: the README's TwoRooms.
const TWO_ROOMS = readmeGraphQL('query TwoRooms');

const roles = (room) => room.members.edges.map((e) => ({ username: e.node.username, isOwner: e.isOwner, isAdmin: e.isAdmin }));
const owners = (room) => roles(room).filter((r) => r.isOwner).map((r) => r.username);
const admins = (room) => roles(room).filter((r) => r.isAdmin).map((r) => r.username);

async function twoRooms(c, server) {
  const before = c.log.length;
  await c.query(TWO_ROOMS);
  check(c.log.length === before + 1, `${c.name}: TwoRooms is one request`, c.log.slice(before));
  const cached = c.read(TWO_ROOMS);
  for (const alias of ['one', 'two']) {
    const room = `room ${server[alias].id}`;
    check(isDeepStrictEqual(owners(cached[alias]), owners(server[alias])),
      `${c.name}: ${room}'s owners from the cache are the server's: ${owners(cached[alias]).join(', ')}`,
      { cache: owners(cached[alias]), server: owners(server[alias]) });
    check(isDeepStrictEqual(admins(cached[alias]), admins(server[alias])),
      `${c.name}: ${room}'s admins from the cache are the server's: ${admins(cached[alias]).join(', ')}`,
      { cache: admins(cached[alias]), server: admins(server[alias]) });
    check(isDeepStrictEqual(roles(cached[alias]), roles(server[alias])),
      `${c.name}: ${room}'s ${roles(server[alias]).length} members and their roles from the cache are the server's`,
      { cache: roles(cached[alias]), server: roles(server[alias]) });
  }
  if (c.keys) {
    // One person, one entry: every member's id is the key of one User and nothing else.
    const keys = c.keys();
    const ids = new Set([...server.one.members.edges, ...server.two.members.edges].map((e) => e.node.id));
    const strays = keys.filter((k) => [...ids].some((id) => k.endsWith(`:${id}`) && k !== `User:${id}`));
    check(strays.length === 0 && [...ids].every((id) => keys.includes(`User:${id}`)),
      `${c.name}: the ${ids.size} distinct members are ${ids.size} cache entries, each User:<id>`, strays);
  }
}

// 2. One person in many places; a follow changes them all.
const PERSON = 'id username followed followersCount avatarUrls { small }';
const PLACES = `query Places {
  one: room(id: "1") {
    id isMember membersCount
    members(first: 10) { edges { cursor isOwner isAdmin node { ${PERSON} } } pageInfo { hasNextPage endCursor } }
    posts(first: 20) { edges { cursor node { id createdAt author { ${PERSON} } } } pageInfo { hasNextPage endCursor } }
    mutualFollowers { ${PERSON} }
  }
  two: room(id: "2") {
    id
    members(first: 10) { edges { cursor isOwner isAdmin node { ${PERSON} } } pageInfo { hasNextPage endCursor } }
    mutualFollowers { ${PERSON} }
  }
  aisha: user(username: "aisha") {
    ${PERSON}
    followers(first: 5) { edges { cursor node { ${PERSON} } } pageInfo { hasNextPage endCursor } }
  }
  viewer { user { ${PERSON} } }
  bilal: user(username: "bilal") {
    ${PERSON}
    mutualFollowers { ${PERSON} }
    followers(first: 5) { edges { cursor node { ${PERSON} } } pageInfo { hasNextPage endCursor } }
  }
}`;
const FOLLOW = `mutation Follow($id: ID!) { followUser(id: $id) { user { ${PERSON} } } }`;
const UNFOLLOW = `mutation Unfollow($id: ID!) { unfollowUser(id: $id) { user { ${PERSON} } } }`;
const JOIN = 'mutation Join($id: ID!) { joinRoom(id: $id) { room { id isMember membersCount } } }';
const LEAVE = 'mutation Leave($id: ID!) { leaveRoom(id: $id) { room { id isMember membersCount } } }';

// places finds every object that is the person with this id, with its path.
function places(data, id, at = '', out = []) {
  if (Array.isArray(data)) data.forEach((v, i) => places(v, id, `${at}[${i}]`, out));
  else if (data && typeof data === 'object') {
    if (data.id === id && 'followed' in data) out.push({ at, followed: data.followed, followersCount: data.followersCount });
    for (const [k, v] of Object.entries(data)) places(v, id, at ? `${at}.${k}` : k, out);
  }
  return out;
}
// kinds names the kinds of place: member, author, follower, mutual follower, profile.
const kinds = (ps) => [...new Set(ps.map(({ at }) =>
  at.includes('.members.') ? 'member' : at.includes('.author') ? 'author' : at.includes('.followers.') ? 'follower'
    : at.includes('mutualFollowers') ? 'mutual follower' : 'profile'))].sort();

// followEverywhere runs the mutation on person through client c and checks
// every place; server is the server's answer to PLACES before it. It returns
// the server's answer after.
async function followEverywhere(c, mutation, label, person, want, server) {
  const cached = c.read(PLACES);
  const before = places(cached, person.id);
  const expected = { followed: want, followersCount: person.followersCount + (want ? 1 : -1) };
  const sent = c.log.length;
  const data = await c.mutate(mutation, { id: person.id });
  const payload = Object.values(data)[0].user;
  check(payload.followed === expected.followed && payload.followersCount === expected.followersCount,
    `${c.name}: ${label} ${person.username}: the payload's user is followed=${payload.followed}, followersCount ${payload.followersCount}`, payload);
  const after = places(c.read(PLACES), person.id);
  const stale = after.filter((p) => p.followed !== expected.followed || p.followersCount !== expected.followersCount);
  check(after.length === before.length && before.length > 0 && stale.length === 0,
    `${c.name}: ${label} ${person.username}: all ${after.length} places in the cache changed (${kinds(after).join(', ')})`, stale.length ? stale : after);
  const op = mutation.match(/^mutation (\w+)/)[1];
  check(c.log.length === sent + 1 && c.log[sent].op === op,
    `${c.name}: ${label} ${person.username}: the mutation was the only request`, c.log.slice(sent));
  await c.query(PLACES);
  check(c.log.length === sent + 1, `${c.name}: ${label} ${person.username}: a cache-first query of the page sent nothing`, c.log.slice(sent));
  // The server agrees with the cache. Which lists hold the person may have
  // changed (a new mutual follower): the cache cannot know that, and the README
  // says to refetch such lists.
  const serverAfter = await raw(PLACES);
  const now = places(serverAfter, person.id);
  check(now.every((p) => p.followed === expected.followed && p.followersCount === expected.followersCount),
    `${c.name}: ${label} ${person.username}: the server now says the same, in its ${now.length} places (${places(server, person.id).length} before the write)`, now);
  return { places: after.length, kinds: kinds(after), serverAfter };
}

async function follows(c) {
  const server = await raw(PLACES);
  const { bilal, aisha } = server;
  if (!check(bilal.followed === false && aisha.followed === true,
    `${c.name}: Fatima starts out not following Bilal and following Aisha`, { bilal, aisha })) return;
  const sent = c.log.length;
  await c.query(PLACES);
  check(c.log.length === sent + 1, `${c.name}: Places is one request`, c.log.slice(sent));
  try {
    const f = await followEverywhere(c, FOLLOW, 'followUser', bilal, true, server);
    const u = await followEverywhere(c, UNFOLLOW, 'unfollowUser', aisha, false, f.serverAfter);
    check(f.kinds.includes('member') && f.kinds.includes('author') && f.kinds.includes('follower'),
      `${c.name}: Bilal was cached as member, author and follower`, f);
    check(u.kinds.includes('member') && u.kinds.includes('author') && u.kinds.includes('mutual follower'),
      `${c.name}: Aisha was cached as member, author and mutual follower`, u);
    // A join: the payload's room is the room the page shows.
    const room = server.one;
    if (check(room.isMember === false, `${c.name}: Fatima starts out not a member of room 1`, room)) {
      const sent = c.log.length;
      const joined = (await c.mutate(JOIN, { id: room.id })).joinRoom.room;
      const cached = c.read(PLACES).one;
      check(joined.isMember === true && joined.membersCount === room.membersCount + 1 &&
        cached.isMember === true && cached.membersCount === room.membersCount + 1 && c.log.length === sent + 1,
        `${c.name}: joinRoom: the cached room 1 is a member's, ${cached.membersCount} members, with the mutation as the only request`,
        { joined, cached, requests: c.log.slice(sent) });
    }
  } finally {
    // Undone for the next client and suite; once more after the server's
    // retryAfter if the caller's budget ran out.
    for (const [m, id] of [[UNFOLLOW, bilal.id], [FOLLOW, aisha.id], [LEAVE, server.one.id]]) {
      await raw(m, { id }).catch(async (err) => {
        console.log(`     undoing: ${err.message}; once more in 2 s`);
        await new Promise((r) => setTimeout(r, 2000));
        await raw(m, { id });
      });
    }
  }
}

// 3. A second page appends.
const MEMBERS = `query Members($after: String) {
  room(id: "1") {
    id
    members(first: 10, after: $after) {
      totalCount
      edges { cursor isOwner isAdmin node { id username } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;
const row = (e) => ({ id: e.node.id, username: e.node.username, isOwner: e.isOwner, isAdmin: e.isAdmin });

async function paging(c) {
  const twenty = (await raw(MEMBERS.replace('first: 10', 'first: 20'), { after: null })).room.members.edges.map(row);
  const sent = c.log.length;
  const first = await c.query(MEMBERS, { after: null });
  const after = first.room.members.pageInfo.endCursor;
  await c.nextPage(MEMBERS, { after: null }, after);
  const requests = c.log.slice(sent);
  check(requests.length === 2 && requests[1].variables.after === after,
    `${c.name}: two requests, the second after the first page's endCursor`, requests);
  const merged = c.read(MEMBERS, { after: null })?.room.members;
  check(merged && isDeepStrictEqual(merged.edges.map(row), twenty),
    `${c.name}: the cached list is both pages, appended: ${merged?.edges.length} edges, equal to the server's first 20`,
    { cached: merged?.edges.map((e) => e.node.username), server: twenty.map((r) => r.username) });
  check(merged?.pageInfo.endCursor !== after && merged?.pageInfo.hasNextPage === true,
    `${c.name}: its pageInfo is the second page's (endCursor moved on, more to come)`, merged?.pageInfo);
}

const twoRoomsServer = await raw(TWO_ROOMS);
// The case that went wrong before issue 21: one person, two roles.
const ownerOfOne = owners(twoRoomsServer.one);
check(ownerOfOne.length === 1 && roles(twoRoomsServer.two).some((r) => r.username === ownerOfOne[0] && !r.isOwner) &&
  owners(twoRoomsServer.two).some((o) => roles(twoRoomsServer.one).some((r) => r.username === o && !r.isOwner)),
  `the server: room 1's owner (${ownerOfOne}) is a plain member of room 2, and room 2's owner (${owners(twoRoomsServer.two)}) a member of room 1 who does not own it`,
  { one: roles(twoRoomsServer.one), two: roles(twoRoomsServer.two) });

for (const make of [apollo, urql]) {
  for (const step of [twoRooms, follows, paging]) {
    const c = await make();
    console.log(`${c.name}: ${step.name}`);
    try {
      await step(c, twoRoomsServer);
    } catch (err) {
      check(false, `${c.name}: ${step.name}: ${err.message}`);
    }
    check(warnings.length === 0, `${c.name}: ${step.name}: the client warned of nothing`, warnings.splice(0));
    console.log(`     (${c.log.length} requests: ${c.log.map((r) => `${r.method} ${r.op}`).join(', ')})`);
  }
}
done();
