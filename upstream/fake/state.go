package fake

import "strconv"

// What tests read and change of the demo data besides the API: a user's like
// or save of a post (another device's toggle), and the counts a write should
// have changed. Users are named by id: DemoTokens maps each demo token to its
// user's.

// BeforeRoute makes fn run once, just before the handler of the next call of
// route (one of the Route constants) that passes authentication and the
// faults: a test plays, say, another device toggling a like between the read
// and the toggle of the client under test. Several fns for one route run one
// per call, in the order they were given. fn runs without the emulator's
// locks held, so it may call the Server's methods.
func (s *Server) BeforeRoute(route string, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.before == nil {
		s.before = make(map[string][]func())
	}
	s.before[route] = append(s.before[route], fn)
}

// takeBefore takes the next BeforeRoute function of route, if any.
func (s *Server) takeBefore(route string) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	fns := s.before[route]
	if len(fns) == 0 {
		return nil
	}
	s.before[route] = fns[1:]
	return fns[0]
}

// Liked reports whether user userID likes post postID.
func (s *Server) Liked(userID, postID string) bool {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	p := s.db.posts[postID]
	return p != nil && contains(p.likedBy, userID)
}

// SetLiked makes user userID like post postID, or not, as another device
// would, keeping the counts; false when there is no such post or user.
func (s *Server) SetLiked(userID, postID string, liked bool) bool {
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	p := s.db.posts[postID]
	if p == nil || s.db.users[userID] == nil {
		return false
	}
	p.setLiked(userID, liked)
	return true
}

// Saved reports whether user userID saved post postID.
func (s *Server) Saved(userID, postID string) bool {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	p := s.db.posts[postID]
	return p != nil && contains(p.savedBy, userID)
}

// SetSaved makes user userID save post postID, or not; false when there is no
// such post or user.
func (s *Server) SetSaved(userID, postID string, saved bool) bool {
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	p := s.db.posts[postID]
	if p == nil || s.db.users[userID] == nil {
		return false
	}
	p.setSaved(userID, saved)
	return true
}

// CommentLiked reports whether user userID likes comment commentID.
func (s *Server) CommentLiked(userID, commentID string) bool {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	n, err := strconv.Atoi(commentID)
	c := s.db.comments[n]
	return err == nil && c != nil && contains(c.likedBy, userID)
}

// PostCounts are the counts of one post, as its PostSerialized shows them.
type PostCounts struct {
	Likes, Views, Comments, Reports int
}

// PostCounts reports the counts of post postID; false when there is no such
// post (or it was deleted).
func (s *Server) PostCounts(postID string) (PostCounts, bool) {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	p := s.db.posts[postID]
	if p == nil {
		return PostCounts{}, false
	}
	return PostCounts{Likes: p.likes, Views: p.views, Comments: p.commentsCount(), Reports: len(p.reports)}, true
}

// HasComment reports whether comment commentID exists (it was not deleted).
func (s *Server) HasComment(commentID string) bool {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	n, err := strconv.Atoi(commentID)
	return err == nil && s.db.comments[n] != nil
}

// PostsBy counts the published posts (drafts apart) of user userID.
func (s *Server) PostsBy(userID string) int {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	u := s.db.users[userID]
	if u == nil {
		return 0
	}
	return len(published(u.posts))
}
