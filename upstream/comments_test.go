package upstream_test

import (
	"context"
	"errors"
	"testing"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// TestRepliesDecode: a comment's replies sit under "replies", beside the
// parent comment; each names its post; one without an id fails alone.
func TestRepliesDecode(t *testing.T) {
	body := `{"total": 12, "currentPage": 2, "limit": 5, "pages": 3,
	 "comment": {"id": 5, "postId": 42, "createdAt": "2025-06-15T12:00:00Z"},
	 "replies": [{"id": 1234567890123456789, "postId": 42, "parentId": 5, "authorId": "` + uuidA + `", "body": "Ameen",
	   "createdAt": "2025-06-15T12:00:00Z", "likesCount": 3},
	  {"parentId": 5, "body": "no id", "createdAt": "2025-06-15T12:00:00Z"}]}`
	c, s := serve(t, 200, body)
	p, err := c.CommentReplies(context.Background(), upstream.RepliesQuery{CommentID: "005", ListQuery: upstream.ListQuery{Page: 2, Limit: 5}}, "tok")
	if err != nil {
		t.Fatal(err)
	}
	wantRequest(t, s.only(t), "GET", "/quran-reflect/v1/comments/5/replies", "limit=5&page=2")
	if p.Total != 12 || p.CurrentPage != 2 || p.Pages != 3 || len(p.Items) != 2 {
		t.Fatalf("page = %+v", p)
	}
	r := p.Items[0]
	if r.ID != "1234567890123456789" || r.PostID != "42" || r.ParentID == nil || *r.ParentID != "5" || r.Body != "Ameen" ||
		r.LikesCount == nil || *r.LikesCount != 3 {
		t.Errorf("reply = %+v", r)
	}
	var ue *upstream.Error
	if p.Errs[0] != nil || !errors.As(p.Errs[1], &ue) || ue.Endpoint != "replies" || ue.Key != "5" || !errors.Is(ue, upstream.ErrMalformed) {
		t.Errorf("errs = %v, want only the second, of replies 5", p.Errs)
	}
}

func TestRepliesNeedTheirKey(t *testing.T) {
	c, _ := serve(t, 200, `{"total": 0, "currentPage": 1, "limit": 5, "pages": 0, "data": [], "comments": []}`)
	_, err := c.CommentReplies(context.Background(), upstream.RepliesQuery{CommentID: "5", ListQuery: upstream.ListQuery{Page: 1, Limit: 5}}, "tok")
	if !errors.Is(err, upstream.ErrMalformed) {
		t.Errorf("a list without replies: err = %v, want ErrMalformed", err)
	}
}

func TestRepliesRefuse(t *testing.T) {
	for name, q := range map[string]upstream.RepliesQuery{
		"a bad id":   {CommentID: "5/delete", ListQuery: upstream.ListQuery{Page: 1, Limit: 5}},
		"id 0":       {CommentID: "0", ListQuery: upstream.ListQuery{Page: 1, Limit: 5}},
		"21 a page":  {CommentID: "5", ListQuery: upstream.ListQuery{Page: 1, Limit: 21}},
		"page 0":     {CommentID: "5", ListQuery: upstream.ListQuery{Page: 0, Limit: 5}},
		"limit zero": {CommentID: "5", ListQuery: upstream.ListQuery{Page: 1}},
	} {
		t.Run(name, func(t *testing.T) {
			c, s := serve(t, 200, emptyList)
			if _, err := c.CommentReplies(context.Background(), q, "tok"); !errors.Is(err, upstream.ErrInvalidArgument) || len(s.all()) != 0 {
				t.Errorf("err = %v after %d calls, want ErrInvalidArgument and none", err, len(s.all()))
			}
		})
	}
}
