package fake

import (
	"fmt"
	"strings"
)

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

	ibrahim = "4f5e6d7c-8b9a-4c0d-9e1f-2a3b4c5d6e69"
	khadija = "8c7b6a59-4837-4261-a5f4-e3d2c1b0a970"
	idris   = "6a5b4c3d-2e1f-4a0b-8c9d-7e6f5a4b3c71"
	musa    = "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d72"
	safiya  = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f73"
	layla   = "e7f8a9b0-c1d2-4e3f-8a4b-5c6d7e8f9a74"
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

// demoUsers returns every demo user in a fixed order: the three demo viewers,
// their friends, six newer members and the readers who fill room 1.
func demoUsers() []*user {
	us := []*user{
		{id: aisha, username: "aisha", firstName: "Aisha", lastName: "Rahman", bio: "Reading slowly, one ayah a day.", country: "GB", createdAt: "2019-03-02 08:15:00", joined: 2019, verified: ptr(true), langIso: "en", follows: []string{bilal, fatima, omar, yusuf, zainab, khadija}},
		{id: bilal, username: "bilal", firstName: "Bilal", lastName: "Haddad", country: "JO", createdAt: "2020-07-14 19:30:00", joined: 2020, langIso: "ar", follows: []string{aisha, harun, maryam, idris, musa}},
		{id: fatima, username: "fatima", firstName: "Fatima", lastName: "Zahra", bio: "Tafsir notes.", country: "MA", createdAt: "2000-01-21 00:00:00", joined: 2021, verified: ptr(false), sparse: true, follows: []string{aisha, omar, zainab, maryam, safiya, layla}},
		{id: omar, username: "omar", firstName: "Omar", lastName: "Siddiqui", country: "PK", createdAt: "2021-11-30 12:00:00", joined: 2021, langIso: "ur", follows: []string{aisha}},
		{id: yusuf, username: "yusuf", firstName: "Yusuf", createdAt: "2022-01-01 00:00:00", joined: 2022, sparse: true, follows: []string{aisha, bilal}},
		{id: zainab, username: "zainab", firstName: "Zainab", lastName: "Okafor", country: "NG", createdAt: "2022-05-09 06:45:10", joined: 2022, verified: ptr(true), sparse: true, langIso: "en", follows: []string{fatima}},
		{id: harun, username: "harun", firstName: "Harun", lastName: "Yilmaz", country: "TR", createdAt: "2023-02-17 21:05:00", joined: 2023, langIso: "tr", follows: []string{bilal}},
		{id: maryam, username: "maryam", firstName: "Maryam", lastName: "Ali", bio: "Memorising Juz Amma.", country: "EG", createdAt: "2024-08-08 08:08:08", joined: 2024, sparse: true, langIso: "ar", follows: []string{bilal, fatima}},
		{id: ibrahim, username: "ibrahim", firstName: "Ibrahim", lastName: "Diallo", bio: "Weekly tafsir circle in Dakar.", country: "SN", createdAt: "2020-02-29 10:10:10", joined: 2020, verified: ptr(true), langIso: "en", follows: []string{aisha, omar, khadija}},
		{id: khadija, username: "Khadija_B", firstName: "Khadija", lastName: "Benali", country: "DZ", createdAt: "2021-06-01 09:00:00", joined: 2021, verified: ptr(false), langIso: "ar", follows: []string{aisha, ibrahim, fatima}},
		{id: idris, username: "idris", firstName: "Idris", lastName: "Kamara", country: "SL", createdAt: "2022-09-12 14:20:00", joined: 2022, sparse: true, follows: []string{bilal, harun}},
		{id: musa, username: "musa", firstName: "Musa", lastName: "Abdi", country: "SO", createdAt: "2023-03-03 03:03:03", joined: 2023, verified: ptr(true), langIso: "en", follows: []string{aisha, bilal, ibrahim}},
		{id: safiya, username: "safiya", firstName: "Safiya", lastName: "Noor", bio: "Tajweed teacher.", country: "ID", createdAt: "2019-12-25 18:00:00", joined: 2019, verified: ptr(true), langIso: "en", follows: []string{aisha, zainab, maryam}},
		{id: layla, username: "layla", firstName: "Layla", lastName: "Hassan", country: "AE", createdAt: "2025-01-15 07:30:00", joined: 2025, sparse: true, follows: []string{fatima, safiya}},
	}
	return append(us, readers()...)
}

// readerNames name the readers who fill room 1.
func readerNames() []string {
	return []string{
		"Abdullah", "Amina", "Hamza", "Hafsa", "Bilqis", "Anas", "Ruqayya", "Salman", "Sumayya", "Talha",
		"Asma", "Zayd", "Nusayba", "Uthman", "Sawda", "Ammar", "Rabia", "Suhayb", "Halima", "Musab",
		"Lubna", "Khalid", "Huda", "Jafar", "Iman", "Tariq", "Dina", "Sami", "Noura",
	}
}

// readerID is the UUID of reader n (from 1).
func readerID(n int) string {
	return fmt.Sprintf("a11ce%03x-%04x-4%03x-8%03x-%012x", n, n*31, n*7, n*13, n*104729)
}

// readers are 29 users who follow Aisha (some Bilal and Musa too) and belong to room 1.
func readers() []*user {
	lastNames := []string{"", "Karim", "Osman", "Farouk", "Latif", "Qureshi", "Mansour"}
	countries := []string{"GB", "US", "MY", "EG", "PK", "NG", "FR", "CA"}
	var us []*user
	for i, name := range readerNames() {
		n := i + 1
		u := &user{
			id:        readerID(n),
			username:  fmt.Sprintf("%s%02d", strings.ToLower(name), n),
			firstName: name,
			lastName:  lastNames[n%len(lastNames)],
			country:   countries[n%len(countries)],
			createdAt: fmt.Sprintf("2024-%02d-%02d %02d:%02d:00", n%12+1, n%28+1, n%24, n*7%60),
			joined:    2024,
			sparse:    true,
			follows:   []string{aisha},
		}
		if n%5 == 0 {
			u.verified = ptr(true)
		}
		if n%3 == 0 {
			u.langIso = "en"
			u.follows = append(u.follows, bilal)
		}
		if n%4 == 0 {
			u.follows = append(u.follows, musa)
		}
		if n%6 == 1 {
			u.bio = "Learning one surah at a time."
		}
		us = append(us, u)
	}
	return us
}

// roomOneNewcomers join room 1 after its first four members: it has 37.
func roomOneNewcomers() []string {
	ids := []string{ibrahim, khadija, idris, musa}
	for n := 1; n <= len(readerNames()); n++ {
		ids = append(ids, readerID(n))
	}
	return ids
}

// followers returns who follows u, in the users' fixed order.
func (db *store) followers(u *user) []*user {
	var fs []*user
	for _, f := range db.userList {
		if f != u && contains(f.follows, u.id) {
			fs = append(fs, f)
		}
	}
	return fs
}

// following returns whom u follows, in the order u followed them.
func (db *store) following(u *user) []*user {
	fs := make([]*user, 0, len(u.follows))
	for _, id := range u.follows {
		fs = append(fs, db.users[id])
	}
	return fs
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
