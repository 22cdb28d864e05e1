package upstream

// Visibility is who may see a post shared in a room: the one meaning of
// roomPostStatus, which the upstream numbers two ways.
type Visibility string

// The visibilities of a post in a room.
const (
	VisibilityMembersOnly Visibility = "MEMBERS_ONLY" // the room's members only
	VisibilityPublic      Visibility = "PUBLIC"       // everyone
	VisibilityAsRoom      Visibility = "AS_ROOM"      // posted as the room itself
)

// roomPostStatus contradicts itself in the provider's spec, and nothing
// confirms which numbering holds: CreatePostDto (what a write sends) numbers
// 0 as the room, 1 public, 2 members only, while PostSerialized (what a read
// returns) numbers 0 members only, 1 public, 2 as the room. As the docs
// advise, the two functions below send with the first and read with the
// second; they are the only code that knows either numbering, so that should
// one turn out wrong, this is the one place to change.

// Visibility is who may see the post, read from its roomPostStatus with
// PostSerialized's numbering; nil when the upstream sent none or a number it
// does not document.
func (p *Post) Visibility() *Visibility {
	if p.RoomPostStatus == nil {
		return nil
	}
	var v Visibility
	switch *p.RoomPostStatus {
	case 0:
		v = VisibilityMembersOnly
	case 1:
		v = VisibilityPublic
	case 2:
		v = VisibilityAsRoom
	default:
		return nil
	}
	return &v
}

// roomPostStatus is the number a write sends for v, with CreatePostDto's
// numbering; ok is false for a Visibility this package does not define.
func roomPostStatus(v Visibility) (n int, ok bool) {
	switch v {
	case VisibilityAsRoom:
		return 0, true
	case VisibilityPublic:
		return 1, true
	case VisibilityMembersOnly:
		return 2, true
	}
	return 0, false
}
