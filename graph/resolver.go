// Package graph is the GraphQL schema of the service and its resolvers: the
// .graphqls files (one per domain), gqlgen's generated executable schema, the
// resolvers, and what is specific to them. Each domain (rooms.go, users.go,
// posts.go and postwrites.go, comments.go, feed.go, verses.go; nodes.go reads any of them by nodeId) declares in its own file everything it owns: its
// loaders, its root lookups and plans, and the lists its writes make stale;
// this file only calls one constructor per domain. Everything that does not
// care which field is asked for (HTTP, the guard, loaders, paging, persisted
// queries, telemetry, errors) lives in graph's subpackages, which never import
// this one.
package graph

import (
	"slices"

	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/quran"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

//go:generate go run github.com/99designs/gqlgen generate

// Deps are what the domains declare their loaders over.
type Deps struct {
	Upstream *upstream.Client
	// Sharing is what the settings say of sharing an endpoint's lookups
	// across requests (nil: nothing is shared). Only the loaders a domain
	// declares shareable ask.
	Sharing func(upstream.Endpoint) loader.Sharing
	// Content is the Content API's client (nil: verse text only from Quran).
	Content *upstream.Content
	// Quran is the copy of the Quran's text held in memory (nil: none; every
	// verse is read from Content per range).
	Quran *quran.Store
	// VerseTranslation is the translation a verse's translation field uses
	// when given none; VerseTranslations those a read of a range asks for
	// with the text (the preloaded ones).
	VerseTranslation  int
	VerseTranslations []int
	// CountByVerse says the upstream serves Quran Reflect's count of posts by
	// verse (production does, pre-live does not).
	CountByVerse bool
	// WrapRoom, if set, wraps the fetch of a room by id (after sharing): tests
	// count, hold or break calls with it.
	WrapRoom func(loader.Fetch[string, *upstream.Room]) loader.Fetch[string, *upstream.Room]
}

func (d Deps) sharing(ep upstream.Endpoint) loader.Sharing {
	if d.Sharing == nil {
		return loader.Sharing{}
	}
	return d.Sharing(ep)
}

// Resolver is the root resolver: one loader set per domain. Each operation
// gets its own instance of each loader (see loader.Scope), carrying its viewer,
// so every upstream resource is fetched at most once per operation.
type Resolver struct {
	up       *upstream.Client
	rooms    *rooms
	users    *users
	posts    *posts
	comments *comments
	feed     *feed
	verses   *verses
}

// A domain is what each area of the schema declares besides its loaders: the
// root fields that look things up (the guard caps their ids) and the plans
// that prime its loaders with their keys.
type domain interface {
	lookups() []guard.Lookup
	plans() []loader.Plan
}

// NewResolver declares every domain's loaders over d.
func NewResolver(d Deps) *Resolver {
	return &Resolver{
		up:       d.Upstream,
		rooms:    newRooms(d),
		users:    newUsers(d),
		posts:    newPosts(d),
		comments: newComments(d),
		feed:     newFeed(d),
		verses:   newVerses(d),
	}
}

func (r *Resolver) domains() []domain {
	return []domain{r.rooms, r.users, r.posts, r.comments, r.feed, r.verses, nodes{r}}
}

// Lookups are every root field that looks things up by id or slug.
func (r *Resolver) Lookups() []guard.Lookup {
	var all []guard.Lookup
	for _, d := range r.domains() {
		all = slices.Concat(all, d.lookups())
	}
	return all
}

// Plans prime the loaders with every key the operation's root fields name, so
// that the first wave of upstream calls goes out as one batch per loader that
// closes on its last key, with no timer.
func (r *Resolver) Plans() []loader.Plan {
	var all []loader.Plan
	for _, d := range r.domains() {
		all = slices.Concat(all, d.plans())
	}
	return all
}
