package fake

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// The writes: joining and leaving groups, following pages and users. Their
// statuses and bodies beyond the happy path are not documented; this is the
// emulation the client and the emulator agreed on (issue 10's contract).

// roomAction is one of the four room writes.
type roomAction struct {
	roomType string // the type of room it is for
	joins    bool   // it makes the viewer a member, rather than no longer one
	answer   string // the key of the {key: true} answer
	already  string // the 400 when the viewer already is (or is not) a member
}

// roomActions are the four room writes.
func roomActions() (join, leave, follow, unfollow roomAction) {
	return roomAction{roomType: "group", joins: true, answer: "joined", already: "ALREADY_A_MEMBER"},
		roomAction{roomType: "group", answer: "left", already: "NOT_A_MEMBER"},
		roomAction{roomType: "page", joins: true, answer: "followed", already: "ALREADY_FOLLOWING"},
		roomAction{roomType: "page", answer: "unfollowed", already: "NOT_FOLLOWING"}
}

// handleRoomWrite joins or leaves a group, or follows or unfollows a page: a
// page's followers are its members. A private group cannot be joined without an
// invitation (403), and the owner cannot leave (403).
func (s *Server) handleRoomWrite(a roomAction) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, viewer string) {
		if !signedIn(w, viewer) {
			return
		}
		status, typ, msg := s.applyRoomAction(a, r.PathValue("id"), viewer)
		if status != http.StatusOK {
			writeEnvelope(w, status, typ, msg)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{a.answer: true})
	}
}

func (s *Server) applyRoomAction(a roomAction, id, viewer string) (status int, typ, msg string) {
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	rm := s.db.rooms[id]
	switch {
	case rm == nil:
		return http.StatusNotFound, "not_found", "Room not found"
	case rm.roomType != a.roomType:
		return http.StatusBadRequest, "invalid_request", "WRONG_ROOM_TYPE"
	case contains(rm.members, viewer) == a.joins:
		return http.StatusBadRequest, "invalid_request", a.already
	case a.joins && !rm.public:
		return http.StatusForbidden, "forbidden", "Group is private - invitation required"
	case !a.joins && rm.owner == viewer:
		if rm.roomType == "page" {
			return http.StatusForbidden, "forbidden", "The owner cannot unfollow the page"
		}
		return http.StatusForbidden, "forbidden", "The owner cannot leave the room"
	}
	if a.joins {
		rm.members = append(rm.members, viewer)
	} else {
		rm.members = remove(rm.members, viewer)
		rm.admins = remove(rm.admins, viewer)
	}
	return http.StatusOK, "", ""
}

// handleToggleFollow follows or unfollows a user. The body's action is
// optional: without one, the state flips.
func (s *Server) handleToggleFollow(w http.ResponseWriter, r *http.Request, viewer string) {
	if !signedIn(w, viewer) {
		return
	}
	var body struct {
		Action *string `json:"action"`
	}
	err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body)
	if err != nil && !errors.Is(err, io.EOF) {
		writeEnvelope(w, http.StatusBadRequest, "invalid_request", "Invalid JSON body")
		return
	}
	q := newQuery(r)
	if body.Action != nil && *body.Action != "follow" && *body.Action != "unfollow" {
		q.fail("action", "INVALID")
	}
	if !q.ok(w) {
		return
	}
	followed, status, typ, msg := s.toggleFollow(viewer, r.PathValue("id"), body.Action)
	if status != http.StatusOK {
		writeEnvelope(w, status, typ, msg)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"followed": followed})
}

func (s *Server) toggleFollow(viewer, id string, action *string) (followed bool, status int, typ, msg string) {
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	me, them := s.db.users[viewer], s.db.users[id]
	switch {
	case them == nil:
		return false, http.StatusNotFound, "not_found", "User not found"
	case them == me:
		return false, http.StatusBadRequest, "invalid_request", "Cannot follow yourself"
	}
	following := contains(me.follows, id)
	want := !following
	if action != nil {
		want = *action == "follow"
	}
	if want == following {
		return false, http.StatusBadRequest, "invalid_request", "Action already in desired state"
	}
	if want {
		me.follows = append(me.follows, id)
	} else {
		me.follows = remove(me.follows, id)
	}
	return want, http.StatusOK, "", ""
}
