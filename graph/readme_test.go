package graph_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// readmeQueries are the README's ```graphql blocks, by operation name.
func readmeQueries(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	name := regexp.MustCompile(`(?m)^(?:query|mutation|subscription|fragment) (\w+)`)
	for _, m := range regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		n := name.FindStringSubmatch(m[1])
		if n == nil {
			t.Fatalf("a README graphql block without a named operation:\n%s", m[1])
		}
		out[n[1]] = m[1]
	}
	return out
}

// TestREADMEQueriesRun: every GraphQL example of the README is valid against
// the schema and runs as the README says to run it (as Aisha), with no error
// but the ones it shows on purpose (the rooms that do not exist). The room
// page costs what the README says: the room, then its two lists, then the
// authors' profiles and the comments: one call per distinct thing.
func TestREADMEQueriesRun(t *testing.T) {
	qs := readmeQueries(t)
	if _, ok := qs["RoomPage"]; !ok || len(qs) < 3 {
		t.Fatalf("README queries %v: want RoomPage and the others", qs)
	}
	for name, q := range qs {
		t.Run(name, func(t *testing.T) {
			o := servicetest.Options{}
			if name == "VerseWithReflections" {
				o = withCopy(o)
			}
			env := servicetest.New(t, o)
			env.Fake.ResetStats()
			resp := env.Post(t, q, nil, aisha)
			for _, e := range resp.Errors {
				if name == "Many" && e.Extensions["code"] == "NOT_FOUND" {
					continue
				}
				t.Errorf("%s: %s", name, resp.Raw)
				break
			}
			if name == "VersePanel" {
				if c := calls(env); c[fake.RouteFeed] != 1 || len(c) != 1 || len(servicetest.At(resp.Data, "feed", "edges").([]any)) == 0 {
					t.Errorf("the verse panel cost %v, want one feed call (and posts in it)", c)
				}
			}
			if name == "VerseWithReflections" {
				if c := calls(env); c[fake.RouteFeed] != 1 || len(c) != 1 || len(servicetest.At(resp.Data, "verse", "reflections", "nodes").([]any)) == 0 {
					t.Errorf("the verse with its reflections cost %v, want one feed call (and posts in it)", c)
				}
			}
			if name != "RoomPage" {
				return
			}
			c := calls(env)
			// The viewer's profile is read as the viewer (viewer { user }),
			// and serves as her profile if she is an author too.
			authors := map[any]bool{"6f1c2a9e-4b7d-4c1e-9a51-0d2f3e4a5b61": true}
			posts, _ := servicetest.At(resp.Data, "room", "posts", "edges").([]any)
			for _, e := range posts {
				authors[servicetest.At(e, "node", "author", "id")] = true
			}
			if c[fake.RouteRoomByURL] != 1 || c[fake.RouteRoomMembers] != 1 || c[fake.RouteRoomPosts] != 1 ||
				c[fake.RouteUser]+c[fake.RouteProfile] != len(authors) || c[fake.RoutePostComments] != len(posts) || len(posts) == 0 {
				t.Errorf("the room page cost %v; want the room, its members and posts once, %d profiles (the authors and the viewer) and %d comment lists",
					c, len(authors), len(posts))
			}
			if strings.Contains(q, "profile {") {
				t.Errorf("the README still selects the deprecated profile")
			}
		})
	}
}
