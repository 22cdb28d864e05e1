package fake

import (
	"strconv"
	"strings"
	"time"
)

// The reflection loop's demo data: eight more authors (some verified, writing in
// English, Arabic or French), a private group of theirs, and 72 posts on a
// dozen verses, 32 of them on Ayat al-Kursi (2:255), with comments and replies;
// and three drafts of the demo viewers. None of it changes a count the rooms'
// seed gives its users and rooms: the new authors follow nobody of the first
// seed, the group is private (no search finds it), and drafts count nowhere.

// The reflection loop's authors.
const (
	nadia  = "c0ffee01-1a2b-4c3d-8e4f-5a6b7c8d9e01"
	sara   = "c0ffee02-1a2b-4c3d-8e4f-5a6b7c8d9e02"
	yahya  = "c0ffee03-1a2b-4c3d-8e4f-5a6b7c8d9e03"
	dawud  = "c0ffee04-1a2b-4c3d-8e4f-5a6b7c8d9e04"
	samira = "c0ffee05-1a2b-4c3d-8e4f-5a6b7c8d9e05"
	hasan  = "c0ffee06-1a2b-4c3d-8e4f-5a6b7c8d9e06"
	reem   = "c0ffee07-1a2b-4c3d-8e4f-5a6b7c8d9e07"
	imran  = "c0ffee08-1a2b-4c3d-8e4f-5a6b7c8d9e08"
)

// The ids of the loop's group and of its first post.
const (
	circleRoomID = "1800000000000001"
	firstLoopID  = 7001
	loopPosts    = 72
	firstDraftID = 7101
)

// Quran Reflect language ids.
const (
	langArabic  = 1
	langEnglish = 2
	langFrench  = 7
)

// languageNames are the names PostSerialized gives its languageId.
func languageNames() map[int]string {
	return map[int]string{1: "arabic", 2: "english", 3: "spanish", 4: "malay", 5: "urdu", 6: "indonesian", 7: "french"}
}

func loopUsers() []*user {
	return []*user{
		{id: nadia, username: "nadia", firstName: "Nadia", lastName: "Karimi", bio: "Notes from a weekly tafsir class.", country: "GB", createdAt: "2018-04-11 10:00:00", joined: 2018, verified: ptr(true), langIso: "en", follows: []string{sara, yahya}},
		{id: sara, username: "sara", firstName: "Sara", lastName: "Mahmoud", country: "US", createdAt: "2023-10-05 16:40:00", joined: 2023, verified: ptr(true), sparse: true, langIso: "en", follows: []string{nadia}},
		{id: yahya, username: "yahya", firstName: "Yahya", lastName: "Bakr", bio: "Imam and teacher.", country: "CA", createdAt: "2017-09-01 09:00:00", joined: 2017, verified: ptr(true), langIso: "en"},
		{id: dawud, username: "dawud", firstName: "Dawud", lastName: "Green", country: "ZA", createdAt: "2024-02-02 20:20:00", joined: 2024, sparse: true},
		{id: samira, username: "samira", firstName: "Samira", lastName: "Haddou", bio: "Lessons for young readers.", country: "FR", createdAt: "2019-05-20 12:30:00", joined: 2019, verified: ptr(true), langIso: "en", follows: []string{nadia, hasan}},
		{id: hasan, username: "hasan", firstName: "Hasan", lastName: "Al-Amin", bio: "تأملات في آيات القرآن.", country: "SA", createdAt: "2016-12-12 06:00:00", joined: 2016, verified: ptr(true), langIso: "ar"},
		{id: reem, username: "reem", firstName: "Reem", lastName: "Saleh", country: "KW", createdAt: "2024-06-30 22:10:00", joined: 2024, sparse: true, langIso: "ar", follows: []string{hasan, imran}},
		{id: imran, username: "imran", firstName: "Imran", lastName: "Qasim", country: "JO", createdAt: "2020-03-15 13:45:00", joined: 2020, verified: ptr(true), langIso: "ar", follows: []string{hasan}},
	}
}

// extraTags are the tags of the loop's posts, beside tags().
func extraTags() []tag {
	return []tag{{11, "ayatalkursi", "en"}, {12, "tawhid", "en"}, {13, "protection", "en"}, {14, "lessons", "en"},
		{15, "صبر", "ar"}, {16, "رحمة", "ar"}, {17, "quran-study", "en"}, {18, "réflexion", "fr"}}
}

// allTags are every tag the demo knows, by id.
func allTags() []tag { return append(tags(), extraTags()...) }

// otherVerses are the references of the loop's posts past the 32 on 2:255; 36
// (from 0) is a whole chapter.
func otherVerses() []verse {
	return []verse{{1, 1, 7}, {94, 5, 6}, {2, 286, 286}, {112, 1, 4}, {3, 190, 191}, {2, 1, 5}, {36, 0, 0},
		{18, 10, 10}, {13, 28, 28}, {55, 13, 13}}
}

// loopBodies are the bodies of the loop's posts by language and by whether they
// are on Ayat al-Kursi.
func loopBodies(lang int, kursi bool) []string {
	switch {
	case lang == langArabic && kursi:
		return []string{
			"آية الكرسي تذكرني بأن الله لا تأخذه سنة ولا نوم، فأنام مطمئنًا.",
			"وسع كرسيه السماوات والأرض: كل همومي صغيرة أمام هذا الاتساع.",
			"الحي القيوم: اسمان أرددهما كل صباح قبل العمل.",
		}
	case lang == langArabic:
		return []string{
			"إن مع العسر يسرا: تكررت لتطمئن القلوب.",
			"ألا بذكر الله تطمئن القلوب، جربت ذلك في أيام صعبة.",
			"قل هو الله أحد: سورة قصيرة تحمل معنى التوحيد كله.",
		}
	case lang == langFrench:
		return []string{
			"Le verset du Trône me rappelle que rien n'échappe à Sa connaissance.",
			"Avec la difficulté vient la facilité : je le relis chaque soir.",
		}
	case kursi:
		return []string{
			"Neither drowsiness overtakes Him nor sleep: I read this at night and let my worries rest with Him.",
			"His Kursi extends over the heavens and the earth. Everything I fear fits inside that sentence.",
			"Who could intercede except by His permission? A lesson in humility before every request I make.",
			"Al-Hayy, Al-Qayyum: the Ever-Living who sustains all. I repeat these two names on the way to work.",
			"He knows what is before them and what is behind them: my past and my future are both known to Him.",
			"Teaching my children Ayat al-Kursi one phrase a week; this week: 'to Him belongs whatever is in the heavens'.",
		}
	}
	return []string{
		"Al-Fatiha is a conversation: every verse we say, Allah answers.",
		"With hardship comes ease, and the verse says it twice so that we do not miss it.",
		"Allah does not burden a soul beyond its capacity: I wrote it on my desk.",
		"Say: He is Allah, One. Four verses that hold what whole books try to say.",
		"The alternation of night and day are signs for those of understanding; I watched both today.",
		"Ya-Sin, the heart of the Quran: a lesson on how the first verses build the surah.",
	}
}

// seedLoop adds the reflection loop's authors, their group, their posts and
// the demo viewers' drafts. The caller ran seedPosts.
func seedLoop(db *store) {
	authors := loopUsers()
	for _, u := range authors {
		db.users[u.id] = u
		db.userList = append(db.userList, u)
		db.usernames[strings.ToLower(u.username)] = u
	}
	circle := &room{
		id: circleRoomID, name: "Ayat al-Kursi Circle", description: "A private circle reading 2:255 together.",
		roomType: "group", verified: true, owner: nadia, admins: []string{hasan},
		members: []string{nadia, hasan, yahya, samira, imran, sara, dawud, reem},
		slug:    "ayat-al-kursi", country: "GB", createdAt: "2025-08-01T09:00:00.000Z", private: "invite-circle-secret",
	}
	db.rooms[circle.id] = circle
	db.roomList = append(db.roomList, circle)
	db.slugs["group/"+circle.slug] = circle

	en := []string{nadia, sara, yahya, dawud, samira}
	ar := []string{hasan, reem, imran}
	base := time.Date(2025, 9, 1, 7, 0, 0, 0, time.UTC)
	all := allTags()
	commenters := []string{aisha, bilal, fatima, nadia, hasan, sara, yahya, reem}
	var first *post
	for k := range loopPosts {
		p := &post{id: strconv.Itoa(firstLoopID + k), seq: db.nextSeq, typeID: 1, status: 1, language: langEnglish,
			reviewed: k%6 != 5}
		db.nextSeq++
		switch {
		case k%13 == 12:
			p.language = langFrench
		case k%3 == 2:
			p.language = langArabic
		}
		if p.language == langArabic {
			p.author = db.users[ar[k%len(ar)]]
		} else {
			p.author = db.users[en[k%len(en)]]
		}
		kursi := k < 32
		switch {
		case !kursi:
			p.refs = []verse{otherVerses()[(k-32)%len(otherVerses())]}
		case k%8 == 7:
			p.refs = []verse{{2, 255, 257}}
		case k%8 == 3:
			p.refs = []verse{{2, 254, 255}}
		default:
			p.refs = []verse{{2, 255, 255}}
		}
		if v := otherVerses()[k%len(otherVerses())]; k%6 == 5 && v != p.refs[0] {
			p.refs = append(p.refs, v)
		}
		bodies := loopBodies(p.language, kursi)
		p.body = bodies[k%len(bodies)]
		if k%4 == 3 {
			p.typeID = 2
		}
		if k%9 == 4 {
			p.room = circle
			p.status = []int{1, 0, 2}[k/9%3]
		}
		p.published = base.Add(time.Duration(k*53%720)*time.Hour + time.Duration(k)*time.Minute)
		p.updated = p.published
		if k%5 == 1 {
			p.updated = p.published.Add(3 * time.Hour)
		}
		if kursi {
			p.tags = []tag{all[10]}
		}
		switch t := all[k*7%len(all)]; {
		case p.language == langArabic:
			p.tags = append(p.tags, all[14+k%2])
		case t.lang == "en" && (len(p.tags) == 0 || t != p.tags[0]):
			p.tags = append(p.tags, t)
		}
		if p.language == langFrench {
			p.tags = append(p.tags, all[17])
		}
		for _, l := range []struct {
			uid         string
			like, saved bool
		}{
			{aisha, k%4 == 0, k%5 == 0},
			{bilal, k%3 == 1, k%7 == 1},
			{fatima, k%5 == 3, k%6 == 2},
		} {
			if l.like {
				p.likedBy = append(p.likedBy, l.uid)
			}
			if l.saved {
				p.savedBy = append(p.savedBy, l.uid)
			}
		}
		p.likes = len(p.likedBy) + k*29%70
		p.views = p.likes*5 + k%17
		switch k % 10 {
		case 1:
			p.mentions = []string{aisha}
		case 6:
			p.mentions = []string{bilal, fatima}
		}
		if first == nil {
			first = p
		} else if k%11 == 10 {
			p.reReflects = first
		}
		comments, replies := 0, 0
		switch {
		case k == 0:
			comments, replies = 25, 23
		case k%4 == 0:
			comments, replies = 3, 2
		}
		for j := range comments {
			c := db.seedComment(p, nil, db.users[commenters[(k+j)%len(commenters)]], j, p.published.Add(time.Duration(j+1)*17*time.Minute))
			n := 0
			switch {
			case j == 0:
				n = replies
			case k == 0 && j < 5:
				n = j % 3
			}
			for r := range n {
				db.seedComment(p, c, db.users[commenters[(k+j+r+1)%len(commenters)]], j+r+1, c.createdAt.Add(time.Duration(r+1)*7*time.Minute))
			}
		}
		db.addPost(p)
	}
	for i, d := range []struct {
		author *user
		body   string
		ref    verse
	}{
		{db.users[aisha], "A first draft on Ayat al-Kursi: what 'He is the Most High' asks of me.", verse{2, 255, 255}},
		{db.users[aisha], "Notes to finish: the ease after hardship, twice.", verse{94, 5, 6}},
		{db.users[fatima], "Draft: tafsir notes on the last verses of Al-Baqarah.", verse{2, 285, 286}},
	} {
		at := base.Add(time.Duration(800+i*5) * time.Hour)
		p := &post{id: strconv.Itoa(firstDraftID + i), seq: db.nextSeq, author: d.author, typeID: 1, status: 1,
			body: d.body, published: at, updated: at, refs: []verse{d.ref}, language: langEnglish, draft: true}
		db.nextSeq++
		db.addPost(p)
	}
	db.nextPost = firstDraftID + 100
}

// seedComment adds a comment by by on p (a reply to parent, unless nil), the
// n-th of its thread, made at at.
func (db *store) seedComment(p *post, parent *comment, by *user, n int, at time.Time) *comment {
	c := &comment{id: db.nextComment, post: p, parent: parent, author: by, createdAt: at, updatedAt: at,
		body: commentBodies()[(p.seq+n)%len(commentBodies())], likes: (p.seq + n) % 4}
	db.nextComment++
	if n%5 == 1 {
		c.likedBy = []string{aisha}
		c.likes++
	}
	if parent == nil {
		p.comments = append(p.comments, c)
	} else {
		parent.replies = append(parent.replies, c)
	}
	db.comments[c.id] = c
	return c
}

// verseCounts are the number of verses of each chapter, from 1 to 114.
func verseCounts() []int {
	return []int{7, 286, 200, 176, 120, 165, 206, 75, 129, 109, 123, 111, 43, 52, 99, 128, 111, 110, 98, 135,
		112, 78, 118, 64, 77, 227, 93, 88, 69, 60, 34, 30, 73, 54, 45, 83, 182, 88, 75, 85, 54, 53, 89, 59, 37, 35,
		38, 29, 18, 45, 60, 49, 62, 55, 78, 96, 29, 22, 24, 13, 14, 11, 11, 18, 12, 12, 30, 52, 52, 44, 28, 28, 20,
		56, 40, 31, 50, 40, 46, 42, 29, 19, 36, 25, 22, 17, 19, 26, 30, 20, 15, 21, 11, 8, 8, 19, 5, 8, 8, 11, 11,
		8, 3, 9, 5, 4, 7, 3, 6, 3, 5, 4, 5, 6}
}
