package upstream_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// writtenComment is a comment as a write's answer holds it.
const writtenComment = `{"id": 1234567890123456789, "postId": 42, "authorId": "` + uuidA + `", "parentId": null,
 "isPrivate": false, "body": "Ameen", "createdAt": "2025-06-15T12:00:00Z", "updatedAt": "2025-06-15T12:00:00Z"}`

func TestCreateCommentSendsItsBody(t *testing.T) {
	tests := []struct {
		name string
		n    upstream.NewComment
		body string
	}{
		{"on a post", upstream.NewComment{PostID: "0042", Body: "Ameen"},
			`{"comment":{"body":"Ameen","postId":42,"isPrivate":false}}`},
		{"a private reply", upstream.NewComment{PostID: "1234567890123456789", Body: "Ameen", ParentID: "0007", IsPrivate: true},
			`{"comment":{"body":"Ameen","postId":1234567890123456789,"isPrivate":true,"parentId":7}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, http.StatusCreated, `{"comment": `+writtenComment+`, "success": true}`)
			cm, err := c.CreateComment(context.Background(), tt.n, "tok")
			if err != nil {
				t.Fatal(err)
			}
			got := s.only(t)
			wantRequest(t, got, "POST", "/quran-reflect/v1/comments", "")
			if got.Body != tt.body || got.Header.Get("Content-Type") != "application/json" {
				t.Errorf("body %s, want %s", got.Body, tt.body)
			}
			if cm.ID != "1234567890123456789" || cm.PostID != "42" || cm.Body != "Ameen" || cm.ParentID != nil {
				t.Errorf("comment = %+v", cm)
			}
		})
	}
	t.Run("an answer without the comment", func(t *testing.T) {
		c, _ := serve(t, http.StatusCreated, `{"success": true}`)
		if _, err := c.CreateComment(context.Background(), upstream.NewComment{PostID: "42", Body: "Ameen"}, "tok"); !errors.Is(err, upstream.ErrMalformed) {
			t.Errorf("err = %v, want ErrMalformed", err)
		}
	})
	t.Run("a comment naming no post is on the one asked for", func(t *testing.T) {
		c, _ := serve(t, http.StatusCreated, `{"comment": {"id": 9, "createdAt": "2025-06-15T12:00:00Z"}, "success": true}`)
		cm, err := c.CreateComment(context.Background(), upstream.NewComment{PostID: "42", Body: "Ameen"}, "tok")
		if err != nil || cm.PostID != "42" {
			t.Errorf("comment, err = %+v, %v", cm, err)
		}
	})
}

// TestEditCommentReadsData: the edit's answer holds the comment under "data"
// (and "comment" is read too).
func TestEditCommentReadsData(t *testing.T) {
	for name, answer := range map[string]string{
		"data":    `{"data": ` + writtenComment + `, "success": true}`,
		"comment": `{"comment": ` + writtenComment + `, "success": true}`,
	} {
		t.Run(name, func(t *testing.T) {
			c, s := serve(t, 200, answer)
			cm, err := c.EditComment(context.Background(), "01234567890123456789", `Ameen, "ya Rabb"`, "tok")
			if err != nil {
				t.Fatal(err)
			}
			got := s.only(t)
			wantRequest(t, got, "PATCH", "/quran-reflect/v1/comments/1234567890123456789", "")
			if want := `{"comment":{"body":"Ameen, \"ya Rabb\""}}`; got.Body != want {
				t.Errorf("body %s, want %s", got.Body, want)
			}
			if cm.ID != "1234567890123456789" || cm.PostID != "42" {
				t.Errorf("comment = %+v", cm)
			}
		})
	}
	for name, answer := range map[string]string{
		"another comment": `{"data": ` + writtenComment + `, "success": true}`,
		"success false":   `{"data": {"id": 8, "createdAt": "2025-06-15T12:00:00Z"}, "success": false}`,
		"neither":         `{"success": true}`,
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := serve(t, 200, answer)
			if _, err := c.EditComment(context.Background(), "8", "Ameen", "tok"); !errors.Is(err, upstream.ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

// TestDeleteCommentIsAGetThatIsAWrite: it sends a GET, reads {removed}, and
// after a 502 (which may come after it ran) it is not tried again, as a read
// would be; after a 503 (certainly not run) it is.
func TestDeleteCommentIsAGetThatIsAWrite(t *testing.T) {
	t.Run("sent", func(t *testing.T) {
		c, s := serve(t, 200, `{"removed": true}`)
		if err := c.DeleteComment(context.Background(), "007", "tok"); err != nil {
			t.Fatal(err)
		}
		wantRequest(t, s.only(t), "GET", "/quran-reflect/v1/comments/7/delete", "")
	})
	for _, tt := range []struct {
		status, calls int
	}{{502, 1}, {504, 1}, {503, 2}} {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			s := &script{step: func(n int, w http.ResponseWriter, r *http.Request) {
				if r.Method != "GET" {
					t.Errorf("method %s, want GET", r.Method)
				}
				if n == 1 {
					w.WriteHeader(tt.status)
					return
				}
				io.WriteString(w, `{"removed": true}`)
			}}
			c, _ := scriptedClient(t, s)
			err := c.DeleteComment(context.Background(), "7", "user")
			if got := int(s.calls.Load()); got != tt.calls {
				t.Errorf("calls = %d, want %d", got, tt.calls)
			}
			var se *upstream.StatusError
			if tt.calls == 1 && (!errors.As(err, &se) || se.Status != tt.status) {
				t.Errorf("err = %v, want the %d", err, tt.status)
			}
			if tt.calls == 2 && err != nil {
				t.Errorf("err = %v, want the retry to succeed", err)
			}
		})
	}
	for name, answer := range map[string]string{"removed false": `{"removed": false}`, "no removed": `{"success": true}`} {
		t.Run(name, func(t *testing.T) {
			c, _ := serve(t, 200, answer)
			if err := c.DeleteComment(context.Background(), "7", "tok"); !errors.Is(err, upstream.ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
	t.Run("not allowed is a 400 with its refusal", func(t *testing.T) {
		c, _ := serve(t, 400, `{"message":"User not authorized to delete this comment","type":"invalid_request"}`)
		err := c.DeleteComment(context.Background(), "7", "tok")
		var ue *upstream.Error
		var se *upstream.StatusError
		if !errors.As(err, &se) || se.Status != 400 || !errors.As(err, &ue) || ue.Refusal != upstream.EndpointDeleteComment.Refusal || ue.Refusal == "" {
			t.Errorf("err = %v, want a 400 with the endpoint's refusal", err)
		}
	})
}

func TestToggleCommentLikeReturnsTheNewState(t *testing.T) {
	for _, liked := range []bool{true, false} {
		answer := `{"liked": false}`
		if liked {
			answer = `{"liked": true}`
		}
		c, s := serve(t, 200, answer)
		got, err := c.ToggleCommentLike(context.Background(), "7", "tok")
		if err != nil || got != liked {
			t.Errorf("answer %s: %v, %v; want %v", answer, got, err, liked)
		}
		r := s.only(t)
		wantRequest(t, r, "POST", "/quran-reflect/v1/comments/7/toggle-like", "")
		if r.Body != "" {
			t.Errorf("body %q, want none", r.Body)
		}
	}
	c, _ := serve(t, 200, `{"removed": true}`)
	if _, err := c.ToggleCommentLike(context.Background(), "7", "tok"); !errors.Is(err, upstream.ErrMalformed) {
		t.Errorf("an answer without liked: err = %v, want ErrMalformed", err)
	}
}

func TestCommentWritesRefuseBadIDs(t *testing.T) {
	ctx := context.Background()
	calls := map[string]func(c *upstream.Client) error{
		"create on post ..": func(c *upstream.Client) error {
			_, err := c.CreateComment(ctx, upstream.NewComment{PostID: "..", Body: "x"}, "tok")
			return err
		},
		"create, a reply to x": func(c *upstream.Client) error {
			_, err := c.CreateComment(ctx, upstream.NewComment{PostID: "42", Body: "x", ParentID: "x"}, "tok")
			return err
		},
		"edit 0":   func(c *upstream.Client) error { _, err := c.EditComment(ctx, "0", "x", "tok"); return err },
		"delete ?": func(c *upstream.Client) error { return c.DeleteComment(ctx, "7?x=1", "tok") },
		"like -1":  func(c *upstream.Client) error { _, err := c.ToggleCommentLike(ctx, "-1", "tok"); return err },
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
