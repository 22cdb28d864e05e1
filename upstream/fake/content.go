package fake

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The Content API's routes the service calls, and Quran Reflect's count of
// posts by verse, which sits beside them in the service's verse panel.
const (
	RouteQuranUthmani         = "GET /content/api/v4/quran/verses/uthmani"
	RouteQuranTranslation     = "GET /content/api/v4/quran/translations/{translation_id}"
	RouteChapters             = "GET /content/api/v4/chapters"
	RouteTranslationResources = "GET /content/api/v4/resources/translations"
	RouteVersesByRange        = "GET /content/api/v4/verses/by_range"
	RoutePostsCountByVerse    = "GET /quran-reflect/v1/posts/count-by-verse/{verseId}"
)

func (s *Server) contentRoutes() []routeOf {
	return []routeOf{
		{RouteQuranUthmani, s.handleQuranUthmani},
		{RouteQuranTranslation, s.handleQuranTranslation},
		{RouteChapters, s.handleChapters},
		{RouteTranslationResources, s.handleTranslationResources},
		{RouteVersesByRange, s.handleVersesByRange},
		{RoutePostsCountByVerse, s.handlePostsCountByVerse},
	}
}

// Scopes. The Content API wants a client-credentials token for scope content;
// whether one token may also carry Quran Reflect scopes is unconfirmed, so the
// emulator holds the service to the safe reading: content routes need content,
// and a token for content alone is refused by Quran Reflect.
const (
	scopeContent = "content"
	// ScopeUser is how ScopesUsed names a signed-in user's token.
	ScopeUser = "user"
)

// normalScope is a scope as granted: its scopes sorted, without repeats,
// separated by one space.
func normalScope(scope string) string {
	fs := strings.Fields(scope)
	slices.Sort(fs)
	return strings.Join(slices.Compact(fs), " ")
}

// isContentRoute reports whether pattern is a Content API route.
func isContentRoute(pattern string) bool {
	_, path, _ := strings.Cut(pattern, " ")
	return strings.HasPrefix(path, "/content/")
}

// scopeAllows notes the scope of the token that called pattern (for
// ScopesUsed) and answers 403 when that scope may not call it. token has been
// authenticated: one the token endpoint did not issue is a user's.
func (s *Server) scopeAllows(w http.ResponseWriter, pattern, token string) bool {
	s.mu.Lock()
	t, cc := s.issued[token]
	scope := ScopeUser
	if cc {
		scope = t.scope
	}
	if s.scopesUsed[pattern] == nil {
		s.scopesUsed[pattern] = make(map[string]bool)
	}
	s.scopesUsed[pattern][scope] = true
	s.mu.Unlock()
	switch content := isContentRoute(pattern); {
	case content && (!cc || !slices.Contains(strings.Fields(scope), scopeContent)):
		writeEnvelope(w, http.StatusForbidden, "forbidden", "This call needs a client-credentials token for scope content")
		return false
	case !content && cc && scope == scopeContent:
		writeEnvelope(w, http.StatusForbidden, "forbidden", "A token for scope content cannot call Quran Reflect")
		return false
	}
	return true
}

// ScopesUsed returns the distinct scopes of the tokens that called route
// since the server started, sorted: a client-credentials token's granted scope
// ("" when none was asked for; several scopes sorted and joined by a space),
// ScopeUser for a signed-in user's token. Calls refused for their scope count;
// calls refused before (no or unknown token) do not.
func (s *Server) ScopesUsed(route string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.scopesUsed[route]))
	for sc := range s.scopesUsed[route] {
		out = append(out, sc)
	}
	slices.Sort(out)
	return out
}

// chapterFilter reads the optional chapter_number filter of the whole-Quran
// reads: 0 for none.
func chapterFilter(q *query) int { return q.int("chapter_number", 0, 1, chapters) }

// eachVerse calls fn with every verse of the Quran in order, or of chapter
// only when chapter is not 0.
func eachVerse(chapter int, fn func(k verseKey)) {
	for c := 1; c <= chapters; c++ {
		if chapter != 0 && c != chapter {
			continue
		}
		for v := 1; v <= chapterVerses(c); v++ {
			fn(verseKey{chapter: c, verse: v})
		}
	}
}

func filtersOf(chapter int) map[string]any {
	f := map[string]any{}
	if chapter != 0 {
		f["chapter_number"] = chapter
	}
	return f
}

// handleQuranUthmani answers the Uthmani text of the whole Quran, or of one
// chapter (chapter_number); other filters are ignored.
func (s *Server) handleQuranUthmani(w http.ResponseWriter, r *http.Request, _ string) {
	q := newQuery(r)
	chapter := chapterFilter(q)
	if !q.ok(w) {
		return
	}
	texts := uthmaniVerses()
	verses := make([]any, 0, totalVerses)
	eachVerse(chapter, func(k verseKey) {
		verses = append(verses, map[string]any{"id": k.index(), "verse_key": k.String(), "text_uthmani": uthmaniText(texts, k)})
	})
	writeJSON(w, http.StatusOK, map[string]any{"verses": verses, "meta": map[string]any{"filters": filtersOf(chapter)}})
}

// handleQuranTranslation answers one translation of the whole Quran, or of one
// chapter. Rows carry verse_key and verse_id only when fields asks for them.
func (s *Server) handleQuranTranslation(w http.ResponseWriter, r *http.Request, _ string) {
	q := newQuery(r)
	chapter := chapterFilter(q)
	fields := q.values("fields")
	if !q.ok(w) {
		return
	}
	id, err := strconv.Atoi(r.PathValue("translation_id"))
	tr, ok := translationResources()[id]
	if err != nil || !ok {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Translation not found")
		return
	}
	withKey, withID := slices.Contains(fields, "verse_key"), slices.Contains(fields, "verse_id")
	rows := make([]any, 0, totalVerses)
	eachVerse(chapter, func(k verseKey) {
		row := map[string]any{"resource_id": tr.id, "text": tr.text(k)}
		if withKey {
			row["verse_key"] = k.String()
		}
		if withID {
			row["verse_id"] = k.index()
		}
		rows = append(rows, row)
	})
	writeJSON(w, http.StatusOK, map[string]any{"translations": rows, "meta": map[string]any{
		"translation_name": tr.name, "author_name": tr.author, "filters": filtersOf(chapter)}})
}

// handleChapters lists the 114 chapters. Names are in English whatever the
// language asked for.
func (s *Server) handleChapters(w http.ResponseWriter, _ *http.Request, _ string) {
	infos := chapterInfos()
	chapters := make([]any, 0, len(infos))
	for i, c := range infos {
		id := i + 1
		place := "makkah"
		if c.order >= madinanFrom {
			place = "madinah"
		}
		from, to := chapterPages(id)
		chapters = append(chapters, map[string]any{
			"id": id, "revelation_place": place, "revelation_order": c.order,
			"bismillah_pre": id != 1 && id != 9,
			"name_simple":   c.simple, "name_complex": c.simple, "name_arabic": c.arabic,
			"verses_count":    chapterVerses(id),
			"pages":           []int{from, to},
			"translated_name": map[string]any{"language_name": "english", "name": c.english},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"chapters": chapters})
}

// handleTranslationResources lists the translations served.
func (s *Server) handleTranslationResources(w http.ResponseWriter, _ *http.Request, _ string) {
	trs := translationResources()
	ids := make([]int, 0, len(trs))
	for id := range trs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	list := make([]any, 0, len(ids))
	for _, id := range ids {
		tr := trs[id]
		list = append(list, map[string]any{"id": tr.id, "name": tr.name, "author_name": tr.author, "slug": tr.slug,
			"language_name": tr.language, "translated_name": map[string]any{"name": tr.name, "language_name": "english"}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"translations": list})
}

// Pages of verses: 10 by default, at most 50.
const (
	versesPerPage    = 10
	maxVersesPerPage = 50
)

// verseKeyParam reads a required verse key parameter.
func verseKeyParam(q *query, name string) verseKey {
	raw := q.text(name)
	if raw == "" {
		q.fail(name, "REQUIRED")
		return verseKey{}
	}
	k, ok := parseVerseKey(raw)
	if !ok {
		q.fail(name, "INVALID")
	}
	return k
}

// handleVersesByRange answers one page of the verses from..to (inclusive, in
// the order of the Quran). text_uthmani is there only when fields asks for
// it; translations only those named that the emulator serves (others are
// left out), with resource_name and language_name when translation_fields
// asks for them.
func (s *Server) handleVersesByRange(w http.ResponseWriter, r *http.Request, _ string) {
	q := newQuery(r)
	from, to := verseKeyParam(q, "from"), verseKeyParam(q, "to")
	pg := paging{page: q.int("page", 1, 1, 0), limit: q.int("per_page", versesPerPage, 1, maxVersesPerPage)}
	fields := q.values("fields")
	trIDs := q.ints("translations", 1)
	trFields := q.values("translation_fields")
	if from.valid() && to.valid() && to.index() < from.index() {
		q.fail("to", "INVALID")
	}
	if !q.ok(w) {
		return
	}
	texts := uthmaniVerses()
	all := translationResources()
	var trs []translationResource
	for _, id := range trIDs {
		if tr, ok := all[id]; ok && !slices.ContainsFunc(trs, func(t translationResource) bool { return t.id == id }) {
			trs = append(trs, tr)
		}
	}
	total := to.index() - from.index() + 1
	lo, hi := pg.window(total)
	verses := make([]any, 0, hi-lo)
	for i := from.index() + lo; i < from.index()+hi; i++ {
		k, _ := verseAt(i)
		at := placeOf(k)
		v := map[string]any{"id": i, "verse_number": k.verse, "verse_key": k.String(), "chapter_id": k.chapter,
			"verse_index": i, "hizb_number": at.hizb, "juz_number": at.juz, "page_number": at.page}
		if slices.Contains(fields, "text_uthmani") {
			v["text_uthmani"] = uthmaniText(texts, k)
		}
		rows := make([]any, 0, len(trs))
		for _, tr := range trs {
			row := map[string]any{"id": tr.id*10000 + i, "resource_id": tr.id, "text": tr.text(k)}
			if slices.Contains(trFields, "resource_name") {
				row["resource_name"] = tr.name
			}
			if slices.Contains(trFields, "language_name") {
				row["language_name"] = tr.language
			}
			rows = append(rows, row)
		}
		v["translations"] = rows
		verses = append(verses, v)
	}
	pages := (total + pg.limit - 1) / pg.limit
	var next any
	if pg.page < pages {
		next = pg.page + 1
	}
	writeJSON(w, http.StatusOK, map[string]any{"verses": verses, "pagination": map[string]any{
		"per_page": pg.limit, "current_page": pg.page, "next_page": next, "total_pages": pages, "total_records": total}})
}

// handlePostsCountByVerse counts the posts anyone may see (published, and not
// for a room's members only) that reference the verse at a cumulative index.
func (s *Server) handlePostsCountByVerse(w http.ResponseWriter, r *http.Request, _ string) {
	q := newQuery(r)
	n, err := strconv.Atoi(r.PathValue("verseId"))
	k, ok := verseAt(n)
	if err != nil || !ok {
		q.fail("verseId", "INVALID")
	}
	if !q.ok(w) {
		return
	}
	v := verse{chapter: k.chapter, from: k.verse, to: k.verse}
	count := 0
	s.dbMu.RLock()
	for _, p := range s.db.postList {
		if inFeed(p, "") && p.about(v) {
			count++
		}
	}
	s.dbMu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"count": count})
}
