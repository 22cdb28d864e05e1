package graph_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// The reflection loop: the feed, the post and comment reads, and the writes
// made safe to retry, through the real handler against the fake.

// recorder is a proxy in front of the fake that keeps the raw query string of
// every call to one path, to see what reaches the upstream.
type recorder struct {
	path    string
	target  atomic.Pointer[url.URL]
	mu      sync.Mutex
	queries []string
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == rc.path {
		rc.mu.Lock()
		rc.queries = append(rc.queries, r.URL.RawQuery)
		rc.mu.Unlock()
	}
	httputil.NewSingleHostReverseProxy(rc.target.Load()).ServeHTTP(w, r)
}

func (rc *recorder) take() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	q := rc.queries
	rc.queries = nil
	return q
}

// recorded starts an Env whose API calls pass through a recorder of path.
func recorded(t *testing.T, path string) (*servicetest.Env, *recorder) {
	t.Helper()
	rc := &recorder{path: path}
	proxy := httptest.NewServer(rc)
	t.Cleanup(proxy.Close)
	env := servicetest.New(t, servicetest.Options{APIBase: proxy.URL, Before: func(*fake.Server) {}})
	u, err := url.Parse(env.Upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	rc.target.Store(u)
	return env, rc
}

// TestFeedEncodesEveryFilterAsDocumented: each argument of feed reaches the
// upstream as the spec writes it, and a null argument is left out.
func TestFeedEncodesEveryFilterAsDocumented(t *testing.T) {
	env, rc := recorded(t, "/quran-reflect/v1/posts/feed")
	const author = "6f1c2a9e-4b7d-4c1e-9a51-0d2f3e4a5b61"
	cases := []struct {
		name, args string
		want       url.Values // every parameter the call must carry
	}{
		{"nothing", ``, url.Values{"sortBy": {"latest"}, "page": {"1"}, "limit": {"20"}}},
		{"the verse panel", `filter: {references: [{chapterId: 2, from: 255, to: 255}], postTypes: [REFLECTION], languages: [2], verifiedOnly: true}, tab: QDC`,
			url.Values{"filter[references][0][chapterId]": {"2"}, "filter[references][0][from]": {"255"}, "filter[references][0][to]": {"255"},
				"filter[postTypeIds]": {"1"}, "languages": {"2"}, "filter[verifiedOnly]": {"true"}, "tab": {"qdc"},
				"sortBy": {"latest"}, "page": {"1"}, "limit": {"20"}}},
		{"two ranges, AND", `filter: {references: [{chapterId: 1, from: 1, to: 7}, {chapterId: 112, from: 1, to: 4}], referencesOperator: AND}, sortBy: POPULAR`,
			url.Values{"filter[references][0][chapterId]": {"1"}, "filter[references][0][from]": {"1"}, "filter[references][0][to]": {"7"},
				"filter[references][1][chapterId]": {"112"}, "filter[references][1][from]": {"1"}, "filter[references][1][to]": {"4"},
				"filter[referencesOperator]": {"AND"}, "sortBy": {"popular"}, "page": {"1"}, "limit": {"20"}}},
		{"lists", `filter: {tags: ["patience", "gratitude"], tagsOperator: OR, authors: ["` + author + `"], groups: ["group-1"], pages: ["page-3"], postTypes: [REFLECTION, LESSON], languages: [2, 1], verifiedOnly: false}, tab: MOST_POPULAR`,
			url.Values{"filter[tags]": {"patience,gratitude"}, "filter[tagsOperator]": {"OR"}, "filter[authors]": {author},
				"filter[groups]": {"group-1"}, "filter[pages]": {"page-3"}, "filter[postTypeIds]": {"1,2"}, "languages": {"2,1"},
				"filter[verifiedOnly]": {"false"}, "tab": {"most_popular"}, "sortBy": {"latest"}, "page": {"1"}, "limit": {"20"}}},
		{"empty lists are not sent", `filter: {tags: [], references: []}, tab: FOLLOWING`,
			url.Values{"tab": {"following"}, "sortBy": {"latest"}, "page": {"1"}, "limit": {"20"}}},
	}
	for _, c := range cases {
		args := c.args
		if args != "" {
			args = "(" + args + ")"
		}
		resp := env.Post(t, `{ feed`+args+` { totalCount } }`, nil, aisha)
		if len(resp.Errors) > 0 {
			t.Errorf("%s: %s", c.name, resp.Raw)
			continue
		}
		got := rc.take()
		if len(got) != 1 {
			t.Errorf("%s: %d feed calls, want 1", c.name, len(got))
			continue
		}
		if !strings.Contains(got[0], "filter[references][0][chapterId]=") && c.want.Has("filter[references][0][chapterId]") {
			t.Errorf("%s: the references are not indexed as documented: %s", c.name, got[0])
		}
		sent, err := url.ParseQuery(got[0])
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if sent.Encode() != c.want.Encode() {
			t.Errorf("%s: sent\n  %s\nwant\n  %s", c.name, sent.Encode(), c.want.Encode())
		}
	}
}

// TestFeedRefusesBadFilters: every bound is BAD_USER_INPUT, with no call.
func TestFeedRefusesBadFilters(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	many := func(n int, item string) string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf(item, i+1)
		}
		return strings.Join(s, ", ")
	}
	for name, filter := range map[string]string{
		"chapter 0":          `references: [{chapterId: 0, from: 1, to: 1}]`,
		"chapter 115":        `references: [{chapterId: 115, from: 1, to: 1}]`,
		"verse 0":            `references: [{chapterId: 2, from: 0, to: 3}]`,
		"from after to":      `references: [{chapterId: 2, from: 9, to: 3}]`,
		"21 references":      `references: [` + many(21, `{chapterId: %d, from: 1, to: 1}`) + `]`,
		"51 tags":            `tags: [` + many(51, `"t%d"`) + `]`,
		"51 languages":       `languages: [` + many(51, `%d`) + `]`,
		"an author no UUID":  `authors: ["bilal"]`,
		"51 groups":          `groups: [` + many(51, `"g%d"`) + `]`,
		"a page that is bad": `pages: ["../x"]`,
	} {
		env.Fake.ResetStats()
		resp := env.Post(t, `{ feed(filter: {`+filter+`}) { totalCount } }`, nil)
		if resp.Code("feed") != errcode.BadUserInput {
			t.Errorf("%s: %s, want BAD_USER_INPUT at feed", name, resp.Raw)
		}
		if n := env.Fake.Stats().Calls[fake.RouteFeed]; n != 0 {
			t.Errorf("%s: %d feed calls, want none", name, n)
		}
	}
}

// TestFeedPagesReachEveryPostOnce: paging a filtered feed seven at a time
// (the upstream's pages are 20) reaches every matching post once, in order.
func TestFeedPagesReachEveryPostOnce(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	const filter = `filter: {references: [{chapterId: 2, from: 255, to: 255}]}`
	all := env.Post(t, `{ feed(`+filter+`, first: 50) { totalCount nodes { id references { chapterId from to } } } }`, nil)
	if len(all.Errors) > 0 {
		t.Fatal(all.Raw)
	}
	var want []string
	for _, n := range servicetest.At(all.Data, "feed", "nodes").([]any) {
		want = append(want, servicetest.At(n, "id").(string))
		on := false
		for _, r := range servicetest.At(n, "references").([]any) {
			from, _ := servicetest.At(r, "from").(interface{ Int64() (int64, error) }).Int64()
			to, _ := servicetest.At(r, "to").(interface{ Int64() (int64, error) }).Int64()
			on = on || (fmt.Sprint(servicetest.At(r, "chapterId")) == "2" && from <= 255 && 255 <= to)
		}
		if !on {
			t.Errorf("post %v is not on 2:255: %v", servicetest.At(n, "id"), servicetest.At(n, "references"))
		}
	}
	total := fmt.Sprint(servicetest.At(all.Data, "feed", "totalCount"))
	if len(want) < 21 || fmt.Sprint(len(want)) != total {
		t.Fatalf("the demo has %d posts on 2:255 (total %s): want more than one upstream page, all of them in one window", len(want), total)
	}
	var got []string
	after := ""
	for range 20 {
		resp := env.Post(t, `query($after: String) { feed(`+filter+`, first: 7, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"after": after})
		if len(resp.Errors) > 0 {
			t.Fatal(resp.Raw)
		}
		for _, e := range servicetest.At(resp.Data, "feed", "edges").([]any) {
			got = append(got, servicetest.At(e, "node", "id").(string))
		}
		if servicetest.At(resp.Data, "feed", "pageInfo", "hasNextPage") != true {
			break
		}
		after = servicetest.At(resp.Data, "feed", "pageInfo", "endCursor").(string)
	}
	if !slices.Equal(got, want) {
		t.Errorf("paging by 7 reached\n  %v\nwant\n  %v", got, want)
	}
}

// TestFeedForSignedOutReaders: the service's own token serves the feed, and
// what would describe a person is null.
func TestFeedForSignedOutReaders(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Fake.ResetStats()
	resp := env.Post(t, `{ feed(first: 5) { nodes { id isLiked isSaved isByFollowedUser room { id name url } } } }`, nil)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Raw)
	}
	nodes := servicetest.At(resp.Data, "feed", "nodes").([]any)
	if len(nodes) == 0 {
		t.Fatal("an empty feed")
	}
	rooms := 0
	for _, n := range nodes {
		for _, f := range []string{"isLiked", "isSaved", "isByFollowedUser"} {
			if v := servicetest.At(n, f); v != nil {
				t.Errorf("post %v: %s is %v for a signed-out reader, want null", servicetest.At(n, "id"), f, v)
			}
		}
		if servicetest.At(n, "room", "url") != nil {
			rooms++
		}
	}
	if rooms == 0 {
		t.Errorf("no post of the feed's first page is in a group with its url: %s", resp.Raw)
	}
	if s := env.Fake.Stats(); s.APICalls != 1 || s.Calls[fake.RouteRoom] != 0 {
		t.Errorf("the feed with its posts' rooms (%d of them) made %d calls (%v), want 1: room { id name url } comes with the post", rooms, s.APICalls, s.Calls)
	}
	signedIn := env.Post(t, `{ feed(first: 5) { nodes { isLiked isSaved isByFollowedUser } } }`, nil, aisha)
	for _, n := range servicetest.At(signedIn.Data, "feed", "nodes").([]any) {
		if servicetest.At(n, "isLiked") == nil || servicetest.At(n, "isSaved") == nil {
			t.Errorf("a signed-in viewer's feed leaves isLiked or isSaved null: %s", signedIn.Raw)
			break
		}
	}
}

// aPost is a post of the demo feed that Bilal neither likes nor saved, for writes.
func aPost(t *testing.T, env *servicetest.Env) string {
	t.Helper()
	resp := env.Post(t, `{ feed(first: 20) { nodes { id isLiked isSaved } } }`, nil, bilal)
	nodes, _ := servicetest.At(resp.Data, "feed", "nodes").([]any)
	for _, n := range nodes {
		if servicetest.At(n, "isLiked") == false && servicetest.At(n, "isSaved") == false {
			return servicetest.At(n, "id").(string)
		}
	}
	t.Fatalf("no post Bilal neither likes nor saved: %s", resp.Raw)
	return ""
}

// TestSetPostLikedTwiceTogglesOnce: the state is read before the toggle, so
// asking twice for a like makes one change.
func TestSetPostLikedTwiceTogglesOnce(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	id := aPost(t, env)
	env.Fake.ResetStats()
	q := `mutation($id: ID!, $liked: Boolean!) { setPostLiked(id: $id, liked: $liked) { post { id isLiked likesCount } } }`
	first := env.Post(t, q, map[string]any{"id": id, "liked": true}, bilal)
	second := env.Post(t, q, map[string]any{"id": id, "liked": true}, bilal)
	for _, r := range []servicetest.Response{first, second} {
		if len(r.Errors) > 0 || servicetest.At(r.Data, "setPostLiked", "post", "isLiked") != true {
			t.Fatalf("like: %s", r.Raw)
		}
	}
	if a, b := servicetest.At(first.Data, "setPostLiked", "post", "likesCount"), servicetest.At(second.Data, "setPostLiked", "post", "likesCount"); a != b {
		t.Errorf("likesCount %v after the first, %v after the second", a, b)
	}
	if n := env.Fake.Stats().Calls[fake.RouteTogglePostLike]; n != 1 {
		t.Errorf("%d toggles, want 1", n)
	}
	unlike := env.Post(t, q, map[string]any{"id": id, "liked": false}, bilal)
	if servicetest.At(unlike.Data, "setPostLiked", "post", "isLiked") != false {
		t.Errorf("unlike: %s", unlike.Raw)
	}
	if n := env.Fake.Stats().Calls[fake.RouteTogglePostLike]; n != 2 {
		t.Errorf("%d toggles after the unlike, want 2", n)
	}
}

// TestAToggleThatComesBackWrongIsNotRepeated: another device toggles between
// the read and the toggle; the service does not toggle again and answers the
// post as it is, with CONFLICT.
func TestAToggleThatComesBackWrongIsNotRepeated(t *testing.T) {
	for _, c := range []struct{ field, arg, state, route string }{
		{"setPostLiked", "liked", "isLiked", fake.RouteTogglePostLike},
		{"setPostSaved", "saved", "isSaved", fake.RouteTogglePostSave},
	} {
		t.Run(c.field, func(t *testing.T) {
			env := servicetest.New(t, servicetest.Options{})
			id := aPost(t, env)
			env.Fake.ResetStats()
			// Just before the service's toggle, another of Bilal's devices makes the same change.
			env.Fake.BeforeRoute(c.route, func() {
				env.Fake.ServeHTTP(httptest.NewRecorder(), anotherDevice(t, env, c.route, id))
			})
			q := fmt.Sprintf(`mutation($id: ID!) { %s(id: $id, %s: true) { post { id %s } } }`, c.field, c.arg, c.state)
			resp := env.Post(t, q, map[string]any{"id": id}, bilal)
			if resp.Code(c.field+".post") != errcode.Conflict {
				t.Errorf("%s, want CONFLICT at %s.post", resp.Raw, c.field)
			}
			if v := servicetest.At(resp.Data, c.field, "post", c.state); v != false {
				t.Errorf("the post is shown with %s %v, want false: as it now is", c.state, v)
			}
			if n := env.Fake.Stats().Calls[c.route]; n != 2 { // the other device's, and ours
				t.Errorf("%d toggles, want 2 (the other device's and one of ours)", n)
			}
		})
	}
}

// anotherDevice is Bilal's toggle of route on post id, sent straight to the fake.
func anotherDevice(t *testing.T, env *servicetest.Env, route, id string) *http.Request {
	_, path, _ := strings.Cut(route, " ")
	req := httptest.NewRequest(http.MethodPost, strings.Replace(path, "{id}", id, 1), nil)
	req.Header.Set("x-auth-token", "demo-bilal")
	req.Header.Set("x-client-id", fake.DemoClientID)
	return req
}

// TestAShortBodyCostsNoCall: what the upstream would refuse is refused here,
// with a message a person can act on.
func TestAShortBodyCostsNoCall(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Fake.ResetStats()
	for name, input := range map[string]string{
		"short body":    `{body: "hi", references: [{chapterId: 2, from: 255, to: 255}]}`,
		"no reference":  `{body: "A reflection long enough", references: []}`,
		"bad reference": `{body: "A reflection long enough", references: [{chapterId: 2, from: 300, to: 1}]}`,
		"bad room":      `{body: "A reflection long enough", references: [{chapterId: 2, from: 1, to: 1}], roomId: "x"}`,
	} {
		resp := env.Post(t, `mutation { createPost(input: `+input+`) { post { id } } }`, nil, bilal)
		if resp.Code("createPost") != errcode.BadUserInput {
			t.Errorf("%s: %s, want BAD_USER_INPUT", name, resp.Raw)
		}
	}
	short := env.Post(t, `mutation { createPost(input: {body: "hi", references: [{chapterId: 2, from: 255, to: 255}]}) { post { id } } }`, nil, bilal)
	if len(short.Errors) != 1 || !strings.Contains(short.Errors[0].Message, "at least 6 characters") {
		t.Errorf("the message does not say what to fix: %s", short.Raw)
	}
	if n := env.Fake.Stats().APICalls; n != 0 {
		t.Errorf("refused writes made %d calls", n)
	}
}

// TestWritesNeedAUserToken: every write but recordPostView is UNAUTHENTICATED
// for a caller without a user token, with no call.
func TestWritesNeedAUserToken(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	env.Fake.ResetStats()
	for _, m := range []string{
		`createPost(input: {body: "A reflection long enough", references: [{chapterId: 2, from: 255, to: 255}]}) { post { id } }`,
		`updatePost(id: "4001", input: {body: "A new body for it"}) { post { id } }`,
		`deletePost(id: "4001") { deletedId }`,
		`setPostLiked(id: "4001", liked: true) { post { id } }`,
		`setPostSaved(id: "4001", saved: true) { post { id } }`,
		`reportPost(id: "4001", reason: "spam") { reported }`,
		`createComment(input: {postId: "4001", body: "Ameen"}) { comment { id } }`,
		`editComment(id: "1", body: "Ameen") { comment { id } }`,
		`deleteComment(id: "1") { deletedId }`,
		`toggleCommentLike(id: "1") { liked }`,
	} {
		resp := env.Post(t, `mutation { `+m+` }`, nil)
		name, _, _ := strings.Cut(m, "(")
		if resp.Code(name) != errcode.Unauthenticated {
			t.Errorf("%s: %s, want UNAUTHENTICATED", name, resp.Raw)
		}
	}
	if n := env.Fake.Stats().APICalls; n != 0 {
		t.Errorf("anonymous writes made %d calls", n)
	}
	view := env.Post(t, `mutation { recordPostView(id: "4001") }`, nil)
	if servicetest.At(view.Data, "recordPostView") != true {
		t.Errorf("a signed-out reader's view: %s", view.Raw)
	}
}

// TestADeleteCommentThatFailsIsNotSentAgain: a 502 may come after the upstream
// deleted; the service does not send the GET again.
func TestADeleteCommentThatFailsIsNotSentAgain(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	made := env.Post(t, `mutation { createComment(input: {postId: "4001", body: "Ameen, may Allah accept"}) { comment { id } } }`, nil, bilal)
	id, ok := servicetest.At(made.Data, "createComment", "comment", "id").(string)
	if !ok {
		t.Fatal(made.Raw)
	}
	env.Fake.ResetStats()
	env.Fake.SetRouteFault(fake.RouteDeleteComment, fake.Fault{Status: http.StatusBadGateway, Times: 1})
	resp := env.Post(t, `mutation($id: ID!) { deleteComment(id: $id) { deletedId } }`, map[string]any{"id": id}, bilal)
	if resp.Code("deleteComment") != errcode.Upstream {
		t.Errorf("%s, want UPSTREAM_ERROR", resp.Raw)
	}
	if n := env.Fake.Stats().Calls[fake.RouteDeleteComment]; n != 1 {
		t.Errorf("the delete was sent %d times, want once", n)
	}
	// Nor can a GET to /query send it: GET runs queries only.
	req, err := http.NewRequest(http.MethodGet, env.Endpoint+"?query="+url.QueryEscape(fmt.Sprintf(`mutation { deleteComment(id: %q) { deletedId } }`, id)), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer demo-bilal")
	if get := servicetest.Do(t, req); len(get.Errors) == 0 || get.Data["deleteComment"] != nil {
		t.Errorf("a GET ran a mutation: %s", get.Raw)
	}
	if n := env.Fake.Stats().Calls[fake.RouteDeleteComment]; n != 1 {
		t.Errorf("%d delete calls after a GET, want still 1", n)
	}
}

// TestViewsAndDeletesTwice: a recorded view counts; deleting a post twice is
// NOT_FOUND the second time, so a retried delete changes nothing.
func TestViewsAndDeletesTwice(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	views := func() string {
		r := env.Post(t, `{ post(id: "4002") { viewsCount } }`, nil)
		return fmt.Sprint(servicetest.At(r.Data, "post", "viewsCount"))
	}
	before := views()
	if r := env.Post(t, `mutation { recordPostView(id: "4002") }`, nil); servicetest.At(r.Data, "recordPostView") != true {
		t.Fatal(r.Raw)
	}
	if after := views(); after == before {
		t.Errorf("viewsCount stayed %s after a view", after)
	}
	made := env.Post(t, createPostOnce, map[string]any{"body": "To be deleted twice"}, bilal)
	id := servicetest.At(made.Data, "createPost", "post", "id")
	q := `mutation($id: ID!) { deletePost(id: $id) { deletedId } }`
	if r := env.Post(t, q, map[string]any{"id": id}, bilal); servicetest.At(r.Data, "deletePost", "deletedId") != id {
		t.Fatal(r.Raw)
	}
	if r := env.Post(t, q, map[string]any{"id": id}, bilal); r.Code("deletePost") != errcode.NotFound {
		t.Errorf("the second delete: %s, want NOT_FOUND", r.Raw)
	}
	if r := env.Post(t, `query($id: ID!) { post(id: $id) { id } }`, map[string]any{"id": id}, bilal); r.Code("post") != errcode.NotFound {
		t.Errorf("the deleted post reads %s", r.Raw)
	}
}

// TestAlreadyIsSettledByState: a refusal in words the service has never seen
// is a success when the state is the one asked for, and an error when not.
func TestAlreadyIsSettledByState(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	const fatima = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e63"
	q := `mutation($id: ID!) { followUser(id: $id) { user { id followed } } }`
	if r := env.Post(t, q, map[string]any{"id": fatima}, bilal); len(r.Errors) > 0 {
		t.Fatal(r.Raw)
	}
	odd := fake.Fault{Status: http.StatusBadRequest, Body: `{"message":"Request could not be processed","type":"invalid_request","success":false}`, Times: 1}
	env.Fake.SetRouteFault(fake.RouteToggleFollow, odd)
	again := env.Post(t, q, map[string]any{"id": fatima}, bilal)
	if len(again.Errors) > 0 || servicetest.At(again.Data, "followUser", "user", "followed") != true {
		t.Errorf("following a user already followed: %s, want the user", again.Raw)
	}
	// The same refusal when the state is not the one asked for is the error.
	env.Fake.SetRouteFault(fake.RouteToggleFollow, odd)
	un := env.Post(t, `mutation($id: ID!) { unfollowUser(id: $id) { user { followed } } }`, map[string]any{"id": fatima}, bilal)
	if un.Code("unfollowUser") != errcode.BadUserInput {
		t.Errorf("a refused unfollow of a followed user: %s, want BAD_USER_INPUT", un.Raw)
	}
	// Joining a room already joined, whatever the words.
	id, _ := aGroupToJoin(t, env)
	join := `mutation($id: ID!) { joinRoom(id: $id) { room { isMember } } }`
	if r := env.Post(t, join, map[string]any{"id": id}, bilal); len(r.Errors) > 0 {
		t.Fatal(r.Raw)
	}
	env.Fake.SetRouteFault(fake.RouteJoinRoom, fake.Fault{Status: http.StatusBadRequest, Body: `{"message":"nope","success":false}`, Times: 1})
	if r := env.Post(t, join, map[string]any{"id": id}, bilal); len(r.Errors) > 0 || servicetest.At(r.Data, "joinRoom", "room", "isMember") != true {
		t.Errorf("joining a room already joined: %s", r.Raw)
	}
}

// TestFreshAfterWrites: a new post is at the top of its author's and room's
// posts, a new comment in its post's comments and count, a reply in its
// parent's replies, and deleted ones are gone, in the viewer's next request.
func TestFreshAfterWrites(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	const bilalID = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c62"
	before := env.Post(t, `query($u: ID!) { user(id: $u) { postsCount posts(first: 1) { totalCount } } }`, map[string]any{"u": bilalID}, bilal)
	made := env.Post(t, `mutation { createPost(input: {body: "Patience is light, and 2:255 says why", references: [{chapterId: 2, from: 255, to: 255}]}) { post { id body author { id } references { chapterId from to } isLiked commentsCount } } }`, nil, bilal)
	id, ok := servicetest.At(made.Data, "createPost", "post", "id").(string)
	if !ok || len(made.Errors) > 0 {
		t.Fatal(made.Raw)
	}
	if servicetest.At(made.Data, "createPost", "post", "author", "id") != bilalID {
		t.Errorf("the new post's author: %s", made.Raw)
	}
	after := env.Post(t, `query($u: ID!) { user(id: $u) { posts(first: 1) { totalCount nodes { id } } } feed(first: 1) { nodes { id } } }`, map[string]any{"u": bilalID}, bilal)
	if servicetest.At(after.Data, "user", "posts", "nodes", 0, "id") != id || servicetest.At(after.Data, "feed", "nodes", 0, "id") != id {
		t.Errorf("the new post %s is not at the top: %s", id, after.Raw)
	}
	if a, b := fmt.Sprint(servicetest.At(before.Data, "user", "posts", "totalCount")), fmt.Sprint(servicetest.At(after.Data, "user", "posts", "totalCount")); a == b {
		t.Errorf("the author's posts total stayed %s", a)
	}

	c := env.Post(t, `mutation($p: ID!) { createComment(input: {postId: $p, body: "Ameen"}) { comment { id postId: post { id commentsCount } } } }`, map[string]any{"p": id}, bilal)
	cid, ok := servicetest.At(c.Data, "createComment", "comment", "id").(string)
	if !ok {
		t.Fatal(c.Raw)
	}
	if n := fmt.Sprint(servicetest.At(c.Data, "createComment", "comment", "postId", "commentsCount")); n != "1" {
		t.Errorf("the comment's post has commentsCount %s, want 1", n)
	}
	reply := env.Post(t, `mutation($p: ID!, $c: ID!) { createComment(input: {postId: $p, parentId: $c, body: "And you"}) { comment { id } } }`, map[string]any{"p": id, "c": cid}, aisha)
	rid, ok := servicetest.At(reply.Data, "createComment", "comment", "id").(string)
	if !ok {
		t.Fatal(reply.Raw)
	}
	read := env.Post(t, `query($p: ID!) { post(id: $p) { commentsCount comments(first: 5) { nodes { id repliesCount replies(first: 5) { nodes { id post { id } } } } } } }`, map[string]any{"p": id}, bilal)
	if servicetest.At(read.Data, "post", "comments", "nodes", 0, "id") != cid ||
		servicetest.At(read.Data, "post", "comments", "nodes", 0, "replies", "nodes", 0, "id") != rid ||
		servicetest.At(read.Data, "post", "comments", "nodes", 0, "replies", "nodes", 0, "post", "id") != id {
		t.Errorf("the comment and its reply: %s", read.Raw)
	}

	del := env.Post(t, `mutation($c: ID!) { deleteComment(id: $c) { deletedId } }`, map[string]any{"c": cid}, bilal)
	if servicetest.At(del.Data, "deleteComment", "deletedId") != cid {
		t.Fatal(del.Raw)
	}
	if r := env.Post(t, `query($p: ID!) { post(id: $p) { comments(first: 5) { totalCount } } }`, map[string]any{"p": id}, bilal); fmt.Sprint(servicetest.At(r.Data, "post", "comments", "totalCount")) != "0" {
		t.Errorf("after deleting the comment (and so its reply): %s", r.Raw)
	}
	dp := env.Post(t, `mutation($p: ID!) { deletePost(id: $p) { deletedId } }`, map[string]any{"p": id}, bilal)
	if servicetest.At(dp.Data, "deletePost", "deletedId") != id {
		t.Fatal(dp.Raw)
	}
	if r := env.Post(t, `query($u: ID!) { user(id: $u) { posts(first: 1) { nodes { id } } } }`, map[string]any{"u": bilalID}, bilal); servicetest.At(r.Data, "user", "posts", "nodes", 0, "id") == id {
		t.Errorf("the deleted post is still listed: %s", r.Raw)
	}
}

const createPostOnce = `mutation($body: String!) { createPost(input: {body: $body, references: [{chapterId: 2, from: 255, to: 255}]}) { post { id body } } }`

// TestCreatePostWithAnIdempotencyKey: the same createPost sent twice with one
// key, to one server and to two sharing a real Redis, creates one post and
// answers the same bytes; another request with that key is 422, and a
// request refused before any call keeps nothing, so its key can be used again.
func TestCreatePostWithAnIdempotencyKey(t *testing.T) {
	vars := map[string]any{"body": "Sent over a flaky network, once"}
	t.Run("one server", func(t *testing.T) {
		env := servicetest.New(t, servicetest.Options{})
		servicetest.CheckIdempotent(t, []*servicetest.Env{env}, fake.RouteCreatePost, createPostOnce, vars, bilal)
		if n := env.Fake.PostsBy("0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c62"); n == 0 {
			t.Fatal("no post by Bilal")
		}
		const key = "Idempotency-Key: 0f1e2d3c"
		env.Fake.ResetStats()
		first := env.Post(t, createPostOnce, vars, bilal, key)
		other := env.Post(t, createPostOnce, map[string]any{"body": "Another reflection, not a retry"}, bilal, key)
		if other.Status != http.StatusUnprocessableEntity || other.Code("") != errcode.IdempotencyKeyReused {
			t.Errorf("another request with the key: HTTP %d %s, want 422 IDEMPOTENCY_KEY_REUSED", other.Status, other.Raw)
		}
		if n := env.Fake.Stats().Calls[fake.RouteCreatePost]; n != 1 || len(first.Errors) > 0 {
			t.Errorf("%d posts created (%s), want 1", n, first.Raw)
		}
		const fresh = "Idempotency-Key: 9a8b7c6d"
		short := env.Post(t, createPostOnce, map[string]any{"body": "hi"}, bilal, fresh)
		if short.Code("createPost") != errcode.BadUserInput {
			t.Fatalf("short body: %s", short.Raw)
		}
		fixed := env.Post(t, createPostOnce, vars, bilal, fresh)
		if len(fixed.Errors) > 0 || fixed.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("the corrected request with the refused one's key: %s (replayed %q), want it run", fixed.Raw, fixed.Header.Get("Idempotent-Replayed"))
		}
	})
	t.Run("two replicas on one Redis", func(t *testing.T) {
		envs := servicetest.Replicas(t, 2, servicetest.StartRedis(t), servicetest.Options{})
		before := envs[0].Fake.PostsBy("0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c62")
		servicetest.CheckIdempotent(t, envs, fake.RouteCreatePost, createPostOnce, vars, bilal)
		if n := envs[0].Fake.PostsBy("0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c62"); n != before+1 {
			t.Errorf("Bilal has %d posts more, want 1", n-before)
		}
	})
	t.Run("comments and their deletes", func(t *testing.T) {
		env := servicetest.New(t, servicetest.Options{})
		made := servicetest.CheckIdempotent(t, []*servicetest.Env{env}, fake.RouteCreateComment,
			`mutation { createComment(input: {postId: "4001", body: "Ameen"}) { comment { id } } }`, nil, bilal)
		id := servicetest.At(made.Data, "createComment", "comment", "id")
		servicetest.CheckIdempotent(t, []*servicetest.Env{env}, fake.RouteToggleCommentLike,
			`mutation($id: ID!) { toggleCommentLike(id: $id) { liked } }`, map[string]any{"id": id}, bilal)
		servicetest.CheckIdempotent(t, []*servicetest.Env{env}, fake.RouteDeleteComment,
			`mutation($id: ID!) { deleteComment(id: $id) { deletedId } }`, map[string]any{"id": id}, bilal)
	})
}
