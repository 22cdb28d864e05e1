// The README's Relay recipe ("Relay"), followed as a new user would: a project
// in a temporary directory with the README's relay.config.json,
// src/RoomMembers.ts (a fragment on Room with @refetchable and a members
// @connection) and src/environment.ts (relay-runtime's Environment, keyed by
// nodeId), the schema saved from BASE_URL/schema.graphql, and one query of this
// suite's own that spreads the fragment. Then
//  1. relay-compiler 21 (from e2e/package-lock.json) compiles it, and
//     `tsc --strict` type-checks the generated TypeScript and emits it;
//  2. the refetch artifact names the Node id as the server does (field and
//     variable nodeId), and its params.text, posted with room 1's nodeId, answers
//     room 1 and its first members as the server lists them;
//  3. the README's environment's store, fed by the page query and the refetch query for
//     the next page (cursor: the connection's endCursor), keys the room and the
//     tags by nodeId (room "1" and tag "1" apart) and holds both pages of
//     members in the connection, in the server's order.
// Usage: node e2e/relay.mjs BASE_URL (e.g. http://127.0.0.1:8080)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import relay from 'relay-runtime';
import { checks } from './checks.mjs';

const { ConnectionHandler, fetchQuery } = relay;
const base = process.argv[2];
if (!base) throw new Error('usage: node e2e/relay.mjs BASE_URL');
const endpoint = `${base}/query`;
const e2e = path.dirname(fileURLToPath(import.meta.url));

const { check, done } = checks('relay');

// The Relay section of README.md: its json block and its ts blocks, each
// starting with the line `// src/NAME.ts`.
const readme = readFileSync(path.join(e2e, '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('\n### Relay\n'));
const fenced = (lang) => section.split('```' + lang + '\n').slice(1).map((b) => b.slice(0, b.indexOf('```')));
const config = fenced('json')[0];
const file = (name) => fenced('ts').find((b) => b.startsWith(`// src/${name}\n`))?.replaceAll('http://localhost:8080/', `${base}/`);
if (!section.startsWith('\n### Relay\n') || !config || !file('RoomMembers.ts') || !file('environment.ts')) {
  console.log('README.md has no "### Relay" section with a json block and ts blocks starting // src/RoomMembers.ts and // src/environment.ts');
  process.exit(1);
}

const dir = mkdtempSync(path.join(tmpdir(), 'relay-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
symlinkSync(path.join(e2e, 'node_modules'), path.join(dir, 'node_modules')); // as if installed in the project
const res = await fetch(`${base}/schema.graphql`);
if (!check(res.ok, `GET /schema.graphql: HTTP ${res.status}`)) done();
writeFileSync(path.join(dir, 'schema.graphql'), await res.text());
writeFileSync(path.join(dir, 'relay.config.json'), config);
mkdirSync(path.join(dir, 'src'));
for (const name of ['RoomMembers.ts', 'environment.ts']) writeFileSync(path.join(dir, 'src', name), file(name));
// This suite's page: the fragment, tags (whose ids are small numbers, as rooms'
// are), and a root field declared in another schema file than room's.
writeFileSync(path.join(dir, 'src', 'RoomPage.ts'), `import { graphql } from 'relay-runtime';

export const roomPage = graphql\`
  query RoomPageQuery($id: ID!) {
    room(id: $id) {
      ...RoomMembers_room
      posts(first: 10) { edges { node { id tags { id name } } } }
    }
    post(id: "4001") { id }
  }
\`;
`);
// What a component does with the fragment's data, type-checked under --strict.
writeFileSync(path.join(dir, 'src', 'roles.ts'), `import type { RoomMembers_room$data } from './__generated__/RoomMembers_room.graphql';

export function owners(room: RoomMembers_room$data): string[] {
  return room.members.edges.filter((e) => e.isOwner).map((e) => e.node?.username ?? '');
}
export const members = (room: RoomMembers_room$data): number => room.membersCount;
`);
writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
  compilerOptions: {
    strict: true, module: 'commonjs', target: 'es2022', rootDir: 'src', outDir: 'dist', types: [],
    skipLibCheck: true, // relay-runtime 21's own declarations do not pass (TS2707 on its Record<T>)
  },
  include: ['src'],
}));

const run = (what, cmd, args) => {
  try {
    execFileSync(path.join(dir, 'node_modules', '.bin', cmd), args, { cwd: dir, stdio: 'pipe', timeout: 60_000 });
    return check(true, what);
  } catch (err) {
    return check(false, what, `${err.stdout}${err.stderr}`.slice(-3000));
  }
};
if (!run('relay-compiler compiles the README\'s config and fragment against /schema.graphql', 'relay-compiler', [])) done();
if (!run('tsc --strict type-checks the generated artifacts and a use of the fragment\'s data', 'tsc', ['-p', '.'])) done();

const load = createRequire(path.join(dir, 'dist', 'index.js'));
const RoomRefetchQuery = load('./__generated__/RoomRefetchQuery.graphql.js').default;
const RoomMembersRoom = load('./__generated__/RoomMembers_room.graphql.js').default;
const RoomPageQuery = load('./__generated__/RoomPageQuery.graphql.js').default;

// Every request of this process, the environment's among them.
const sent = [];
const fetch0 = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  if (init?.body) sent.push(JSON.parse(init.body).query.match(/^query (\w+)/)?.[1] ?? '(anonymous)');
  return fetch0(url, init);
};
async function post(query, variables) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

// What the server says, asked without Relay.
const truth = await post(`{
  room(id: "1") {
    nodeId name membersCount
    members(first: 20) { edges { cursor isOwner isAdmin node { nodeId username } } }
    posts(first: 10) { edges { node { tags { id nodeId name } } } }
  }
}`);
if (!check(!truth.errors && truth.data?.room?.nodeId, 'the server names room 1 by a nodeId', truth)) done();
const room = truth.data.room;
const rows = (edges) => edges.map((e) => ({ username: e.node.username, isOwner: e.isOwner, isAdmin: e.isAdmin }));

// 2. The refetch query, as text, with the fragment's own variable names.
const id = RoomMembersRoom.metadata?.refetch?.identifierInfo;
check(id?.identifierField === 'nodeId' && id?.identifierQueryVariableName === 'nodeId',
  'the fragment refetches by nodeId, passed as $nodeId', id);
const text = RoomRefetchQuery.params.text;
check(text.includes(`$${id?.identifierQueryVariableName}: ID!`) && /\bnode\(nodeId: \$nodeId\)/.test(text),
  'RoomRefetchQuery declares the variable the runtime passes and reads node(nodeId:)', text.slice(0, 200));
const first = await post(text, { [id.identifierQueryVariableName]: room.nodeId, count: 10, cursor: null });
const node = first.data?.node;
check(!first.errors && node?.__typename === 'Room' && node.id === '1' && node.name === room.name && node.nodeId === room.nodeId,
  `RoomRefetchQuery's text with room 1's nodeId (${room.nodeId}) answers room 1, "${node?.name}"`, first);
check(node && isDeepStrictEqual(rows(node.members.edges), rows(room.members.edges.slice(0, 10))),
  `  with its first ${node?.members.edges.length} members and their roles as the server lists them`,
  { refetch: node?.members.edges, server: room.members.edges.slice(0, 10) });

// 3. The README's environment's store.
const env = load('./environment.js').environment;
sent.length = 0;
// relay-runtime warns on the console (in development) of records that clash.
const warnings = [];
console.error = (...a) => warnings.push(a.join(' '));
const page = await fetchQuery(env, RoomPageQuery, { id: '1' }).toPromise();
check(page?.post?.id === '4001', 'RoomPageQuery\'s root field of another schema file (post) is sent and answered', page?.post);
const source = env.getStore().getSource();
const roomRecord = source.get(room.nodeId);
check(roomRecord?.__typename === 'Room' && roomRecord.name === room.name && roomRecord.id === '1',
  `the store keys room 1 by its nodeId: "${roomRecord?.name}"`, roomRecord);
const tags = new Map(room.posts.edges.flatMap((e) => e.node.tags).map((t) => [t.nodeId, t]));
const badTags = [...tags.values()].filter((t) => source.get(t.nodeId)?.name !== t.name || source.get(t.nodeId)?.__typename !== 'Tag');
check(tags.size > 0 && [...tags.values()].some((t) => t.id === '1') && badTags.length === 0 && source.get('1') === undefined,
  `the ${tags.size} tags (tag "1" among them) are records of their own, apart from room "1"`, badTags);

const connection = () => {
  const conn = source.get(ConnectionHandler.getConnectionID(room.nodeId, 'RoomMembers_members'));
  const edges = (conn?.edges?.__refs ?? []).map((ref) => source.get(ref));
  return {
    rows: edges.map((e) => ({ username: source.get(e.node.__ref)?.username, isOwner: e.isOwner, isAdmin: e.isAdmin })),
    pageInfo: conn && source.get(conn.pageInfo.__ref),
  };
};
const one = connection();
check(isDeepStrictEqual(one.rows, rows(room.members.edges.slice(0, 10))),
  `the members connection holds the first page: ${one.rows.length} edges`, one.rows);
await fetchQuery(env, RoomRefetchQuery,
  { [id.identifierQueryVariableName]: room.nodeId, count: 10, cursor: one.pageInfo?.endCursor }).toPromise();
const two = connection();
check(isDeepStrictEqual(two.rows, rows(room.members.edges)),
  `after RoomRefetchQuery with the endCursor the connection holds both pages, appended: ${two.rows.length} edges in the server's order`,
  { store: two.rows.map((r) => r.username), server: room.members.edges.map((e) => e.node.username) });
check(isDeepStrictEqual(sent, ['RoomPageQuery', 'RoomRefetchQuery']), `relay-runtime sent ${sent.join(', ')}`, sent);
check(warnings.length === 0, 'relay-runtime warned of nothing', warnings);
done();
