package fake

import (
	"encoding/json"
	"net/http"
)

// Room profiles: GET /v1/rooms/{id}, and the same body by a group's url or a
// page's subdomain.

func (s *Server) handleRoom(w http.ResponseWriter, r *http.Request, viewer string) {
	s.answerRoom(w, viewer, func(db *store) *room { return db.rooms[r.PathValue("id")] })
}

// handleRoomBySlug finds a room of roomType by the path value param, as stored
// (slugs are lower case).
func (s *Server) handleRoomBySlug(roomType, param string) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, viewer string) {
		s.answerRoom(w, viewer, func(db *store) *room { return db.slugs[roomType+"/"+r.PathValue(param)] })
	}
}

func (s *Server) answerRoom(w http.ResponseWriter, viewer string, find func(*store) *room) {
	s.dbMu.RLock()
	rm := find(s.db)
	var body map[string]any
	if rm != nil {
		body = s.roomJSON(rm, viewer)
	}
	s.dbMu.RUnlock()
	if rm == nil {
		writeEnvelope(w, http.StatusNotFound, "not_found", "Room not found")
		return
	}
	s.mu.Lock()
	tamper := s.tamper[rm.id]
	s.mu.Unlock()
	if tamper != nil {
		tamper(body)
	}
	writeJSON(w, http.StatusOK, body)
}

// roomJSON is the room profile as viewer sees it. The caller holds dbMu.
func (s *Server) roomJSON(rm *room, viewer string) map[string]any {
	m := s.roomListItem(rm, viewer)
	if viewer != "" && viewer == rm.owner {
		m["privateToken"] = rm.private
	}
	if viewer != "" {
		followers := []any{}
		for _, uid := range rm.members {
			if uid != viewer && contains(s.db.users[viewer].follows, uid) {
				followers = append(followers, s.userJSON(s.db.users[uid], viewer, false))
			}
		}
		m["mutualFollowers"] = followers
		m["mutualFollowersCount"] = len(followers)
	}
	return m
}

// roomListItem is the room as lists show it (RoomListItemDto): the profile
// without the invite token and the mutual followers. The caller holds dbMu.
func (s *Server) roomListItem(rm *room, viewer string) map[string]any {
	m := map[string]any{
		"id":           json.Number(rm.id),
		"name":         rm.name,
		"description":  rm.description,
		"roomType":     rm.roomType,
		"isActive":     true,
		"isVerified":   rm.verified,
		"isPublic":     rm.public,
		"isOwner":      viewer != "" && viewer == rm.owner,
		"isAdmin":      viewer != "" && contains(rm.admins, viewer),
		"ownerId":      rm.owner,
		"postsCount":   len(published(rm.posts)),
		"membersCount": len(rm.members),
		"createdAt":    rm.createdAt,
		"avatarUrls":   roomAvatars(rm.id),
	}
	if rm.hideButton != nil {
		m["hideFollowJoinButton"] = *rm.hideButton
	}
	if rm.roomType == "page" {
		m["subdomain"] = rm.slug
	} else {
		m["url"] = rm.slug
	}
	if rm.country != "" {
		m["country"] = rm.country
	}
	if viewer != "" {
		m["isMember"] = contains(rm.members, viewer)
	}
	return m
}

// The rooms routes: profiles by id and slug, the lists about rooms, the room
// writes.
const (
	RouteRoom            = "GET /quran-reflect/v1/rooms/{id}"
	RouteRoomByURL       = "GET /quran-reflect/v1/rooms/group/{url}"
	RouteRoomBySubdomain = "GET /quran-reflect/v1/rooms/page/{subdomain}"
	RouteRoomMembers     = "GET /quran-reflect/v1/rooms/{id}/members"
	RouteRoomPosts       = "GET /quran-reflect/v1/rooms/{id}/posts"
	RouteJoinedRooms     = "GET /quran-reflect/v1/rooms/joined-rooms"
	RouteManagedRooms    = "GET /quran-reflect/v1/rooms/managed-rooms"
	RouteSearchRooms     = "GET /quran-reflect/v1/rooms/search"
	RouteJoinRoom        = "POST /quran-reflect/v1/rooms/{id}/join"
	RouteLeaveRoom       = "POST /quran-reflect/v1/rooms/{id}/leave"
	RouteFollowRoom      = "POST /quran-reflect/v1/rooms/{id}/follow"
	RouteUnfollowRoom    = "POST /quran-reflect/v1/rooms/{id}/unfollow"
)

func (s *Server) roomRoutes() []routeOf {
	join, leave, follow, unfollow := roomActions()
	return []routeOf{
		{RouteRoom, s.handleRoom},
		{RouteRoomByURL, s.handleRoomBySlug("group", "url")},
		{RouteRoomBySubdomain, s.handleRoomBySlug("page", "subdomain")},
		{RouteRoomMembers, s.handleMembers},
		{RouteRoomPosts, s.handleRoomPosts},
		{RouteJoinedRooms, s.handleMyRooms(false)},
		{RouteManagedRooms, s.handleMyRooms(true)},
		{RouteSearchRooms, s.handleSearchRooms},
		{RouteJoinRoom, s.handleRoomWrite(join)},
		{RouteLeaveRoom, s.handleRoomWrite(leave)},
		{RouteFollowRoom, s.handleRoomWrite(follow)},
		{RouteUnfollowRoom, s.handleRoomWrite(unfollow)},
	}
}
