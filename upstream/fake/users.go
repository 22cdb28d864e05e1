package fake

import (
	"net/http"
	"strings"
)

// Users: profiles by id, by username and of the signed-in user, and who follows
// whom.

func (s *Server) handleUser(w http.ResponseWriter, r *http.Request, viewer string) {
	s.answerProfile(w, viewer, func(db *store) *user { return db.users[r.PathValue("id")] })
}

// handleUserByUsername finds a user by username, ignoring case as the docs say.
func (s *Server) handleUserByUsername(w http.ResponseWriter, r *http.Request, viewer string) {
	s.answerProfile(w, viewer, func(db *store) *user { return db.usernames[strings.ToLower(r.PathValue("username"))] })
}

func (s *Server) handleProfile(w http.ResponseWriter, r *http.Request, viewer string) {
	if signedIn(w, viewer) {
		s.answerProfile(w, viewer, func(db *store) *user { return db.users[viewer] })
	}
}

func (s *Server) answerProfile(w http.ResponseWriter, viewer string, find func(*store) *user) {
	s.dbMu.RLock()
	u := find(s.db)
	var body map[string]any
	if u != nil {
		body = s.profileJSON(u, viewer)
	}
	s.dbMu.RUnlock()
	if u == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "User not found")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// handleFollows lists a user's followers, or whom the user follows.
func (s *Server) handleFollows(followers bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, viewer string) {
		q := newQuery(r)
		p := q.page(maxPerPage, maxPerPage)
		if !q.ok(w) {
			return
		}
		s.dbMu.RLock()
		u := s.db.users[r.PathValue("id")]
		var body map[string]any
		if u != nil {
			list := s.db.following(u)
			if followers {
				list = s.db.followers(u)
			}
			body = pageBody(p, "data", list, func(f *user) any { return s.userJSON(f, viewer, true) })
		}
		s.dbMu.RUnlock()
		if u == nil {
			writeEnvelope(w, http.StatusNotFound, "not_found", "User not found")
			return
		}
		writeJSON(w, http.StatusOK, body)
	}
}

// profileJSON is the signed-in user's own profile (UserProfileResponseDto), or
// another user's (OtherUserProfileDto) with, for a signed-in viewer, the users
// the viewer follows who follow that user. The caller holds dbMu.
func (s *Server) profileJSON(u *user, viewer string) map[string]any {
	m := s.userJSON(u, viewer, true)
	if viewer == u.id {
		m["email"] = u.username + "@example.org"
		m["photoUrl"] = "https://images.example.org/users/" + u.username + "/l.png"
		m["followed"] = false
		return m
	}
	if viewer != "" {
		mutual := []any{}
		for _, id := range s.db.users[viewer].follows {
			if f := s.db.users[id]; id != u.id && contains(f.follows, u.id) {
				mutual = append(mutual, s.userJSON(f, viewer, false))
			}
		}
		m["mutualFollowers"] = mutual
		m["mutualFollowersCount"] = len(mutual)
	}
	return m
}

// userJSON is a user as the upstream sends one. In full, every count is sent;
// otherwise (a room's mutual followers) a sparse user's zero counts, isAdmin and
// postAs are left out, so the documented defaults apply. followed, whether the
// viewer follows u, is sent to signed-in viewers only. The caller holds dbMu.
func (s *Server) userJSON(u *user, viewer string, full bool) map[string]any {
	m := map[string]any{
		"id":          u.id,
		"createdAt":   u.createdAt,
		"joiningYear": u.joined,
		"username":    u.username,
		"firstName":   u.firstName,
		"avatarUrls":  userAvatars(u),
		// Undocumented extras the real API sends; clients must ignore them.
		"isPasswordSet": true,
		"memberType":    "MEMBER",
	}
	if viewer != "" && viewer != u.id {
		m["followed"] = contains(s.db.users[viewer].follows, u.id)
	}
	if u.lastName != "" {
		m["lastName"] = u.lastName
	}
	if u.bio != "" {
		m["bio"] = u.bio
	}
	if u.country != "" {
		m["country"] = u.country
	}
	if u.verified != nil {
		m["verified"] = *u.verified
	} else if full {
		m["verified"] = false
	}
	counts := map[string]int{
		"postsCount":     len(published(u.posts)),
		"followersCount": len(s.db.followers(u)),
		"likesCount":     u.likes,
	}
	for k, v := range counts {
		if full || !u.sparse || v != 0 {
			m[k] = v
		}
	}
	if full || !u.sparse {
		m["isAdmin"] = false
		m["postAs"] = false
	}
	if u.langIso != "" {
		m["languageIsoCode"] = u.langIso
		m["languageId"] = map[string]int{"en": 9, "ar": 2, "ur": 174, "tr": 167}[u.langIso]
		m["settings"] = map[string]any{
			"ayahLanguages":                []int{9},
			"reflectionLanguages":          []int{9, 2},
			"customized":                   true,
			"hideFollowSuggestion":         false,
			"showFollowFeaturedSuggestion": true,
		}
	}
	return m
}

// authorJSON is a user as posts and comments name their author (UserAuthor).
// The caller holds dbMu.
func authorJSON(u *user) map[string]any {
	m := map[string]any{
		"id":         u.id,
		"username":   u.username,
		"firstName":  u.firstName,
		"verified":   u.verified != nil && *u.verified,
		"avatarUrls": userAvatars(u),
		"postsCount": len(published(u.posts)),
		"memberType": 1,
	}
	if u.lastName != "" {
		m["lastName"] = u.lastName
	}
	return m
}

// The users routes: profiles, followers and following, the follow write.
const (
	RouteUser           = "GET /quran-reflect/v1/users/{id}"
	RouteUserByUsername = "GET /quran-reflect/v1/users/{username}/profile"
	RouteProfile        = "GET /quran-reflect/v1/users/profile"
	RouteFollowers      = "GET /quran-reflect/v1/users/{id}/followers"
	RouteFollowing      = "GET /quran-reflect/v1/users/{id}/following"
	RouteToggleFollow   = "POST /quran-reflect/v1/users/{id}/toggle-follow"
)

func (s *Server) userRoutes() []routeOf {
	return []routeOf{
		{RouteUser, s.handleUser},
		{RouteUserByUsername, s.handleUserByUsername},
		{RouteProfile, s.handleProfile},
		{RouteFollowers, s.handleFollows(true)},
		{RouteFollowing, s.handleFollows(false)},
		{RouteToggleFollow, s.handleToggleFollow},
	}
}
