#!/usr/bin/env bash
# The README's TypeScript recipe, followed as a new user would: the codegen.yml
# that README.md shows (with BASE_URL in place of http://localhost:8080), a
# query of its own and the README's room page (query RoomPage, which has a
# post's createdAt) in src/, then `npx graphql-codegen` (client preset), with
# the packages of e2e/package-lock.json, then `tsc --strict --noEmit` on a file
# that makes a Date of each post's createdAt: DateTime must come out as string
# (the recipe's strictScalars and scalars), not unknown. Codegen fetches
# BASE_URL/schema.graphql with its own HTTP client, GraphQL Tools'
# @whatwg-node/fetch, left at its defaults: it advertises "gzip, deflate, br,
# zstd" even on Node.js 20, whose zlib cannot decode zstd (codegen then dies
# with "createZstdDecompress is not a function").
# Fails unless the typed documents come out and type-check.
# Usage: e2e/codegen.sh BASE_URL (e.g. http://127.0.0.1:8080)
set -euo pipefail
base=${1:?usage: e2e/codegen.sh BASE_URL}
cd "$(dirname "$0")/.."
[[ -x e2e/node_modules/.bin/graphql-codegen ]] || { echo "no e2e/node_modules: run npm ci --prefix e2e"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# README.md's block from "# codegen.yml" to its closing fence, unindented.
awk '/^ *# codegen\.yml$/ { on = 1; ind = match($0, /[^ ]/) - 1 }
     on && /^ *```/ { exit }
     on { print substr($0, ind + 1) }' README.md |
  sed "s|http://localhost:8080/|$base/|" >"$dir/codegen.yml"
grep -qx "schema: $base/schema.graphql" "$dir/codegen.yml" || {
  echo "README.md has no codegen.yml with schema: http://localhost:8080/schema.graphql:"
  cat "$dir/codegen.yml"; exit 1
}
mkdir "$dir/src"
cat >"$dir/src/room.graphql" <<'EOF'
query Room($id: ID!) {
  room(id: $id) {
    id
    name
    roomType
    postsCount
  }
}
EOF
# README.md's room page: the graphql block that starts "query RoomPage {".
awk 'prev == "```graphql" && $0 == "query RoomPage {" { on = 1 }
     on && /^```/ { exit }
     on { print }
     { prev = $0 }' README.md >"$dir/src/roomPage.graphql"
grep -q 'createdAt' "$dir/src/roomPage.graphql" || {
  echo "README.md has no query RoomPage that selects a post's createdAt:"; cat "$dir/src/roomPage.graphql"; exit 1
}
cat >"$dir/src/dates.ts" <<'EOF'
import type { RoomPageQuery } from './gql/graphql';

// The days a room page's posts were written on, newest first.
export function postDays(page: RoomPageQuery): string[] {
  const posts = (page.room?.posts.edges ?? []).flatMap((edge) => (edge.node ? [edge.node] : []));
  return posts
    .map((post) => new Date(post.createdAt))
    .sort((a, b) => b.getTime() - a.getTime())
    .map((date) => date.toISOString().slice(0, 10));
}
EOF
ln -s "$PWD/e2e/node_modules" "$dir/node_modules" # as if installed in the project

# --no: never download; this runs the locked install in node_modules/.bin.
(cd "$dir" && timeout 60 npx --no graphql-codegen) || { echo "graphql-codegen failed"; exit 1; }

fail=0
expect() { # expect FILE TEXT: FILE (under src/gql/) contains TEXT
  grep -qF -- "$2" "$dir/src/gql/$1" 2>/dev/null || { echo "src/gql/$1 lacks: $2"; fail=1; }
}
expect graphql.ts "export type RoomQuery = { room: { id: string, name: string, roomType: RoomType | null, postsCount: number } | null };"
expect graphql.ts "as unknown as DocumentNode<RoomQuery, RoomQueryVariables>;"
expect graphql.ts "export type RoomType ="
expect graphql.ts "/** A group: members join and post together. */"
expect gql.ts "typeof types.RoomDocument"
expect graphql.ts "export type RoomPageQuery = "
expect graphql.ts "as unknown as DocumentNode<RoomPageQuery, RoomPageQueryVariables>;"
((fail == 0)) || { ls -l "$dir/src/gql" 2>&1; exit 1; }
echo "ok: src/gql/graphql.ts has RoomQuery, RoomQueryVariables and RoomDocument typed from $base/schema.graphql, and the README's RoomPage"

(cd "$dir" && timeout 60 node_modules/.bin/tsc --strict --noEmit --target es2022 --module esnext --moduleResolution bundler src/dates.ts) || {
  echo "tsc --strict --noEmit fails on new Date(post.createdAt) over the generated RoomPageQuery (src/dates.ts above)"
  exit 1
}
echo "ok: tsc --strict --noEmit passes on new Date(post.createdAt) over the generated RoomPageQuery"
