package fake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Comments: create (a reply is a comment with a parentId), edit, delete (a
// GET, which also removes the comment's direct replies), the like toggle and a
// comment's replies. Replies are one level deep: a reply cannot be replied to.

// maxCommentBody is the longest comment body, in characters.
const maxCommentBody = 8000

// checkCommentBody returns what is wrong with a comment's body ("" when
// nothing).
func checkCommentBody(body *string) string {
	switch {
	case body == nil || strings.TrimSpace(*body) == "":
		return "Comment body is required"
	case utf8.RuneCountInString(*body) > maxCommentBody:
		return "Comment body is too long: at most 8000 characters"
	}
	return ""
}

// commentOf finds the comment of the path: nil when there is none, or when it
// is on someone else's draft. The caller holds dbMu.
func (s *Server) commentOf(r *http.Request, viewer string) *comment {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		return nil
	}
	c := s.db.comments[id]
	if c == nil || s.db.visiblePost(c.post.id, viewer) == nil {
		return nil
	}
	return c
}

// handleCreateComment creates a comment {"comment": {body, postId, isPrivate,
// parentId?, mentions?}}: 201 {comment, success}. 404 when the post or the
// parent is gone; 400 for a bad body or postId, or a parent that is a reply.
func (s *Server) handleCreateComment(w http.ResponseWriter, r *http.Request, viewer string) {
	if !signedIn(w, viewer) {
		return
	}
	var body struct {
		Comment *struct {
			Body      *string           `json:"body"`
			PostID    json.RawMessage   `json:"postId"`
			IsPrivate *bool             `json:"isPrivate"`
			ParentID  json.RawMessage   `json:"parentId"`
			Mentions  []json.RawMessage `json:"mentions"`
		} `json:"comment"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	in := body.Comment
	if in == nil {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "comment is required")
		return
	}
	if msg := checkCommentBody(in.Body); msg != "" {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", msg)
		return
	}
	postID, err := bodyID(in.PostID)
	if err != nil || postID == "" {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "Invalid postId")
		return
	}
	if in.IsPrivate == nil {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "isPrivate is required")
		return
	}
	parentID, err := bodyID(in.ParentID)
	if err != nil {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "Invalid parentId")
		return
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	p := s.db.visiblePost(postID, viewer)
	if p == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Post not found")
		return
	}
	var parent *comment
	if parentID != "" {
		n, _ := strconv.Atoi(parentID)
		parent = s.db.comments[n]
		switch {
		case parent == nil || parent.post != p:
			writeEnvelope(w, http.StatusNotFound, "not_found", "Parent comment not found")
			return
		case parent.parent != nil:
			writeEnvelope(w, http.StatusBadRequest, "invalid_request", "A reply cannot be replied to")
			return
		}
	}
	now := s.opts.Now().UTC()
	c := &comment{id: s.db.nextComment, post: p, parent: parent, author: s.db.users[viewer], body: *in.Body,
		private: *in.IsPrivate, createdAt: now, updatedAt: now}
	s.db.nextComment++
	s.db.comments[c.id] = c
	if parent != nil {
		parent.replies = append(parent.replies, c)
	} else {
		p.comments = append(p.comments, c)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"comment": commentJSON(c), "success": true})
}

// handleEditComment edits a comment's body {"comment": {body}}: only its
// author may (403 otherwise). Answer {data, success}.
func (s *Server) handleEditComment(w http.ResponseWriter, r *http.Request, viewer string) {
	if !signedIn(w, viewer) {
		return
	}
	var body struct {
		Comment *struct {
			Body     *string           `json:"body"`
			Mentions []json.RawMessage `json:"mentions"`
		} `json:"comment"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if body.Comment == nil {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "comment is required")
		return
	}
	if msg := checkCommentBody(body.Comment.Body); msg != "" {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", msg)
		return
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	c := s.commentOf(r, viewer)
	switch {
	case c == nil:
		writeEnvelope(w, http.StatusNotFound, "not_found", "Comment not found")
		return
	case c.author.id != viewer:
		writeEnvelope(w, http.StatusForbidden, "forbidden", "Only the author can edit this comment")
		return
	}
	c.body, c.edited, c.updatedAt = *body.Comment.Body, true, s.opts.Now().UTC()
	writeJSON(w, http.StatusOK, map[string]any{"data": commentJSON(c), "success": true})
}

// handleDeleteComment deletes a comment and its direct replies: its author or
// the post's may (400 otherwise, as documented); 404 when it is already gone.
// Answer {removed}.
func (s *Server) handleDeleteComment(w http.ResponseWriter, r *http.Request, viewer string) {
	if !signedIn(w, viewer) {
		return
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	c := s.commentOf(r, viewer)
	switch {
	case c == nil:
		writeEnvelope(w, http.StatusNotFound, "not_found", "The comment has already been deleted")
		return
	case c.author.id != viewer && c.post.author.id != viewer:
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "User not authorized to delete this comment")
		return
	}
	for _, reply := range c.replies {
		delete(s.db.comments, reply.id)
	}
	delete(s.db.comments, c.id)
	if c.parent != nil {
		c.parent.replies = slices.DeleteFunc(c.parent.replies, func(x *comment) bool { return x == c })
	} else {
		c.post.comments = slices.DeleteFunc(c.post.comments, func(x *comment) bool { return x == c })
	}
	writeJSON(w, http.StatusOK, map[string]any{"removed": true})
}

// handleReplies lists a comment's replies, the oldest first, with the comment:
// {total, currentPage, limit, pages, replies, comment}.
func (s *Server) handleReplies(w http.ResponseWriter, r *http.Request, viewer string) {
	q := newQuery(r)
	pg := q.page(maxPerPage, maxPerPage)
	if !q.ok(w) {
		return
	}
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	c := s.commentOf(r, viewer)
	if c == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Parent comment not found")
		return
	}
	body := pageBody(pg, "replies", seenBy(c.replies, viewer), func(r *comment) any { return commentJSON(r) })
	body["comment"] = commentJSON(c)
	writeJSON(w, http.StatusOK, body)
}

// handleCommentLike flips the viewer's like of a comment: {liked}.
func (s *Server) handleCommentLike(w http.ResponseWriter, r *http.Request, viewer string) {
	if !signedIn(w, viewer) {
		return
	}
	s.dbMu.Lock()
	c := s.commentOf(r, viewer)
	var liked bool
	if c != nil {
		liked = c.setLiked(viewer, !contains(c.likedBy, viewer))
	}
	s.dbMu.Unlock()
	if c == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Comment not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"liked": liked})
}

// setLiked makes uid like c, or not, keeping its count; it returns liked. The
// caller holds dbMu for writing.
func (c *comment) setLiked(uid string, liked bool) bool {
	if contains(c.likedBy, uid) != liked {
		if liked {
			c.likedBy = append(c.likedBy, uid)
			c.likes++
		} else {
			c.likedBy = remove(c.likedBy, uid)
			c.likes--
		}
	}
	return liked
}
