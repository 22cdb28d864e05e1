package fake

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Lists of rooms: the signed-in user's joined and managed rooms, and the search
// of public rooms. Their items are RoomListItemDto: the room as the viewer sees
// it, without the invite token and the mutual followers.

// handleMyRooms lists the rooms the viewer is a member of (a page: follows), or
// owns or administers (managed).
func (s *Server) handleMyRooms(managed bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, viewer string) {
		if !signedIn(w, viewer) {
			return
		}
		q := newQuery(r)
		p := q.page(maxMyRooms, maxMyRooms)
		sortBy := q.enum("sortBy", "NAME_ASC", false, "NAME_ASC", "NAME_DESC", "LATEST_ACTIVITY")
		name := strings.ToLower(q.text("query"))
		if !q.ok(w) {
			return
		}
		s.dbMu.RLock()
		var rooms []*room
		for _, rm := range s.db.roomList {
			mine := contains(rm.members, viewer)
			if managed {
				mine = rm.owner == viewer || contains(rm.admins, viewer)
			}
			if mine && strings.Contains(strings.ToLower(rm.name), name) {
				rooms = append(rooms, rm)
			}
		}
		sortRooms(rooms, sortBy)
		body := pageBody(p, "data", rooms, func(rm *room) any { return s.roomListItem(rm, viewer) })
		s.dbMu.RUnlock()
		writeJSON(w, http.StatusOK, body)
	}
}

// sortRooms orders rooms by name (ignoring case) or by their latest post, the
// newest first; ties by id. The caller holds dbMu.
func sortRooms(rooms []*room, sortBy string) {
	slices.SortStableFunc(rooms, func(a, b *room) int {
		var c int
		switch sortBy {
		case "NAME_ASC":
			c = strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name))
		case "NAME_DESC":
			c = strings.Compare(strings.ToLower(b.name), strings.ToLower(a.name))
		case "LATEST_ACTIVITY":
			c = lastActivity(b).Compare(lastActivity(a))
		}
		return cmp.Or(c, compareIDs(a.id, b.id))
	})
}

// lastActivity is when the room's latest post was published, or else when the
// room was created.
func lastActivity(rm *room) time.Time {
	var last time.Time
	for _, p := range rm.posts {
		if p.published.After(last) {
			last = p.published
		}
	}
	if last.IsZero() {
		last, _ = time.Parse(time.RFC3339, rm.createdAt)
	}
	return last
}

// handleSearchRooms finds public rooms whose name or description contains the
// query, ignoring case, in the order of their ids.
func (s *Server) handleSearchRooms(w http.ResponseWriter, r *http.Request, viewer string) {
	q := newQuery(r)
	p := q.page(10, maxUndocumented)
	roomType := strings.ToLower(q.enum("roomType", "", true, "GROUP", "PAGE"))
	text := strings.ToLower(q.text("query"))
	if !q.ok(w) {
		return
	}
	s.dbMu.RLock()
	var rooms []*room
	for _, rm := range s.db.roomList {
		if rm.public && (roomType == "" || rm.roomType == roomType) &&
			(strings.Contains(strings.ToLower(rm.name), text) || strings.Contains(strings.ToLower(rm.description), text)) {
			rooms = append(rooms, rm)
		}
	}
	body := pageBody(p, "data", rooms, func(rm *room) any { return s.roomListItem(rm, viewer) })
	s.dbMu.RUnlock()
	writeJSON(w, http.StatusOK, body)
}
