package fake

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The reflection loop's reads of many posts: the feed with its tabs and
// filters, a post's related posts and re-reflections, and the signed-in user's
// own posts. Every list is a FeedResponseDto.

// feedTabs are the feed's documented tabs.
func feedTabs() []string {
	return []string{"newest", "latest", "qdc", "following", "draft", "favorite", "most_popular",
		"only_room_members", "public", "feed", "trending", "popular"}
}

// feedQuery is a feed request once validated.
type feedQuery struct {
	tab, sortBy   string
	langs         []int
	verifiedOnly  bool
	refs          []verse // from 0: a whole chapter
	refsAnd       bool
	types         []int
	pages, groups []string
	tags          []string
	tagsAnd       bool
	authors       []string
}

// The feed's filter parameters; any other filter[...] is refused.
var (
	feedFilters = []string{"filter[verifiedOnly]", "filter[referencesOperator]", "filter[tagsOperator]",
		"filter[postTypeIds]", "filter[pages]", "filter[groups]", "filter[tags]", "filter[authors]"}
	referenceParam = regexp.MustCompile(`^filter\[references\]\[(\d{1,3})\]\[(chapterId|from|to)\]$`)
)

// readFeedQuery reads and checks the feed's parameters.
func readFeedQuery(q *query) feedQuery {
	f := feedQuery{
		sortBy:       q.enum("sortBy", "", false, "latest", "popular"),
		tab:          q.enum("tab", "", false, feedTabs()...),
		langs:        q.ints("languages", 1),
		verifiedOnly: q.bool("filter[verifiedOnly]", false),
		refsAnd:      q.enum("filter[referencesOperator]", "OR", false, "OR", "AND") == "AND",
		tagsAnd:      q.enum("filter[tagsOperator]", "OR", false, "OR", "AND") == "AND",
		types:        q.ints("filter[postTypeIds]", 1),
		pages:        q.values("filter[pages]"),
		groups:       q.values("filter[groups]"),
		tags:         q.values("filter[tags]"),
		authors:      q.values("filter[authors]"),
	}
	if f.sortBy == "" {
		f.sortBy = "latest"
		if f.tab == "most_popular" || f.tab == "popular" || f.tab == "trending" {
			f.sortBy = "popular"
		}
	}
	f.refs = readReferences(q)
	return f
}

// readReferences reads filter[references][i][chapterId|from|to], i from 0
// without gaps. A reference without from and to is its whole chapter; without
// to, the one verse from.
func readReferences(q *query) []verse {
	type raw struct{ chapter, from, to string }
	byIndex := map[int]*raw{}
	for key, vals := range q.r.URL.Query() {
		if !strings.HasPrefix(key, "filter[") || slices.Contains(feedFilters, key) {
			continue
		}
		m := referenceParam.FindStringSubmatch(key)
		if m == nil {
			q.fail(key, "INVALID")
			continue
		}
		i, _ := strconv.Atoi(m[1])
		if byIndex[i] == nil {
			byIndex[i] = &raw{}
		}
		v := ""
		if len(vals) > 0 {
			v = vals[0]
		}
		switch m[2] {
		case "chapterId":
			byIndex[i].chapter = v
		case "from":
			byIndex[i].from = v
		case "to":
			byIndex[i].to = v
		}
	}
	refs := make([]verse, 0, len(byIndex))
	for i := range len(byIndex) {
		name := func(field string) string { return "filter[references][" + strconv.Itoa(i) + "][" + field + "]" }
		r := byIndex[i]
		if r == nil || r.chapter == "" {
			q.fail(name("chapterId"), "REQUIRED")
			continue
		}
		number := func(field, s string, hi int) (int, bool) {
			n, err := strconv.Atoi(s)
			switch {
			case err != nil:
				q.fail(name(field), "INVALID")
			case n < 1:
				q.fail(name(field), "MIN")
			case n > hi:
				q.fail(name(field), "MAX")
			default:
				return n, true
			}
			return 0, false
		}
		chapter, ok := number("chapterId", r.chapter, len(verseCounts()))
		if !ok {
			continue
		}
		v := verse{chapter: chapter}
		count := verseCounts()[chapter-1]
		if r.from != "" {
			if v.from, ok = number("from", r.from, count); !ok {
				continue
			}
			v.to = v.from
		}
		if r.to != "" {
			if v.to, ok = number("to", r.to, count); !ok {
				continue
			}
			if r.from == "" {
				v.from = 1
			}
		}
		if v.from > v.to {
			q.fail(name("to"), "INVALID")
			continue
		}
		refs = append(refs, v)
	}
	return refs
}

// span is the verses a reference covers: from 0 is the whole chapter.
func span(v verse) (from, to int) {
	if v.from == 0 {
		return 1, verseCounts()[v.chapter-1]
	}
	return v.from, v.to
}

// overlaps reports whether two references share a verse.
func overlaps(a, b verse) bool {
	if a.chapter != b.chapter {
		return false
	}
	af, at := span(a)
	bf, bt := span(b)
	return af <= bt && bf <= at
}

// about reports whether one of the post's references overlaps v.
func (p *post) about(v verse) bool {
	return slices.ContainsFunc(p.refs, func(r verse) bool { return overlaps(r, v) })
}

// hasTag reports whether the post has a tag named name (ignoring case) or with
// the id name.
func (p *post) hasTag(name string) bool {
	return slices.ContainsFunc(p.tags, func(t tag) bool {
		return strings.EqualFold(t.name, name) || strconv.Itoa(t.id) == name
	})
}

// inFeed reports whether viewer may see p in a list of posts: not a draft,
// and, when it is for its room's members only, viewer is one.
func inFeed(p *post, viewer string) bool {
	if p.draft {
		return false
	}
	return p.status != 0 || p.room == nil || viewer != "" && contains(p.room.members, viewer)
}

// matches reports whether p is in the feed f asks viewer's for. The caller
// holds dbMu.
func (s *Server) matches(f feedQuery, p *post, viewer string) bool {
	if f.tab == "draft" {
		if !p.draft || viewer == "" || p.author.id != viewer {
			return false
		}
	} else if !inFeed(p, viewer) {
		return false
	}
	switch f.tab {
	case "qdc":
		if !p.reviewed || len(f.langs) > 0 && !slices.Contains(f.langs, p.language) {
			return false
		}
	case "following":
		if viewer == "" || !contains(s.db.users[viewer].follows, p.author.id) {
			return false
		}
	case "favorite":
		if !contains(p.savedBy, viewer) {
			return false
		}
	case "only_room_members":
		if p.room == nil || p.status != 0 || !contains(p.room.members, viewer) {
			return false
		}
	case "public":
		if p.status == 0 {
			return false
		}
	}
	if f.verifiedOnly && (p.author.verified == nil || !*p.author.verified) {
		return false
	}
	if len(f.types) > 0 && !slices.Contains(f.types, p.typeID) {
		return false
	}
	if len(f.pages)+len(f.groups) > 0 {
		if p.room == nil {
			return false
		}
		list := f.groups
		if p.room.roomType == "page" {
			list = f.pages
		}
		if !slices.Contains(list, p.room.slug) {
			return false
		}
	}
	if len(f.authors) > 0 && !slices.ContainsFunc(f.authors, func(a string) bool {
		return a == p.author.id || strings.EqualFold(a, p.author.username)
	}) {
		return false
	}
	if len(f.refs) > 0 && !anyOrAll(f.refsAnd, f.refs, p.about) {
		return false
	}
	return len(f.tags) == 0 || anyOrAll(f.tagsAnd, f.tags, p.hasTag)
}

// anyOrAll reports whether ok holds for one element of s (OR), or for every
// one (AND: all).
func anyOrAll[T any](all bool, s []T, ok func(T) bool) bool {
	if all {
		return !slices.ContainsFunc(s, func(v T) bool { return !ok(v) })
	}
	return slices.ContainsFunc(s, ok)
}

// handleFeed answers the feed. It works with a client-credentials token too;
// the tabs about a person (following, draft, favorite, only_room_members) are
// then empty. Languages filter the qdc tab and order every tab.
func (s *Server) handleFeed(w http.ResponseWriter, r *http.Request, viewer string) {
	q := newQuery(r)
	f := readFeedQuery(q)
	pg := q.page(maxPerPage, 0)
	if !q.ok(w) {
		return
	}
	s.dbMu.RLock()
	var posts []*post
	for _, p := range s.db.postList {
		if s.matches(f, p, viewer) {
			posts = append(posts, p)
		}
	}
	sortPosts(posts, f.sortBy, f.langs)
	body := pageBody(pg, "data", posts, func(p *post) any { return s.postJSON(p, viewer) })
	s.dbMu.RUnlock()
	writeJSON(w, http.StatusOK, body)
}

// maxRelated is the documented maximum (and default) limit of related posts.
const maxRelated = 8

// handleRelated lists the posts related to one: those on a verse it is on, or
// with a tag it has; the more they share, the sooner (a shared verse weighs
// more than a shared tag), then the newest first.
func (s *Server) handleRelated(w http.ResponseWriter, r *http.Request, viewer string) {
	q := newQuery(r)
	pg := q.page(maxRelated, maxRelated)
	if !q.ok(w) {
		return
	}
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	src := s.db.visiblePost(r.PathValue("id"), viewer)
	if src == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Post not found")
		return
	}
	score := map[*post]int{}
	var posts []*post
	for _, p := range s.db.postList {
		if p == src || !inFeed(p, viewer) {
			continue
		}
		n := 0
		for _, v := range src.refs {
			if p.about(v) {
				n += 2
			}
		}
		for _, t := range src.tags {
			if p.hasTag(t.name) {
				n++
			}
		}
		if n > 0 {
			score[p] = n
			posts = append(posts, p)
		}
	}
	sortPosts(posts, "latest", nil)
	slices.SortStableFunc(posts, func(a, b *post) int { return score[b] - score[a] })
	writeJSON(w, http.StatusOK, pageBody(pg, "data", posts, func(p *post) any { return s.postJSON(p, viewer) }))
}

// handleReReflections lists the posts that re-reflect on one, the newest first.
func (s *Server) handleReReflections(w http.ResponseWriter, r *http.Request, viewer string) {
	q := newQuery(r)
	pg := q.page(maxPerPage, 0)
	if !q.ok(w) {
		return
	}
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	src := s.db.visiblePost(r.PathValue("id"), viewer)
	if src == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Post not found")
		return
	}
	var posts []*post
	for _, p := range s.db.postList {
		if p.reReflects == src && inFeed(p, viewer) {
			posts = append(posts, p)
		}
	}
	writeJSON(w, http.StatusOK, s.postPage(posts, "latest", pg, viewer))
}

// handleMyPosts lists the signed-in user's posts: my_reflections (published),
// saved (by them, anyone's), notes (their drafts) or mentions (posts that
// mention them).
func (s *Server) handleMyPosts(w http.ResponseWriter, r *http.Request, viewer string) {
	if !signedIn(w, viewer) {
		return
	}
	q := newQuery(r)
	tab := q.enum("tab", "my_reflections", false, "my_reflections", "saved", "notes", "mentions")
	sortBy := q.enum("sortBy", "latest", false, "latest", "popular")
	pg := q.page(maxPerPage, maxPerPage)
	types := q.ints("postTypeIds", 1)
	if !q.ok(w) {
		return
	}
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	var posts []*post
	for _, p := range s.db.postList {
		var in bool
		switch tab {
		case "my_reflections":
			in = p.author.id == viewer && !p.draft
		case "saved":
			in = contains(p.savedBy, viewer) && inFeed(p, viewer)
		case "notes":
			in = p.author.id == viewer && p.draft
		case "mentions":
			in = contains(p.mentions, viewer) && inFeed(p, viewer)
		}
		if in && (len(types) == 0 || slices.Contains(types, p.typeID)) {
			posts = append(posts, p)
		}
	}
	writeJSON(w, http.StatusOK, s.postPage(posts, sortBy, pg, viewer))
}
