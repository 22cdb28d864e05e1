package fake

import (
	"slices"
	"testing"
)

func TestUserProfiles(t *testing.T) {
	a := newAPI(t)
	anon := a.anonymous()
	for _, tc := range []struct {
		name, path, token, wantID string // wantID "" for 404
		own                       bool
	}{
		{"by id", "/quran-reflect/v1/users/" + bilal, "demo-aisha", bilal, false},
		{"by username", "/quran-reflect/v1/users/bilal/profile", "demo-aisha", bilal, false},
		{"username ignores case", "/quran-reflect/v1/users/BiLaL/profile", "demo-aisha", bilal, false},
		{"mixed-case username", "/quran-reflect/v1/users/khadija_b/profile", "demo-aisha", khadija, false},
		{"own profile by id", "/quran-reflect/v1/users/" + aisha, "demo-aisha", aisha, true},
		{"signed-in user", "/quran-reflect/v1/users/profile", "demo-fatima", fatima, true},
		{"anonymous by username", "/quran-reflect/v1/users/omar/profile", anon, omar, false},
		{"unknown id", "/quran-reflect/v1/users/00000000-0000-4000-8000-000000000000", "demo-aisha", "", false},
		{"unknown username", "/quran-reflect/v1/users/nobody/profile", "demo-aisha", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ans := a.get(tc.path, tc.token)
			if tc.wantID == "" {
				if ans.status != 404 || ans.body["message"] != "User not found" {
					t.Errorf("%d %s, want 404", ans.status, ans.raw)
				}
				return
			}
			p := ans.body
			if ans.status != 200 || p["id"] != tc.wantID {
				t.Fatalf("%d %s", ans.status, ans.raw)
			}
			for _, k := range []string{"avatarUrls", "createdAt", "joiningYear", "postsCount", "followersCount", "likesCount", "verified"} {
				if _, ok := p[k]; !ok {
					t.Errorf("no %s", k)
				}
			}
			_, email := p["email"]
			_, mutual := p["mutualFollowers"]
			signedIn := tc.token != anon
			if email != tc.own || mutual != (signedIn && !tc.own) {
				t.Errorf("email %v, mutualFollowers %v: own %v, signed in %v", email, mutual, tc.own, signedIn)
			}
			if mutual {
				if got := len(p["mutualFollowers"].([]any)); got != num(p["mutualFollowersCount"]) {
					t.Errorf("%d mutual followers, count %v", got, p["mutualFollowersCount"])
				}
			}
		})
	}
	if ans := a.get("/quran-reflect/v1/users/profile", anon); ans.status != 401 {
		t.Errorf("own profile, anonymous: %d %s", ans.status, ans.raw)
	}
	// Omar's followers are Aisha, Fatima and Ibrahim: of them, Fatima follows Aisha.
	omarForFatima := a.ok("/quran-reflect/v1/users/omar/profile", "demo-fatima")
	var mutual []string
	for _, u := range omarForFatima["mutualFollowers"].([]any) {
		mutual = append(mutual, str(u.(map[string]any)["username"]))
	}
	if !slices.Equal(mutual, []string{"aisha"}) || omarForFatima["followed"] != true {
		t.Errorf("Omar for Fatima: mutual %v, followed %v", mutual, omarForFatima["followed"])
	}
}

func TestFollowersAndFollowing(t *testing.T) {
	a := newAPI(t)
	usernames := func(items []map[string]any) []string {
		var out []string
		for _, it := range items {
			out = append(out, str(it["username"]))
		}
		return out
	}
	followers := a.pages("/quran-reflect/v1/users/"+aisha+"/followers", "demo-bilal", 20)
	profile := a.ok("/quran-reflect/v1/users/"+aisha, "demo-bilal")
	if got, want := len(followers), num(profile["followersCount"]); got != want || got < 21 {
		t.Errorf("%d followers listed, followersCount %d (want more than one page of 20)", got, want)
	}
	names := usernames(followers)
	for _, who := range []string{"bilal", "fatima", "omar", "yusuf"} {
		if !slices.Contains(names, who) {
			t.Errorf("%s does not follow Aisha: %v", who, names)
		}
	}
	following := usernames(a.pages("/quran-reflect/v1/users/"+bilal+"/following", "demo-bilal", 20))
	if want := []string{"aisha", "harun", "maryam", "idris", "musa"}; !slices.Equal(following, want) {
		t.Errorf("Bilal follows %v, want %v", following, want)
	}
	// followed is whether the viewer follows each one (not sent for the viewer).
	for _, f := range followers {
		if f["id"] == bilal {
			if _, ok := f["followed"]; ok {
				t.Error("followed sent for the viewer")
			}
			continue
		}
		want := slices.Contains([]string{aisha, harun, maryam, idris, musa}, str(f["id"]))
		if f["followed"] != want {
			t.Errorf("%s: followed %v for Bilal, want %v", f["username"], f["followed"], want)
		}
	}
	if ans := a.get("/quran-reflect/v1/users/nobody/followers", "demo-aisha"); ans.status != 404 {
		t.Errorf("unknown user: %d", ans.status)
	}
	for _, u := range []string{aisha, bilal, fatima, omar, zainab, khadija, readerID(3)} {
		p := a.ok("/quran-reflect/v1/users/"+u, "demo-aisha")
		n := len(a.pages("/quran-reflect/v1/users/"+u+"/followers", "demo-aisha", 20))
		if got := num(p["followersCount"]); got != n {
			t.Errorf("%s: followersCount %d, %d listed", p["username"], got, n)
		}
	}
}
