package upstream_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// writtenPost is a minimal post as a write's answer holds it.
const writtenPost = `{"id": 1234567890123456789, "authorId": "` + uuidA + `", "body": "On patience and gratitude",
 "createdAt": "2025-06-15T12:00:00Z", "roomPostStatus": 1, "draft": false}`

func vis(v upstream.Visibility) *upstream.Visibility { return &v }

// TestCreatePostSendsItsBody pins the body, the room id as a number of every
// digit, and the roomPostStatus CreatePostDto's numbering gives each
// visibility: 0 as the room, 1 public, 2 members only.
func TestCreatePostSendsItsBody(t *testing.T) {
	refs := []upstream.VerseRange{{ChapterID: 2, From: 255, To: 255}, {ChapterID: 1, From: 1, To: 7}}
	tests := []struct {
		name string
		p    upstream.NewPost
		body string
	}{
		{"a reflection alone", upstream.NewPost{Body: "On patience", References: refs},
			`{"post":{"body":"On patience","draft":false,"references":[{"chapterId":2,"from":255,"to":255},{"chapterId":1,"from":1,"to":7}],"mentions":[]}}`},
		{"no references, a draft", upstream.NewPost{Body: "Notes to self", Draft: true},
			`{"post":{"body":"Notes to self","draft":true,"references":[],"mentions":[]}}`},
		{"as the room", upstream.NewPost{Body: "x", RoomID: "09007199254740993", Visibility: vis(upstream.VisibilityAsRoom)},
			`{"post":{"body":"x","draft":false,"references":[],"mentions":[],"roomPostStatus":0,"roomId":9007199254740993}}`},
		{"public", upstream.NewPost{Body: "x", RoomID: "42", Visibility: vis(upstream.VisibilityPublic)},
			`{"post":{"body":"x","draft":false,"references":[],"mentions":[],"roomPostStatus":1,"roomId":42}}`},
		{"members only", upstream.NewPost{Body: "x", RoomID: "42", Visibility: vis(upstream.VisibilityMembersOnly)},
			`{"post":{"body":"x","draft":false,"references":[],"mentions":[],"roomPostStatus":2,"roomId":42}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, http.StatusCreated, `{"post": `+writtenPost+`, "success": true}`)
			p, err := c.CreatePost(context.Background(), tt.p, "tok")
			if err != nil {
				t.Fatal(err)
			}
			got := s.only(t)
			wantRequest(t, got, "POST", "/quran-reflect/v1/posts", "")
			if got.Body != tt.body || got.Header.Get("Content-Type") != "application/json" {
				t.Errorf("body %s (%q)\nwant %s", got.Body, got.Header.Get("Content-Type"), tt.body)
			}
			if p.ID != "1234567890123456789" || *p.Body != "On patience and gratitude" {
				t.Errorf("post = %+v", p)
			}
		})
	}
}

// TestWritesSendVisibilityWithCreatePostDtosNumbers pins the sending side of
// roomPostStatus for both writes, against the reading side.
func TestWritesSendVisibilityWithCreatePostDtosNumbers(t *testing.T) {
	for v, want := range map[upstream.Visibility]string{upstream.VisibilityAsRoom: "0", upstream.VisibilityPublic: "1", upstream.VisibilityMembersOnly: "2"} {
		c, s := serve(t, 200, `{"post": `+writtenPost+`, "success": true}`)
		if _, err := c.UpdatePost(context.Background(), "1234567890123456789", upstream.PostEdit{Visibility: vis(v)}, "tok"); err != nil {
			t.Fatal(err)
		}
		if got := s.only(t).Body; got != `{"roomPostStatus":`+want+`}` {
			t.Errorf("%s sent %s, want roomPostStatus %s", v, got, want)
		}
		// The same number read back is another visibility (but public).
		n := int(want[0] - '0')
		read := (&upstream.Post{RoomPostStatus: &n}).Visibility()
		if (v == upstream.VisibilityPublic) != (*read == v) {
			t.Errorf("%s is sent as %d, which reads as %s", v, n, *read)
		}
	}
}

// TestCreatePostReadsBothAnswers: production's {post, success}, pre-live's
// {data, success}, with 201 or 200.
func TestCreatePostReadsBothAnswers(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		ok     bool
	}{
		{"production", 201, `{"post": ` + writtenPost + `, "success": true}`, true},
		{"pre-live", 201, `{"data": ` + writtenPost + `, "success": true}`, true},
		{"pre-live, 200", 200, `{"data": ` + writtenPost + `, "success": true}`, true},
		{"no success", 201, `{"post": ` + writtenPost + `}`, true},
		{"post null, data", 201, `{"post": null, "data": ` + writtenPost + `}`, true},
		{"neither", 201, `{"success": true}`, false},
		{"success false", 201, `{"post": ` + writtenPost + `, "success": false}`, false},
		{"a post without an id", 201, `{"post": {"body": "x", "createdAt": "2025-06-15T12:00:00Z"}, "success": true}`, false},
		{"html", 201, `<html>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := serve(t, tt.status, tt.body)
			p, err := c.CreatePost(context.Background(), upstream.NewPost{Body: "On patience"}, "tok")
			if tt.ok {
				if err != nil || p.ID != "1234567890123456789" || p.Visibility() == nil || *p.Visibility() != upstream.VisibilityPublic {
					t.Errorf("post, err = %+v, %v", p, err)
				}
				return
			}
			var ue *upstream.Error
			if !errors.Is(err, upstream.ErrMalformed) || !errors.As(err, &ue) || ue.Endpoint != "create post" {
				t.Errorf("err = %v, want a malformed answer of create post", err)
			}
		})
	}
}

// TestUpdatePostSendsOnlyWhatIsSet: a bare UpdatePostDto, not wrapped in
// "post", with only the fields the edit sets; nil references are left, empty
// ones are cleared.
func TestUpdatePostSendsOnlyWhatIsSet(t *testing.T) {
	body, draft, empty := "A longer reflection", false, ""
	tests := []struct {
		name string
		e    upstream.PostEdit
		want string
	}{
		{"the body", upstream.PostEdit{Body: &body}, `{"body":"A longer reflection"}`},
		{"an empty body is sent", upstream.PostEdit{Body: &empty}, `{"body":""}`},
		{"the references", upstream.PostEdit{References: []upstream.VerseRange{{ChapterID: 3, From: 1, To: 2}}},
			`{"references":[{"chapterId":3,"from":1,"to":2}]}`},
		{"no references left", upstream.PostEdit{References: []upstream.VerseRange{}}, `{"references":[]}`},
		{"published", upstream.PostEdit{Draft: &draft}, `{"draft":false}`},
		{"everything", upstream.PostEdit{Body: &body, References: []upstream.VerseRange{}, Visibility: vis(upstream.VisibilityMembersOnly), Draft: &draft},
			`{"body":"A longer reflection","draft":false,"references":[],"roomPostStatus":2}`},
		{"nothing", upstream.PostEdit{}, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, 200, `{"post": `+writtenPost+`, "success": true}`)
			if _, err := c.UpdatePost(context.Background(), "01234567890123456789", tt.e, "tok"); err != nil {
				t.Fatal(err)
			}
			got := s.only(t)
			wantRequest(t, got, "PATCH", "/quran-reflect/v1/posts/1234567890123456789", "")
			if got.Body != tt.want {
				t.Errorf("body %s, want %s", got.Body, tt.want)
			}
		})
	}
	t.Run("pre-live's answer", func(t *testing.T) {
		c, _ := serve(t, 200, `{"data": `+writtenPost+`, "success": true}`)
		if p, err := c.UpdatePost(context.Background(), "1234567890123456789", upstream.PostEdit{Body: &body}, "tok"); err != nil || p.ID != "1234567890123456789" {
			t.Errorf("post, err = %+v, %v", p, err)
		}
	})
	t.Run("an answer about another post", func(t *testing.T) {
		c, _ := serve(t, 200, `{"post": `+writtenPost+`, "success": true}`)
		if _, err := c.UpdatePost(context.Background(), "42", upstream.PostEdit{Body: &body}, "tok"); !errors.Is(err, upstream.ErrMalformed) {
			t.Errorf("err = %v, want ErrMalformed", err)
		}
	})
}

// TestPostWritesSendTheirRequests: each write's method and path, no body but
// the report's, and the answer each reads: a toggle's new state.
func TestPostWritesSendTheirRequests(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, method, path, answer, body string
		call                             func(c *upstream.Client) (bool, error)
		want                             bool
	}{
		{"delete", "DELETE", "/quran-reflect/v1/posts/42", `{"success": true}`, "",
			func(c *upstream.Client) (bool, error) { return true, c.DeletePost(ctx, "042", "tok") }, true},
		{"liked", "GET", "/quran-reflect/v1/posts/42/liked", `{"liked": true}`, "",
			func(c *upstream.Client) (bool, error) { return c.PostLiked(ctx, "42", "tok") }, true},
		{"not liked", "GET", "/quran-reflect/v1/posts/42/liked", `{"liked": false}`, "",
			func(c *upstream.Client) (bool, error) { return c.PostLiked(ctx, "42", "tok") }, false},
		{"like: now liked", "POST", "/quran-reflect/v1/posts/42/toggle-like", `{"liked": true}`, "",
			func(c *upstream.Client) (bool, error) { return c.TogglePostLike(ctx, "42", "tok") }, true},
		{"like: now not", "POST", "/quran-reflect/v1/posts/42/toggle-like", `{"liked": false}`, "",
			func(c *upstream.Client) (bool, error) { return c.TogglePostLike(ctx, "42", "tok") }, false},
		{"save: now saved", "POST", "/quran-reflect/v1/posts/42/toggle-save", `{"saved": true}`, "",
			func(c *upstream.Client) (bool, error) { return c.TogglePostSave(ctx, "42", "tok") }, true},
		{"save: now not", "POST", "/quran-reflect/v1/posts/42/toggle-save", `{"saved": false, "liked": true}`, "",
			func(c *upstream.Client) (bool, error) { return c.TogglePostSave(ctx, "42", "tok") }, false},
		{"report", "POST", "/quran-reflect/v1/posts/42/report", `{"reported": true}`, `{"report":{"abuse":"spam","comments":"links \"here\""}}`,
			func(c *upstream.Client) (bool, error) { return c.ReportPost(ctx, "42", "spam", `links "here"`, "tok") }, true},
		{"view", "POST", "/quran-reflect/v1/posts/viewed/42", `{"success": true}`, "",
			func(c *upstream.Client) (bool, error) { return true, c.RecordPostView(ctx, "42", "tok") }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, 200, tt.answer)
			got, err := tt.call(c)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("answer = %v, want %v", got, tt.want)
			}
			r := s.only(t)
			wantRequest(t, r, tt.method, tt.path, "")
			if r.Body != tt.body {
				t.Errorf("body %q, want %q", r.Body, tt.body)
			}
		})
	}
}

// TestRecordPostViewByGET: pre-live serves the view as a GET, which
// Config.ViewsByGET sends; the service's own token may send it.
func TestRecordPostViewByGET(t *testing.T) {
	var got captured
	c := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = captured{Method: r.Method, Path: r.URL.EscapedPath(), Header: r.Header.Clone()}
		io.WriteString(w, `{"success": true}`)
	}, func(c *upstream.Config) { c.ViewsByGET = true })
	if err := c.RecordPostView(context.Background(), "42", ""); err != nil {
		t.Fatal(err)
	}
	if got.Method != "GET" || got.Path != "/quran-reflect/v1/posts/viewed/42" || got.Header.Get("x-auth-token") != "service-token" {
		t.Errorf("sent %s %s with %q, want GET /quran-reflect/v1/posts/viewed/42 with the service's token",
			got.Method, got.Path, got.Header.Get("x-auth-token"))
	}
	if upstream.EndpointRecordView.Method != "POST" {
		t.Error("ViewsByGET changed the endpoint every client shares")
	}
}

// TestPostWritesReadTheirAnswers: a toggle's state is required; a success
// false is an error; a missing success is the status's word.
func TestPostWritesReadTheirAnswers(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, answer string
		call         func(c *upstream.Client) error
		ok           bool
	}{
		{"a like without liked", `{"saved": true}`, func(c *upstream.Client) error { _, err := c.TogglePostLike(ctx, "42", "tok"); return err }, false},
		{"liked null", `{"liked": null}`, func(c *upstream.Client) error { _, err := c.TogglePostLike(ctx, "42", "tok"); return err }, false},
		{"liked a string", `{"liked": "yes"}`, func(c *upstream.Client) error { _, err := c.PostLiked(ctx, "42", "tok"); return err }, false},
		{"a save without saved", `{}`, func(c *upstream.Client) error { _, err := c.TogglePostSave(ctx, "42", "tok"); return err }, false},
		{"a report without reported", `{"success": true}`, func(c *upstream.Client) error { _, err := c.ReportPost(ctx, "42", "spam", "", "tok"); return err }, false},
		{"a delete, success false", `{"success": false}`, func(c *upstream.Client) error { return c.DeletePost(ctx, "42", "tok") }, false},
		{"a delete, no success", `{}`, func(c *upstream.Client) error { return c.DeletePost(ctx, "42", "tok") }, true},
		{"a view, success false", `{"success": false}`, func(c *upstream.Client) error { return c.RecordPostView(ctx, "42", "tok") }, false},
		{"a view, html", `<html>`, func(c *upstream.Client) error { return c.RecordPostView(ctx, "42", "tok") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := serve(t, 200, tt.answer)
			err := tt.call(c)
			if tt.ok != (err == nil) || (!tt.ok && !errors.Is(err, upstream.ErrMalformed)) {
				t.Errorf("err = %v, want ok=%v (else ErrMalformed)", err, tt.ok)
			}
		})
	}
}

func TestPostWritesRefuseBadArguments(t *testing.T) {
	ctx := context.Background()
	calls := map[string]func(c *upstream.Client) error{
		"create in room ..": func(c *upstream.Client) error {
			_, err := c.CreatePost(ctx, upstream.NewPost{Body: "On patience", RoomID: ".."}, "tok")
			return err
		},
		"create, an unknown visibility": func(c *upstream.Client) error {
			_, err := c.CreatePost(ctx, upstream.NewPost{Body: "On patience", RoomID: "4", Visibility: vis("public")}, "tok")
			return err
		},
		"update 0": func(c *upstream.Client) error {
			_, err := c.UpdatePost(ctx, "0", upstream.PostEdit{}, "tok")
			return err
		},
		"update, an unknown visibility": func(c *upstream.Client) error {
			_, err := c.UpdatePost(ctx, "42", upstream.PostEdit{Visibility: vis("")}, "tok")
			return err
		},
		"delete x":   func(c *upstream.Client) error { return c.DeletePost(ctx, "x", "tok") },
		"liked 1.5":  func(c *upstream.Client) error { _, err := c.PostLiked(ctx, "1.5", "tok"); return err },
		"like ..":    func(c *upstream.Client) error { _, err := c.TogglePostLike(ctx, "..", "tok"); return err },
		"save -3":    func(c *upstream.Client) error { _, err := c.TogglePostSave(ctx, "-3", "tok"); return err },
		"report 4/2": func(c *upstream.Client) error { _, err := c.ReportPost(ctx, "4/2", "spam", "", "tok"); return err },
		"view empty": func(c *upstream.Client) error { return c.RecordPostView(ctx, "", "tok") },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			c, s := serve(t, 200, `{}`)
			if err := call(c); !errors.Is(err, upstream.ErrInvalidArgument) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
			if n := len(s.all()); n != 0 {
				t.Errorf("upstream calls = %d, want none", n)
			}
		})
	}
}

// TestAPostRefusalCarriesItsMessage: a 400 is the upstream's *StatusError,
// named by the write, with the endpoint's message for a person, never the
// upstream's words.
func TestAPostRefusalCarriesItsMessage(t *testing.T) {
	c, _ := serve(t, 400, `{"message":"body must be longer than or equal to 6 characters","type":"invalid_request","success":false}`)
	_, err := c.CreatePost(context.Background(), upstream.NewPost{Body: "short"}, "tok")
	var se *upstream.StatusError
	var ue *upstream.Error
	if !errors.As(err, &se) || se.Status != 400 || !errors.As(err, &ue) || ue.Endpoint != "create post" || ue.Resource != "post" {
		t.Fatalf("err = %v, want a 400 of create post", err)
	}
	if ue.Refusal != upstream.EndpointCreatePost.Refusal || !strings.Contains(ue.Refusal, "at least 6 characters") ||
		strings.Contains(ue.Refusal, "longer than") {
		t.Errorf("refusal = %q", ue.Refusal)
	}
}
