package fake

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Posts: one post, a room's posts, a user's posts and a post's comments.

func (s *Server) handlePost(w http.ResponseWriter, r *http.Request, viewer string) {
	s.dbMu.RLock()
	p := s.db.visiblePost(r.PathValue("id"), viewer)
	var body map[string]any
	if p != nil {
		body = s.postJSON(p, viewer)
	}
	s.dbMu.RUnlock()
	if p == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Post not found")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// visiblePost is post id, unless there is none or it is a draft of someone
// else's. The caller holds dbMu.
func (db *store) visiblePost(id, viewer string) *post {
	p := db.posts[id]
	if p == nil || p.draft && p.author.id != viewer {
		return nil
	}
	return p
}

// published are the posts of list that are not drafts.
func published(list []*post) []*post {
	return slices.DeleteFunc(slices.Clone(list), func(p *post) bool { return p.draft })
}

// handleRoomPosts lists a room's posts. Tabs: reflections (post type 1), saved
// (saved by the viewer; none for a client-credentials token), public (room post
// status 1 or 2), members_only (status 0); no tab: all of them.
func (s *Server) handleRoomPosts(w http.ResponseWriter, r *http.Request, viewer string) {
	q := newQuery(r)
	sortBy := q.enum("sortBy", "latest", false, "latest", "popular")
	p := q.page(maxPerPage, maxPerPage)
	tab := q.enum("tab", "", false, "reflections", "saved", "public", "members_only")
	if !q.ok(w) {
		return
	}
	s.dbMu.RLock()
	rm := s.db.rooms[r.PathValue("id")]
	var body map[string]any
	if rm != nil {
		posts := slices.DeleteFunc(published(rm.posts), func(p *post) bool {
			switch tab {
			case "reflections":
				return p.typeID != 1
			case "saved":
				return !contains(p.savedBy, viewer)
			case "public":
				return p.status == 0
			case "members_only":
				return p.status != 0
			}
			return false
		})
		body = s.postPage(posts, sortBy, p, viewer)
	}
	s.dbMu.RUnlock()
	if rm == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Room not found")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// handleUserPosts lists a user's posts; an unknown user has none (the docs
// give no 404 here).
func (s *Server) handleUserPosts(w http.ResponseWriter, r *http.Request, viewer string) {
	q := newQuery(r)
	sortBy := q.enum("sortBy", "latest", false, "latest", "popular")
	p := q.page(maxPerPage, maxPerPage)
	if !q.ok(w) {
		return
	}
	s.dbMu.RLock()
	var posts []*post
	if u := s.db.users[r.PathValue("id")]; u != nil {
		posts = published(u.posts)
	}
	body := s.postPage(posts, sortBy, p, viewer)
	s.dbMu.RUnlock()
	writeJSON(w, http.StatusOK, body)
}

// postPage sorts posts (latest: newest first; popular: most liked first) and
// shows page p of them. The caller holds dbMu.
func (s *Server) postPage(posts []*post, sortBy string, p paging, viewer string) map[string]any {
	sortPosts(posts, sortBy, nil)
	return pageBody(p, "data", posts, func(p *post) any { return s.postJSON(p, viewer) })
}

// sortPosts orders posts: first by the rank of their language in langs (those
// in none last), then latest (newest first) or popular (most liked first), the
// newest first among equals. Every post has its own seq, so that the order is
// total and pages neither repeat nor skip a post.
func sortPosts(posts []*post, sortBy string, langs []int) {
	rank := func(p *post) int {
		if i := slices.Index(langs, p.language); i >= 0 {
			return i
		}
		return len(langs)
	}
	slices.SortFunc(posts, func(a, b *post) int {
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		if sortBy == "popular" {
			if c := cmp.Compare(b.likes, a.likes); c != 0 {
				return c
			}
		}
		return cmp.Or(b.published.Compare(a.published), cmp.Compare(b.seq, a.seq))
	})
}

// handleComments lists a post's top-level comments, the oldest first (a
// private one only to its author and the post's).
func (s *Server) handleComments(w http.ResponseWriter, r *http.Request, viewer string) {
	q := newQuery(r)
	pg := q.page(maxPerPage, maxPerPage)
	if !q.ok(w) {
		return
	}
	s.dbMu.RLock()
	p := s.db.visiblePost(r.PathValue("id"), viewer)
	var body map[string]any
	if p != nil {
		body = pageBody(pg, "comments", seenBy(p.comments, viewer), func(c *comment) any { return commentJSON(c) })
	}
	s.dbMu.RUnlock()
	if p == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Post not found")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// postJSON is a PostSerialized; the viewer's own flags (isLiked, isSaved, ...)
// only for a signed-in viewer: for a client-credentials token they would say
// nothing about a person, so they are left out. A draft has no publishedAt; a
// post in no room has a null roomId and no room. The caller holds dbMu.
func (s *Server) postJSON(p *post, viewer string) map[string]any {
	tags := make([]any, 0, len(p.tags))
	for _, t := range p.tags {
		tags = append(tags, map[string]any{"id": t.id, "name": t.name, "language": t.lang})
	}
	refs := make([]any, 0, len(p.refs))
	for i, v := range p.refs {
		refs = append(refs, map[string]any{
			"id": p.id + "-" + strconv.Itoa(i+1), "chapterId": v.chapter, "from": v.from, "to": v.to,
		})
	}
	mentions := make([]any, 0, len(p.mentions))
	for _, id := range p.mentions {
		mentions = append(mentions, authorJSON(s.db.users[id]))
	}
	m := map[string]any{
		"id":                   json.Number(p.id),
		"authorId":             p.author.id,
		"author":               authorJSON(p.author),
		"body":                 p.body,
		"createdAt":            isoTime(p.published),
		"updatedAt":            isoTime(p.updated),
		"commentsCount":        p.commentsCount(),
		"likesCount":           p.likes,
		"viewsCount":           p.views,
		"views":                p.views,
		"readsCount":           p.views / 2,
		"roomId":               nil,
		"roomPostStatus":       p.status,
		"postTypeId":           p.typeID,
		"postTypeName":         map[int]string{1: "Reflection", 2: "Lesson"}[p.typeID],
		"tags":                 tags,
		"references":           refs,
		"mentions":             mentions,
		"languageId":           p.language,
		"languageName":         languageNames()[p.language],
		"draft":                p.draft,
		"verified":             p.author.verified != nil && *p.author.verified,
		"reviewStatus":         map[bool]int{false: 1, true: 2}[p.reviewed],
		"moderationStatus":     1,
		"hidden":               false,
		"removed":              false,
		"reported":             len(p.reports) > 0,
		"estimatedReadingTime": readingTime(p.body),
	}
	if !p.draft {
		m["publishedAt"] = isoTime(p.published)
	}
	if p.reviewed {
		m["reviewedAt"] = isoTime(p.published.Add(6 * time.Hour))
	}
	if p.room != nil {
		rm := map[string]any{
			"id":       json.Number(p.room.id),
			"name":     p.room.name,
			"roomType": p.room.roomType,
			"verified": p.room.verified,
			"isPublic": p.room.public,
		}
		if p.room.roomType == "page" {
			rm["subdomain"] = p.room.slug
		} else {
			rm["_group"] = p.room.slug
		}
		m["roomId"] = json.Number(p.room.id)
		m["room"] = rm
	}
	if n := len(p.comments); n > 0 {
		c := p.comments[n-1]
		m["recentComment"] = map[string]any{
			"id": c.id, "author": authorJSON(c.author), "body": c.body, "createdAt": isoTime(c.createdAt),
		}
	}
	if viewer != "" {
		m["isLiked"] = contains(p.likedBy, viewer)
		m["isSaved"] = contains(p.savedBy, viewer)
		m["isByFollowedUser"] = contains(s.db.users[viewer].follows, p.author.id)
		m["isCommentedOn"] = p.commentedOnBy(viewer)
	}
	return m
}

// seenBy are the comments of list viewer may read: a private comment is for
// its author and the post's only.
func seenBy(list []*comment, viewer string) []*comment {
	return slices.DeleteFunc(slices.Clone(list), func(c *comment) bool {
		return c.private && (viewer == "" || viewer != c.author.id && viewer != c.post.author.id)
	})
}

// commentsCount counts the post's comments and their replies.
func (p *post) commentsCount() int {
	n := len(p.comments)
	for _, c := range p.comments {
		n += len(c.replies)
	}
	return n
}

func (p *post) commentedOnBy(uid string) bool {
	for _, c := range p.comments {
		if c.author.id == uid || slices.ContainsFunc(c.replies, func(r *comment) bool { return r.author.id == uid }) {
			return true
		}
	}
	return false
}

// readingTime is the minutes a body takes to read, at 200 words a minute, at
// least 1.
func readingTime(body string) int { return max(1, (len(strings.Fields(body))+199)/200) }

// commentJSON is a Comment. A top-level comment's parentId is null.
func commentJSON(c *comment) map[string]any {
	var parent any
	if c.parent != nil {
		parent = c.parent.id
	}
	return map[string]any{
		"id":           c.id,
		"postId":       json.Number(c.post.id),
		"authorId":     c.author.id,
		"author":       authorJSON(c.author),
		"parentId":     parent,
		"isPrivate":    c.private,
		"body":         c.body,
		"createdAt":    isoTime(c.createdAt),
		"updatedAt":    isoTime(c.updatedAt),
		"isEdited":     c.edited,
		"repliesCount": len(c.replies),
		"likesCount":   c.likes,
		"languageId":   languageOf(c.body),
		"languageName": languageNames()[languageOf(c.body)],
	}
}

// isoTime formats t as the upstream's ISO 8601 date-times: "2025-01-01T06:00:00.000Z".
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// The posts routes: posts, a user's posts, a post's comments.
const (
	RoutePost         = "GET /quran-reflect/v1/posts/{id}"
	RouteUserPosts    = "GET /quran-reflect/v1/posts/user-posts/{id}"
	RoutePostComments = "GET /quran-reflect/v1/posts/{id}/comments"
)

func (s *Server) postRoutes() []routeOf {
	return []routeOf{
		{RoutePost, s.handlePost},
		{RouteUserPosts, s.handleUserPosts},
		{RoutePostComments, s.handleComments},
	}
}
