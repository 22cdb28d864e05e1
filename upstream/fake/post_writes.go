package fake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The writes on posts: create, edit, delete, the like and save toggles, abuse
// reports and view tracking, and the read-back of a like. All but view tracking
// need a signed-in user (401 otherwise).

// maxWriteBody bounds the JSON bodies of the writes.
const maxWriteBody = 1 << 20

// readJSON decodes the body of r into v, refusing unknown fields (the gateway
// refuses properties its DTOs do not have); false, with a 400 sent, when it
// cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxWriteBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "A JSON body is required")
		return false
	}
	if err != nil {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "Invalid JSON body: "+err.Error())
		return false
	}
	return true
}

// postInput is a CreatePostDto, or an UpdatePostDto (every field optional).
type postInput struct {
	Body           *string           `json:"body"`
	Draft          *bool             `json:"draft"`
	References     *[]referenceInput `json:"references"`
	Mentions       []json.RawMessage `json:"mentions"`
	RoomPostStatus *int              `json:"roomPostStatus"`
	RoomID         json.RawMessage   `json:"roomId"`
	PostAsAuthorID *string           `json:"postAsAuthorId"`
	PublishedAt    *string           `json:"publishedAt"`
}

// referenceInput is a ReferenceAttributes. id is accepted so that a client can
// send back the references it read.
type referenceInput struct {
	ID        json.RawMessage `json:"id"`
	ChapterID *int            `json:"chapterId"`
	From      *int            `json:"from"`
	To        *int            `json:"to"`
}

// minPostBody is the shortest body a post may have, in characters.
const minPostBody = 6

// check returns what is wrong with in ("" when nothing): for a new post, body
// and references are required.
func (in postInput) check(creating bool) string {
	if in.Body != nil || creating {
		if in.Body == nil || utf8.RuneCountInString(strings.TrimSpace(*in.Body)) < minPostBody {
			return "Post body is too short: at least 6 characters"
		}
	}
	if in.References != nil || creating {
		if in.References == nil || len(*in.References) == 0 {
			return "At least one reference is required"
		}
		for _, ref := range *in.References {
			if _, ok := ref.verse(); !ok {
				return "Invalid references"
			}
		}
	}
	if st := in.RoomPostStatus; st != nil && (*st < 0 || *st > 2) {
		return "Invalid room post status"
	}
	return ""
}

// verse reads a reference: a chapter from 1 to 114 and verses within it, from
// <= to; from 0 (with to 0 or absent) is the whole chapter, and an absent to is
// from.
func (ref referenceInput) verse() (verse, bool) {
	if ref.ChapterID == nil || *ref.ChapterID < 1 || *ref.ChapterID > len(verseCounts()) {
		return verse{}, false
	}
	v := verse{chapter: *ref.ChapterID}
	if ref.From != nil {
		v.from = *ref.From
	}
	v.to = v.from
	if ref.To != nil {
		v.to = *ref.To
	}
	count := verseCounts()[v.chapter-1]
	if v.from < 0 || v.from > v.to || v.to > count || v.from == 0 && v.to != 0 {
		return verse{}, false
	}
	return v, true
}

// storedStatus turns a CreatePostDto roomPostStatus (0 as the room, 1 public,
// 2 members only) into a PostSerialized one (0 members only, 1 public, 2 as the
// room): the two are documented so, and the emulator takes both at their word.
func storedStatus(created int) int { return 2 - created }

// languageOf is the Quran Reflect language of a body: Arabic when most of its
// letters are Arabic, else English.
func languageOf(body string) int {
	arabic, letters := 0, 0
	for _, r := range body {
		if unicode.IsLetter(r) {
			letters++
			if unicode.Is(unicode.Arabic, r) {
				arabic++
			}
		}
	}
	if arabic*2 > letters {
		return langArabic
	}
	return langEnglish
}

// hashtags are the known tags a body names with #.
func hashtags(body string) []tag {
	var out []tag
	for _, word := range strings.Fields(body) {
		name, ok := strings.CutPrefix(word, "#")
		name = strings.TrimRightFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' })
		if !ok || name == "" {
			continue
		}
		for _, t := range allTags() {
			if strings.EqualFold(t.name, name) && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// mentioned reads the mentions of a body: user ids, or objects with an id or a
// userId, of known users. The caller holds dbMu.
func (db *store) mentioned(raw []json.RawMessage) []string {
	var ids []string
	for _, m := range raw {
		var id string
		if json.Unmarshal(m, &id) != nil {
			var obj struct {
				ID     string `json:"id"`
				UserID string `json:"userId"`
			}
			_ = json.Unmarshal(m, &obj)
			id = cmp.Or(obj.ID, obj.UserID)
		}
		if db.users[id] != nil && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// apply sets the post's fields from in, which check passed. The caller holds
// dbMu for writing.
func (s *Server) apply(p *post, in postInput) {
	now := s.opts.Now().UTC()
	if in.Body != nil {
		p.body = *in.Body
		p.language = languageOf(p.body)
		// The tags a body names; an edit that names none keeps the old ones.
		if tags := hashtags(p.body); len(tags) > 0 {
			p.tags = tags
		}
	}
	if in.References != nil {
		p.refs = p.refs[:0:0]
		for _, ref := range *in.References {
			v, _ := ref.verse()
			p.refs = append(p.refs, v)
		}
	}
	if in.Mentions != nil {
		p.mentions = s.db.mentioned(in.Mentions)
	}
	if in.RoomPostStatus != nil && p.room != nil {
		p.status = storedStatus(*in.RoomPostStatus)
	}
	if in.Draft != nil {
		if p.draft && !*in.Draft {
			p.published = now // publishing a draft dates it
		}
		p.draft = *in.Draft
	}
	p.updated = now
}

// handleCreatePost creates a post: 201 {post, success} ({data, success} with
// Options.PostCreatedAsData, as pre-live answers). A room post needs the
// viewer to be a member of the room.
func (s *Server) handleCreatePost(w http.ResponseWriter, r *http.Request, viewer string) {
	if !signedIn(w, viewer) {
		return
	}
	var body struct {
		Post *postInput `json:"post"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if body.Post == nil {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "post is required")
		return
	}
	in := *body.Post
	if msg := in.check(true); msg != "" {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", msg)
		return
	}
	roomID, err := bodyID(in.RoomID)
	if err != nil {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "Invalid roomId")
		return
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	p := &post{typeID: 1, status: 1, author: s.db.users[viewer]}
	if roomID != "" {
		p.room = s.db.rooms[roomID]
		switch {
		case p.room == nil:
			writeEnvelope(w, http.StatusNotFound, "not_found", "Room not found")
			return
		case !contains(p.room.members, viewer):
			writeEnvelope(w, http.StatusForbidden, "forbidden", "Only the room's members can post in it")
			return
		}
		p.status = storedStatus(1)
	}
	p.id = strconv.Itoa(s.db.nextPost)
	s.db.nextPost++
	p.seq = s.db.nextSeq
	s.db.nextSeq++
	p.published = s.opts.Now().UTC()
	s.apply(p, in)
	s.db.addPost(p)
	key := "post"
	if s.opts.PostCreatedAsData {
		key = "data"
	}
	writeJSON(w, http.StatusCreated, map[string]any{key: s.postJSON(p, viewer), "success": true})
}

// bodyID reads an id a body sends as a number or a string of digits; "" for
// none (absent, null or 0).
func bodyID(raw json.RawMessage) (string, error) {
	s := string(bytes.Trim(bytes.TrimSpace(raw), `"`))
	if s == "" || s == "null" || s == "0" {
		return "", nil
	}
	if n, err := strconv.ParseUint(s, 10, 64); err != nil || n == 0 {
		return "", errors.New("not an id")
	}
	return s, nil
}

// ownPost finds the post of the path for a write by its author: 404 when
// there is none (or it is someone else's draft), 403 when viewer is not its
// author. The caller holds dbMu.
func (s *Server) ownPost(w http.ResponseWriter, r *http.Request, viewer string) *post {
	p := s.db.visiblePost(r.PathValue("id"), viewer)
	switch {
	case p == nil:
		writeEnvelope(w, http.StatusNotFound, "not_found", "Post not found")
		return nil
	case p.author.id != viewer:
		writeEnvelope(w, http.StatusForbidden, "forbidden", "Only the author can change this post")
		return nil
	}
	return p
}

// handleEditPost edits a post with a bare UpdatePostDto (not wrapped in
// "post") and answers PostCreatedResponse {post, success}.
func (s *Server) handleEditPost(w http.ResponseWriter, r *http.Request, viewer string) {
	if !signedIn(w, viewer) {
		return
	}
	var in postInput
	if !readJSON(w, r, &in) {
		return
	}
	if msg := in.check(false); msg != "" {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", msg)
		return
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	p := s.ownPost(w, r, viewer)
	if p == nil {
		return
	}
	s.apply(p, in)
	writeJSON(w, http.StatusOK, map[string]any{"post": s.postJSON(p, viewer), "success": true})
}

// handleDeletePost deletes a post. The upstream queues the deletion and
// updates counts later; the emulator removes the post, its comments and its
// likes at once.
func (s *Server) handleDeletePost(w http.ResponseWriter, r *http.Request, viewer string) {
	if !signedIn(w, viewer) {
		return
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	p := s.ownPost(w, r, viewer)
	if p == nil {
		return
	}
	s.db.removePost(p)
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}

// removePost takes p out of every list. The caller holds dbMu for writing.
func (db *store) removePost(p *post) {
	delete(db.posts, p.id)
	without := func(list []*post) []*post { return slices.DeleteFunc(list, func(q *post) bool { return q == p }) }
	db.postList = without(db.postList)
	p.author.posts = without(p.author.posts)
	p.author.likes -= p.likes
	if p.room != nil {
		p.room.posts = without(p.room.posts)
	}
	for _, c := range p.comments {
		for _, r := range c.replies {
			delete(db.comments, r.id)
		}
		delete(db.comments, c.id)
	}
	for _, q := range db.postList {
		if q.reReflects == p {
			q.reReflects = nil
		}
	}
}

// handlePostToggle flips the viewer's like (answer {liked}) or save (answer
// {saved}) of a post, and answers the new state.
func (s *Server) handlePostToggle(save bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, viewer string) {
		if !signedIn(w, viewer) {
			return
		}
		s.dbMu.Lock()
		p := s.db.visiblePost(r.PathValue("id"), viewer)
		var on bool
		if p != nil {
			if save {
				on = p.setSaved(viewer, !contains(p.savedBy, viewer))
			} else {
				on = p.setLiked(viewer, !contains(p.likedBy, viewer))
			}
		}
		s.dbMu.Unlock()
		if p == nil {
			writeEnvelope(w, http.StatusNotFound, "not_found", "Post not found")
			return
		}
		key := "liked"
		if save {
			key = "saved"
		}
		writeJSON(w, http.StatusOK, map[string]any{key: on})
	}
}

// setLiked makes uid like p, or not, keeping the counts; it returns liked.
// The caller holds dbMu for writing.
func (p *post) setLiked(uid string, liked bool) bool {
	if contains(p.likedBy, uid) == liked {
		return liked
	}
	d := 1
	if liked {
		p.likedBy = append(p.likedBy, uid)
	} else {
		p.likedBy = remove(p.likedBy, uid)
		d = -1
	}
	p.likes += d
	p.author.likes += d
	return liked
}

// setSaved makes uid save p, or not; it returns saved. The caller holds dbMu
// for writing.
func (p *post) setSaved(uid string, saved bool) bool {
	if contains(p.savedBy, uid) != saved {
		if saved {
			p.savedBy = append(p.savedBy, uid)
		} else {
			p.savedBy = remove(p.savedBy, uid)
		}
	}
	return saved
}

// handleLiked answers whether the viewer likes a post: {liked}.
func (s *Server) handleLiked(w http.ResponseWriter, r *http.Request, viewer string) {
	if !signedIn(w, viewer) {
		return
	}
	s.dbMu.RLock()
	p := s.db.visiblePost(r.PathValue("id"), viewer)
	liked := p != nil && contains(p.likedBy, viewer)
	s.dbMu.RUnlock()
	if p == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Post not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"liked": liked})
}

// handleReport files an abuse report {"report": {"abuse", "comments"}}; abuse
// is required. Answer {reported}.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request, viewer string) {
	if !signedIn(w, viewer) {
		return
	}
	var body struct {
		Report *struct {
			Abuse    *string `json:"abuse"`
			Comments *string `json:"comments"`
		} `json:"report"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if body.Report == nil || body.Report.Abuse == nil || strings.TrimSpace(*body.Report.Abuse) == "" {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "report.abuse is required")
		return
	}
	rep := report{by: viewer, abuse: *body.Report.Abuse}
	if body.Report.Comments != nil {
		rep.comments = *body.Report.Comments
	}
	s.dbMu.Lock()
	p := s.db.visiblePost(r.PathValue("id"), viewer)
	if p != nil {
		p.reports = append(p.reports, rep)
	}
	s.dbMu.Unlock()
	if p == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Post not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"reported": true})
}

// handleViewed counts a view of a post, for any token: {success}.
func (s *Server) handleViewed(w http.ResponseWriter, r *http.Request, viewer string) {
	s.dbMu.Lock()
	p := s.db.visiblePost(r.PathValue("id"), viewer)
	if p != nil {
		p.views++
	}
	s.dbMu.Unlock()
	if p == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Post not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}
