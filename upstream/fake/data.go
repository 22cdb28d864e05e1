package fake

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// The demo data: users, rooms, their members and posts, and the comments on
// them. Everything is derived from fixed tables so that every run serves the
// same answers; the writes (join, leave, follow) change a Server's own copy.

// store is one Server's demo data. Server.db guards it.
type store struct {
	users     map[string]*user
	userList  []*user          // the fixed order lists of followers follow
	usernames map[string]*user // by lower-case username
	rooms     map[string]*room
	roomList  []*room          // by id, as numbers
	slugs     map[string]*room // "group/" + url or "page/" + subdomain
	posts     map[string]*post
	postList  []*post // in the order they were seeded or written
	comments  map[int]*comment

	// The next seq, comment id and post id the writes give out.
	nextSeq, nextComment, nextPost int
}

type user struct {
	id        string
	username  string
	firstName string
	lastName  string
	bio       string
	country   string
	createdAt string // the upstream's odd form: "2000-01-21 00:00:00", UTC
	joined    int
	verified  *bool // nil: the field is left out, so the documented default applies
	// sparse users are sent, in room answers, without isAdmin and postAs and
	// without the counts that are 0: the documented defaults apply.
	sparse  bool
	langIso string   // "": left out
	follows []string // whom the user follows, in the order they were followed
	posts   []*post  // by this user, oldest first
	likes   int      // likes on those posts
}

type room struct {
	id          string
	name        string
	description string
	roomType    string
	public      bool
	verified    bool
	hideButton  *bool // nil: left out, as production does
	owner       string
	admins      []string
	members     []string // a page's followers; the order members joined in
	slug        string   // a group's url or a page's subdomain
	country     string
	createdAt   string
	private     string  // the invite token, shown only to the owner
	posts       []*post // oldest first
}

func ptr[T any](v T) *T { return &v }

// seed builds the demo data with rooms 1 to n.
func seed(n int) *store {
	db := &store{
		users:     make(map[string]*user),
		usernames: make(map[string]*user),
		rooms:     demoRooms(n),
		slugs:     make(map[string]*room),
		posts:     make(map[string]*post),
		comments:  make(map[int]*comment),
	}
	for _, u := range demoUsers() {
		db.users[u.id] = u
		db.userList = append(db.userList, u)
		db.usernames[strings.ToLower(u.username)] = u
	}
	for _, r := range db.rooms {
		db.roomList = append(db.roomList, r)
		db.slugs[r.roomType+"/"+r.slug] = r
	}
	slices.SortFunc(db.roomList, func(a, b *room) int { return compareIDs(a.id, b.id) })
	// Room 1 is the busy one: 37 members.
	db.rooms["1"].members = append(db.rooms["1"].members, roomOneNewcomers()...)
	seedPosts(db)
	// After the posts of the rooms, whose derivations use the length of the
	// users' list: the reflection loop's authors and posts change none of them.
	seedLoop(db)
	return db
}

// compareIDs orders decimal ids as numbers.
func compareIDs(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

func roomNames() []string {
	return []string{
		"Morning Reflections", "Tadabbur Circle", "Juz Amma Learners", "Tafsir Ibn Kathir Notes",
		"Surah Al-Kahf Fridays", "Arabic Roots Study", "Quran Reflect Team", "Ramadan Daily",
		"Seerah Readers", "Sisters' Study Group", "Youth Halaqa", "Names of Allah",
		"Stories of the Prophets", "Tajweed Practice", "Night Prayer Companions", "Family Reading Hour",
		"Hifz Partners", "Reflections in Urdu", "Réflexions en français", "Surah Yasin Study",
	}
}

// demoRooms seeds rooms 1 to n, plus two with ids beyond 2^53 that a float64
// cannot hold: 9007199254740993 (2^53 + 1) and a 19-digit one.
func demoRooms(n int) map[string]*room {
	names := roomNames()
	everyone := []string{aisha, bilal, fatima, omar, yusuf, zainab, harun, maryam}
	m := make(map[string]*room, n+2)
	for i := 1; i <= n; i++ {
		name := names[(i-1)%len(names)]
		if i > len(names) {
			name = fmt.Sprintf("%s %d", name, i)
		}
		r := &room{
			id:          fmt.Sprint(i),
			name:        name,
			description: fmt.Sprintf("Demo room %d: %s.", i, name),
			roomType:    "group",
			public:      i%5 != 0,
			verified:    i%3 == 0,
			owner:       everyone[(i-1)%len(everyone)],
			createdAt:   fmt.Sprintf("2023-%02d-%02dT%02d:30:00.000Z", (i-1)%12+1, i, i%24),
			private:     fmt.Sprintf("invite-%04d-secret", i*7919%10000),
		}
		if i%4 == 0 {
			r.roomType = "page"
			r.slug = fmt.Sprintf("page%d", i)
		} else {
			r.slug = fmt.Sprintf("group-%d", i)
		}
		if i%2 == 1 {
			r.hideButton = ptr(i%3 == 0)
		}
		if i%3 != 2 {
			r.country = []string{"GB", "JO", "MA", "PK", "NG", "TR", "EG"}[i%7]
		}
		// Members: the owner plus a rotating slice of everyone else.
		r.members = []string{r.owner}
		for k := 0; k < 2+i%5; k++ {
			u := everyone[(i+k*3)%len(everyone)]
			if u != r.owner && !slices.Contains(r.members, u) {
				r.members = append(r.members, u)
			}
		}
		if len(r.members) > 1 {
			r.admins = []string{r.members[1]}
		}
		m[r.id] = r
	}
	m["9007199254740993"] = &room{
		id: "9007199254740993", name: "Big Id Room", description: "Its id is 2^53 + 1: a float64 would round it.",
		roomType: "page", public: true, owner: aisha, members: []string{aisha, bilal, omar},
		slug: "bigid", createdAt: "2024-01-01T00:00:00Z", private: "invite-big-secret",
	}
	m["1234567890123456789"] = &room{
		id: "1234567890123456789", name: "Nineteen Digits", description: "A 19-digit id, kept exact end to end.",
		roomType: "group", public: true, verified: true, hideButton: ptr(false), owner: fatima,
		admins: []string{zainab}, members: []string{fatima, zainab, aisha, maryam},
		slug: "nineteen", country: "MA", createdAt: "2025-06-15T12:00:00+02:00", private: "invite-19-secret",
	}
	return m
}

// roomAvatars are a room's images, in the rooms' shape.
func roomAvatars(id string) map[string]any {
	return map[string]any{
		"thumb":    "https://images.example.org/rooms/" + id + "/thumb.png",
		"original": "https://images.example.org/rooms/" + id + "/original.png",
	}
}

// userAvatars are a user's images, in the users' shape.
func userAvatars(u *user) map[string]any {
	return map[string]any{
		"small":  "https://images.example.org/users/" + u.username + "/s.png",
		"medium": "https://images.example.org/users/" + u.username + "/m.png",
		"large":  "https://images.example.org/users/" + u.username + "/l.png",
	}
}

func remove(s []string, v string) []string {
	return slices.DeleteFunc(s, func(x string) bool { return x == v })
}
