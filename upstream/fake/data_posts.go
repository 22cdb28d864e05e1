package fake

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

type post struct {
	id        string // decimal digits; some beyond 2^53
	seq       int    // the order posts were seeded (or written) in; every derived value comes from it
	room      *room  // nil: a post in no room
	author    *user
	typeID    int // 1 reflection, 2 lesson
	body      string
	status    int // roomPostStatus: 0 members only, 1 public, 2 as the room
	published time.Time
	updated   time.Time
	tags      []tag
	refs      []verse
	likes     int
	views     int
	likedBy   []string
	savedBy   []string
	comments  []*comment // top-level, oldest first; replies hang from them

	language   int      // Quran Reflect language id: ar 1, en 2, fr 7
	draft      bool     // seen only by its author, in no list but the drafts
	reviewed   bool     // reviewed and promoted: the qdc tab's posts
	mentions   []string // user ids
	reReflects *post    // the post this one re-reflects on, if any
	reports    []report
}

type comment struct {
	id        int
	post      *post
	parent    *comment // nil for a top-level comment
	replies   []*comment
	author    *user
	body      string
	private   bool
	createdAt time.Time
	updatedAt time.Time
	edited    bool
	likes     int      // includes likedBy
	likedBy   []string // the users known to like it (seeded likes name nobody)
}

// report is one abuse report on a post.
type report struct{ by, abuse, comments string }

type tag struct {
	id   int
	name string
	lang string // ISO code
}

type verse struct{ chapter, from, to int }

func tags() []tag {
	return []tag{{1, "patience", "en"}, {2, "gratitude", "en"}, {3, "prayer", "en"}, {4, "ramadan", "en"},
		{5, "tafsir", "en"}, {6, "family", "en"}, {7, "dua", "en"}, {8, "tawakkul", "en"}, {9, "mercy", "en"},
		{10, "hope", "en"}}
}

func verses() []verse {
	return []verse{{2, 255, 255}, {1, 1, 7}, {18, 10, 10}, {94, 5, 6}, {2, 286, 286}, {112, 1, 4},
		{3, 190, 191}, {13, 28, 28}, {65, 2, 3}, {36, 1, 12}, {55, 13, 13}, {39, 53, 53}}
}

func postBodies() []string {
	return []string{
		"With hardship comes ease: the verse says it twice, so that we do not miss it.",
		"Ayat al-Kursi before sleep has become a small anchor in my evenings.",
		"The youths of the cave asked for mercy and guidance before they asked for anything else.",
		"Reading Al-Fatiha slowly today, I noticed how much of it is a conversation.",
		"Allah does not burden a soul beyond what it can bear: a comfort and a responsibility.",
		"Surah Al-Ikhlas in four lines holds what whole books try to say.",
		"The night and the day as signs: I watched the sunrise and thought of Al Imran 190.",
		"Hearts find rest in the remembrance of Allah; mine did, after a long week.",
		"Whoever is mindful of Allah, He makes a way out for him, from where he never expected.",
		"Which of the favours of your Lord will you deny? I started counting and lost count.",
	}
}

func commentBodies() []string {
	return []string{
		"JazakAllahu khayran for sharing this.", "This made my morning.", "I needed this today.",
		"Beautiful reflection, thank you.", "Could you share the tafsir you used?", "Ameen.",
		"I will read it again tonight.", "SubhanAllah.", "Shared it with my family.",
		"The second point is so true.", "May Allah reward you.", "Adding this to my notes.",
	}
}

// seedPosts writes the posts of the demo rooms: 30 in room 1, 19 in the 19-digit
// room, 1 in the 2^53 + 1 room, and 2 to 5 in rooms 2 to 20, by the room's
// members (never Yusuf, whose counts the demo keeps at their defaults).
func seedPosts(db *store) {
	seq, nextID, nextComment := 0, 4001, 90001
	add := func(r *room, id string, author *user) {
		p := newPost(seq, id, r, author)
		comments := seq * 7 % 5
		switch id {
		case "4001":
			comments = 45
		case "4010":
			comments = 27
		case "1234567890123456801":
			comments = 26
		}
		for k := range comments {
			by := db.userList[(seq*3+k*5)%len(db.userList)]
			at := p.published.Add(time.Duration(k+1) * 23 * time.Minute)
			c := &comment{
				id:        nextComment,
				post:      p,
				author:    by,
				body:      commentBodies()[(seq+k)%len(commentBodies())],
				createdAt: at,
				updatedAt: at,
				likes:     (k*7 + seq) % 6,
			}
			p.comments = append(p.comments, c)
			db.comments[c.id] = c
			nextComment++
		}
		db.addPost(p)
		seq++
	}
	regular := func(r *room, count int, authors []string) {
		for k := range count {
			add(r, strconv.Itoa(nextID), db.users[authors[k%len(authors)]])
			nextID++
		}
	}
	// Room 1: aisha, bilal, maryam, ibrahim, khadija, musa, aisha, the second
	// reader, idris, bilal, and round again.
	one := db.rooms["1"]
	var authors []string
	for _, i := range []int{0, 1, 3, 4, 5, 7, 0, 9, 6, 1} {
		authors = append(authors, one.members[i])
	}
	regular(one, 30, authors)
	// Rooms 21 and up (Options.Rooms) have no posts, so that they change
	// nothing in the users' counts.
	for _, r := range db.roomList {
		i, _ := strconv.Atoi(r.id)
		switch {
		case len(r.id) > 9:
			for k, a := range bigRoomAuthors(r) {
				add(r, bigPostID(r.id, k), db.users[a])
			}
		case i > 1 && i <= 20:
			regular(r, 2+i%4, remove(slices.Clone(r.members), yusuf))
		}
	}
	db.nextSeq, db.nextComment = seq, nextComment
}

// addPost files p under its id, its room and its author.
func (db *store) addPost(p *post) {
	db.posts[p.id] = p
	db.postList = append(db.postList, p)
	if p.room != nil {
		p.room.posts = append(p.room.posts, p)
	}
	p.author.posts = append(p.author.posts, p)
	p.author.likes += p.likes
}

// bigRoomAuthors wrote the posts of the two rooms with big ids.
func bigRoomAuthors(r *room) []string {
	if r.id == "9007199254740993" {
		return []string{aisha}
	}
	var as []string
	for k := range 19 {
		as = append(as, []string{fatima, zainab, aisha, maryam}[k%4])
	}
	return as
}

// bigPostID is the id of post k of a room with a big id: beyond 2^53 too.
func bigPostID(roomID string, k int) string {
	if roomID == "9007199254740993" {
		return "9007199254740995" // 2^53 + 3: a float64 reads 2^53 + 4
	}
	return fmt.Sprintf("12345678901234568%02d", k+1)
}

// newPost derives post number seq from the tables.
func newPost(seq int, id string, r *room, author *user) *post {
	base := time.Date(2025, 1, 1, 6, 0, 0, 0, time.UTC)
	published := base.Add(time.Duration(seq*7919%10000)*time.Hour + time.Duration(seq*13%60)*time.Minute)
	p := &post{
		id:        id,
		seq:       seq,
		room:      r,
		author:    author,
		typeID:    1,
		body:      postBodies()[seq%len(postBodies())],
		status:    1,
		published: published,
		updated:   published,
		likes:     3 + seq*37%90,
		language:  2,
		reviewed:  seq%3 == 1,
	}
	p.views = p.likes*7 + seq*13%50
	if seq%6 == 5 {
		p.typeID = 2
	}
	switch {
	case seq%5 == 4:
		p.status = 0
	case seq%7 == 6:
		p.status = 2
	}
	if seq%4 == 3 {
		p.updated = published.Add(90 * time.Minute)
	}
	ts := tags()
	p.tags = []tag{ts[seq%len(ts)]}
	if t := ts[(seq*3+1)%len(ts)]; seq%4 != 0 && t != p.tags[0] {
		p.tags = append(p.tags, t)
	}
	vs := verses()
	p.refs = []verse{vs[seq%len(vs)]}
	if seq%3 == 0 {
		p.refs = append(p.refs, vs[(seq+5)%len(vs)])
	}
	for _, l := range []struct {
		uid      string
		like     bool
		favorite bool
	}{
		{aisha, seq%3 == 0, seq%4 == 0},
		{bilal, seq%4 == 1, seq%6 == 1},
		{fatima, seq%5 == 2, seq%7 == 2},
	} {
		if l.like {
			p.likedBy = append(p.likedBy, l.uid)
		}
		if l.favorite {
			p.savedBy = append(p.savedBy, l.uid)
		}
	}
	return p
}
