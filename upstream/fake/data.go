package fake

import "fmt"

// The demo data: a handful of users and 22 rooms. Everything is derived from fixed
// tables so that every run serves the same answers.

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
	postsCnt  *int
	langIso   string // "": left out
	follows   []string
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
	members     []string
	slug        string
	country     string
	createdAt   string
	posts       int
	private     string // the invite token, shown only to the owner
}

func ptr[T any](v T) *T { return &v }

// Demo user ids (UUIDs, as the upstream uses).
const (
	aisha  = "6f1c2a9e-4b7d-4c1e-9a51-0d2f3e4a5b61"
	bilal  = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c62"
	fatima = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e63"
	omar   = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c64"
	yusuf  = "1e2d3c4b-5a69-4788-97a6-b5c4d3e2f165"
	zainab = "7d6c5b4a-3928-4716-a5b4-c3d2e1f0a966"
	harun  = "5b4a3928-1716-4a5b-8c3d-2e1f0a9b8c67"
	maryam = "2a3b4c5d-6e7f-4809-9a1b-2c3d4e5f6a68"
)

// DemoTokens returns the demo user tokens (listed in the README), each mapped to the
// id of the user it signs in as.
func DemoTokens() map[string]string {
	return map[string]string{
		"demo-aisha":  aisha,
		"demo-bilal":  bilal,
		"demo-fatima": fatima,
	}
}

func demoUsers() map[string]*user {
	us := []*user{
		{id: aisha, username: "aisha", firstName: "Aisha", lastName: "Rahman", bio: "Reading slowly, one ayah a day.", country: "GB", createdAt: "2019-03-02 08:15:00", joined: 2019, verified: ptr(true), postsCnt: ptr(42), langIso: "en", follows: []string{bilal, fatima, omar, yusuf, zainab}},
		{id: bilal, username: "bilal", firstName: "Bilal", lastName: "Haddad", country: "JO", createdAt: "2020-07-14 19:30:00", joined: 2020, postsCnt: ptr(7), langIso: "ar", follows: []string{aisha, harun, maryam}},
		{id: fatima, username: "fatima", firstName: "Fatima", lastName: "Zahra", bio: "Tafsir notes.", country: "MA", createdAt: "2000-01-21 00:00:00", joined: 2021, verified: ptr(false), follows: []string{aisha, omar, zainab, maryam}},
		{id: omar, username: "omar", firstName: "Omar", lastName: "Siddiqui", country: "PK", createdAt: "2021-11-30 12:00:00", joined: 2021, postsCnt: ptr(120), langIso: "ur", follows: []string{aisha}},
		{id: yusuf, username: "yusuf", firstName: "Yusuf", createdAt: "2022-01-01 00:00:00", joined: 2022, follows: []string{aisha, bilal}},
		{id: zainab, username: "zainab", firstName: "Zainab", lastName: "Okafor", country: "NG", createdAt: "2022-05-09 06:45:10", joined: 2022, verified: ptr(true), langIso: "en", follows: []string{fatima}},
		{id: harun, username: "harun", firstName: "Harun", lastName: "Yilmaz", country: "TR", createdAt: "2023-02-17 21:05:00", joined: 2023, postsCnt: ptr(3), langIso: "tr", follows: []string{bilal}},
		{id: maryam, username: "maryam", firstName: "Maryam", lastName: "Ali", bio: "Memorising Juz Amma.", country: "EG", createdAt: "2024-08-08 08:08:08", joined: 2024, langIso: "ar", follows: []string{bilal, fatima}},
	}
	m := make(map[string]*user, len(us))
	for _, u := range us {
		m[u.id] = u
	}
	return m
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
			posts:       i * 13,
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
			if u != r.owner && !contains(r.members, u) {
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
		slug: "bigid", createdAt: "2024-01-01T00:00:00Z", posts: 1, private: "invite-big-secret",
	}
	m["1234567890123456789"] = &room{
		id: "1234567890123456789", name: "Nineteen Digits", description: "A 19-digit id, kept exact end to end.",
		roomType: "group", public: true, verified: true, hideButton: ptr(false), owner: fatima,
		admins: []string{zainab}, members: []string{fatima, zainab, aisha, maryam},
		slug: "nineteen", country: "MA", createdAt: "2025-06-15T12:00:00+02:00", posts: 19, private: "invite-19-secret",
	}
	return m
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
