package upstream_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// fullPost is a PostSerialized with every field the client reads, odd entries
// among its tags and references, and fields it ignores.
const fullPost = `{"id": 1234567890123456789, "authorId": "` + uuidA + `", "roomId": 9007199254740993,
 "body": "On patience", "createdAt": "2025-06-15T12:00:00.000Z", "updatedAt": "2025-06-16T12:00:00+02:00",
 "publishedAt": "2025-06-15T12:30:00Z", "commentsCount": 3, "postTypeId": 1,
 "author": {"id": "` + uuidA + `", "username": "aisha", "firstName": "Aisha", "lastName": "Rahman", "verified": true,
   "avatarUrls": {"small": "s", "medium": "m", "large": "l"}, "memberType": 2, "postsCount": 4},
 "tags": [{"id": 7, "name": "patience", "language": "en"}, {"name": "no id"}, {"id": "12"}],
 "references": [{"id": "r1", "chapterId": 2, "from": 255, "to": 257}, {"id": "r2", "chapterId": 1, "from": 1},
   {"id": "r3"}, {"id": "r4", "chapterId": 115, "from": 1, "to": 1}, {"id": "r5", "chapterId": 36, "from": 0, "to": 83},
   {"id": "r6", "chapterId": 0, "from": 0}],
 "room": {"id": 9007199254740993, "name": "Big Id Room", "subdomain": "bigid", "roomType": "PAGE", "isAdmin": {}, "_group": "x"},
 "recentComment": {"id": 1, "author": {}, "body": "b", "createdAt": "2025-06-15T12:00:00Z"},
 "isLiked": true, "isSaved": false, "likesCount": 10, "viewsCount": 20, "roomPostStatus": 2,
 "readsCount": 5, "pushedUpAt": "2025-06-15T12:00:00Z", "mentions": []}`

func TestPostDecodesEveryField(t *testing.T) {
	c, s := serve(t, 200, fullPost)
	p, err := c.Post(context.Background(), "01234567890123456789", "tok")
	if err != nil {
		t.Fatal(err)
	}
	wantRequest(t, s.only(t), "GET", "/quran-reflect/v1/posts/1234567890123456789", "")
	if p.ID != "1234567890123456789" || p.RoomID != "9007199254740993" || p.AuthorID != uuidA {
		t.Errorf("ids = %q, %q, %q (digits lost?)", p.ID, p.RoomID, p.AuthorID)
	}
	if p.Body == nil || *p.Body != "On patience" || p.CommentsCount != 3 || p.PostTypeID != 1 {
		t.Errorf("post = %+v", p)
	}
	if g, w := p.UpdatedAt, time.Date(2025, 6, 16, 10, 0, 0, 0, time.UTC); !g.Equal(w) || g.Location() != time.UTC {
		t.Errorf("UpdatedAt = %v, want %v in UTC", g, w)
	}
	if !p.CreatedAt.Equal(time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)) || p.PublishedAt == nil ||
		!p.PublishedAt.Equal(time.Date(2025, 6, 15, 12, 30, 0, 0, time.UTC)) {
		t.Errorf("CreatedAt, PublishedAt = %v, %v", p.CreatedAt, p.PublishedAt)
	}
	a := p.Author
	if a == nil || a.ID != uuidA || *a.Username != "aisha" || *a.FirstName != "Aisha" || *a.LastName != "Rahman" ||
		!a.Verified || *a.AvatarURLs.Large != "l" {
		t.Errorf("Author = %+v", a)
	}
	var tags []string
	for _, tag := range p.Tags {
		lang := "-"
		if tag.Language != nil {
			lang = *tag.Language
		}
		tags = append(tags, tag.ID+" "+tag.Name+" "+lang)
	}
	if got, want := strings.Join(tags, ", "), "7 patience en, 12  -"; got != want {
		t.Errorf("Tags = %s, want %s (the one without an id left out)", got, want)
	}
	if got, want := fmt.Sprint(p.References), "[{2 255 257} {1 1 1} {36 0 0}]"; got != want {
		t.Errorf("References = %s, want %s (incomplete and impossible ones left out, a whole chapter from 0 to 0)", got, want)
	}
	r := p.Room
	if r == nil || r.ID != "9007199254740993" || *r.Name != "Big Id Room" || *r.Subdomain != "bigid" ||
		r.RoomType == nil || *r.RoomType != upstream.RoomTypePage {
		t.Errorf("Room = %+v", r)
	}
	if *p.IsLiked != true || *p.IsSaved != false || *p.LikesCount != 10 || *p.ViewsCount != 20 || *p.RoomPostStatus != 2 {
		t.Errorf("viewer fields = %v %v %v %v %v", *p.IsLiked, *p.IsSaved, *p.LikesCount, *p.ViewsCount, *p.RoomPostStatus)
	}
}

// TestPostWithoutOptionals: only an id and a date are needed; what is missing
// is nil or zero, and the dates stand in for each other.
func TestPostWithoutOptionals(t *testing.T) {
	tests := []struct {
		name, body       string
		authorID, roomID string
		created, updated string
		author           bool // an Author is served
	}{
		{"id and createdAt", `{"id": "42", "createdAt": "2025-01-01 10:00:00"}`, "", "", "2025-01-01T10:00:00Z", "2025-01-01T10:00:00Z", false},
		{"updatedAt only", `{"id": 42, "updatedAt": "2025-01-02T00:00:00Z", "roomId": null}`, "", "", "2025-01-02T00:00:00Z", "2025-01-02T00:00:00Z", false},
		{"room 0, author object only", `{"id": 42, "createdAt": "2025-01-01T00:00:00Z", "roomId": 0, "author": {"id": "` + uuidB + `"}}`,
			uuidB, "", "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z", true},
		{"room id from the room", `{"id": 42, "authorId": "` + uuidA + `", "createdAt": "2025-01-01T00:00:00Z", "room": {"id": "77"}}`,
			uuidA, "77", "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z", false},
		{"odd values", `{"id": 42, "createdAt": "2025-01-01T00:00:00Z", "publishedAt": "soon", "roomPostStatus": 7,
		  "roomId": "abc", "author": {"username": "no id"}, "room": {"name": "no id"}, "tags": [], "references": null}`,
			"", "", "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := serve(t, 200, tt.body)
			p, err := c.Post(context.Background(), "42", "tok")
			if err != nil {
				t.Fatal(err)
			}
			if p.ID != "42" || p.AuthorID != tt.authorID || p.RoomID != tt.roomID {
				t.Errorf("id, author, room = %q, %q, %q; want 42, %q, %q", p.ID, p.AuthorID, p.RoomID, tt.authorID, tt.roomID)
			}
			if g, w := p.CreatedAt.Format(time.RFC3339)+" "+p.UpdatedAt.Format(time.RFC3339), tt.created+" "+tt.updated; g != w {
				t.Errorf("dates = %s, want %s", g, w)
			}
			if p.Body != nil || p.PublishedAt != nil || p.RoomPostStatus != nil || p.IsLiked != nil || p.LikesCount != nil ||
				p.ViewsCount != nil || p.IsSaved != nil || p.CommentsCount != 0 || p.PostTypeID != 0 || len(p.Tags) != 0 || len(p.References) != 0 {
				t.Errorf("post = %+v, want nil and zero", p)
			}
			if (p.Author != nil) != tt.author {
				t.Errorf("Author = %+v", p.Author)
			}
		})
	}
}

func TestPostThatCannotBeShownIsMalformed(t *testing.T) {
	for name, body := range map[string]string{
		"no id":       `{"authorId": "u", "createdAt": "2025-01-01T00:00:00Z"}`,
		"id 0":        `{"id": 0, "createdAt": "2025-01-01T00:00:00Z"}`,
		"float id":    `{"id": 4.2e1, "createdAt": "2025-01-01T00:00:00Z"}`,
		"no date":     `{"id": 42}`,
		"bad dates":   `{"id": 42, "createdAt": "monday", "updatedAt": "tuesday"}`,
		"wrong types": `{"id": 42, "createdAt": "2025-01-01T00:00:00Z", "commentsCount": "three"}`,
		"html":        `<html>`,
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := serve(t, 200, body)
			if _, err := c.Post(context.Background(), "42", "tok"); !errors.Is(err, upstream.ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestPostsRefuseBadIDs(t *testing.T) {
	ctx := context.Background()
	for _, id := range []string{"", "0", "..", ".", "1.5", "-3", "1e3", "9223372036854775808", "42/comments"} {
		t.Run(id, func(t *testing.T) {
			c, s := serve(t, 200, fullPost)
			if _, err := c.Post(ctx, id, "tok"); !errors.Is(err, upstream.ErrInvalidArgument) {
				t.Errorf("Post: err = %v, want ErrInvalidArgument", err)
			}
			if _, err := c.PostComments(ctx, upstream.CommentsQuery{PostID: id, ListQuery: upstream.ListQuery{Page: 1, Limit: 1}}, "tok"); !errors.Is(err, upstream.ErrInvalidArgument) {
				t.Errorf("PostComments: err = %v, want ErrInvalidArgument", err)
			}
			if n := len(s.all()); n != 0 {
				t.Errorf("upstream calls = %d, want none", n)
			}
		})
	}
	t.Run("a tab on user posts", func(t *testing.T) {
		c, s := serve(t, 200, emptyList)
		_, err := c.UserPosts(ctx, upstream.UserPostsQuery{UserID: uuidA, PostsQuery: upstream.PostsQuery{Tab: upstream.RoomPostTabSaved, Page: 1, Limit: 1}}, "tok")
		if !errors.Is(err, upstream.ErrInvalidArgument) || len(s.all()) != 0 {
			t.Errorf("err = %v after %d calls, want ErrInvalidArgument and none", err, len(s.all()))
		}
	})
}

func TestPostListsSendTheirQueries(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		call        func(c *upstream.Client) error
		path, query string
	}{
		{"user posts", func(c *upstream.Client) error {
			_, err := c.UserPosts(ctx, upstream.UserPostsQuery{UserID: strings.ToUpper(uuidA), PostsQuery: upstream.PostsQuery{Page: 1, Limit: 20}}, "tok")
			return err
		}, "/quran-reflect/v1/posts/user-posts/" + uuidA, "limit=20&page=1"},
		{"user posts, popular", func(c *upstream.Client) error {
			_, err := c.UserPosts(ctx, upstream.UserPostsQuery{UserID: uuidA, PostsQuery: upstream.PostsQuery{SortBy: upstream.PostSortPopular, Page: 2, Limit: 5}}, "tok")
			return err
		}, "/quran-reflect/v1/posts/user-posts/" + uuidA, "limit=5&page=2&sortBy=popular"},
		{"comments", func(c *upstream.Client) error {
			_, err := c.PostComments(ctx, upstream.CommentsQuery{PostID: "1234567890123456789", ListQuery: upstream.ListQuery{Page: 2, Limit: 20}}, "tok")
			return err
		}, "/quran-reflect/v1/posts/1234567890123456789/comments", "limit=20&page=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, 200, emptyList)
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			wantRequest(t, s.only(t), "GET", tt.path, tt.query)
		})
	}
}

func TestUserPostsDecodePosts(t *testing.T) {
	body := `{"total": 2, "currentPage": 1, "limit": 20, "pages": 1, "data": [` + fullPost + `, {"body": "no id"}]}`
	c, _ := serve(t, 200, body)
	p, err := c.UserPosts(context.Background(), upstream.UserPostsQuery{UserID: uuidA, PostsQuery: upstream.PostsQuery{Page: 1, Limit: 20}}, "tok")
	if err != nil {
		t.Fatal(err)
	}
	if p.Items[0].ID != "1234567890123456789" || p.Errs[0] != nil || !errors.Is(p.Errs[1], upstream.ErrMalformed) {
		t.Errorf("items = %+v, errs = %v", p.Items, p.Errs)
	}
}

// TestCommentsDecode: the items sit under "comments"; ids keep every digit; a
// comment without an id fails alone.
func TestCommentsDecode(t *testing.T) {
	body := `{"total": 3, "currentPage": 1, "limit": 20, "pages": 1, "data": [], "comments": [
	 {"id": 1234567890123456789, "postId": 42, "authorId": "` + uuidA + `", "parentId": null, "isPrivate": true,
	  "body": "Beautiful", "createdAt": "2025-06-15T12:00:00Z", "updatedAt": "2025-06-15T13:00:00Z", "isEdited": true,
	  "repliesCount": 2, "likesCount": 1, "author": {"id": "` + uuidA + `", "username": "aisha", "avatarUrls": {"small": "s"}}},
	 {"id": "8", "parentId": 5, "createdAt": "2025-06-15 12:00:00"},
	 {"postId": 42, "body": "no id", "createdAt": "2025-06-15T12:00:00Z"}]}`
	c, _ := serve(t, 200, body)
	p, err := c.PostComments(context.Background(), upstream.CommentsQuery{PostID: "42", ListQuery: upstream.ListQuery{Page: 1, Limit: 20}}, "tok")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 3 {
		t.Fatalf("items = %d, want 3", len(p.Items))
	}
	full, bare := p.Items[0], p.Items[1]
	if full.ID != "1234567890123456789" || full.PostID != "42" || full.AuthorID != uuidA || full.ParentID != nil ||
		!full.IsPrivate || full.Body != "Beautiful" || full.RepliesCount == nil || *full.RepliesCount != 2 ||
		full.Author == nil || *full.Author.Username != "aisha" || !full.UpdatedAt.Equal(time.Date(2025, 6, 15, 13, 0, 0, 0, time.UTC)) {
		t.Errorf("full comment = %+v", full)
	}
	if full.LikesCount == nil || *full.LikesCount != 1 || full.IsEdited == nil || !*full.IsEdited || bare.LikesCount != nil || bare.IsEdited != nil {
		t.Errorf("likesCount, isEdited = %v, %v and %v, %v", full.LikesCount, full.IsEdited, bare.LikesCount, bare.IsEdited)
	}
	if bare.ID != "8" || bare.PostID != "42" || bare.ParentID == nil || *bare.ParentID != "5" || bare.IsPrivate ||
		bare.Body != "" || bare.Author != nil || bare.RepliesCount != nil || !bare.UpdatedAt.Equal(bare.CreatedAt) {
		t.Errorf("bare comment = %+v", bare)
	}
	var ue *upstream.Error
	if p.Errs[0] != nil || p.Errs[1] != nil || !errors.As(p.Errs[2], &ue) || ue.Endpoint != "comments" || ue.Key != "42" {
		t.Errorf("errs = %v, want only the last, for comments 42", p.Errs)
	}
}

func TestPostNotFound(t *testing.T) {
	c, _ := serve(t, 404, `{"message":"Post not found","type":"not_found","success":false}`)
	_, err := c.Post(context.Background(), "42", "tok")
	var ue *upstream.Error
	if !errors.Is(err, upstream.ErrNotFound) || !errors.As(err, &ue) || ue.Endpoint != "post" || ue.Key != "42" {
		t.Fatalf("err = %v, want post 42 not found", err)
	}
}

// TestPostDecodesTheLoopsFields: the fields the reflection loop reads, the
// room's slug under either name, and odd values that cost only themselves.
func TestPostDecodesTheLoopsFields(t *testing.T) {
	tests := []struct {
		name, fields          string
		reading, language     string // "-" for nil
		byFollowed, commented string
		draft, roomURL        string
		visibility            string
	}{
		{"every field", `"estimatedReadingTime": 4, "languageId": 2, "isByFollowedUser": true, "isCommentedOn": false,
		  "draft": false, "roomPostStatus": 0, "room": {"id": 9, "_group": "tafsir"}`, "4", "2", "true", "false", "false", "tafsir", "MEMBERS_ONLY"},
		{"url over _group", `"room": {"id": 9, "url": "read", "_group": "documented"}, "roomPostStatus": 1`, "-", "-", "-", "-", "-", "read", "PUBLIC"},
		{"url alone", `"room": {"id": 9, "url": "read"}, "roomPostStatus": 2, "draft": true`, "-", "-", "-", "-", "true", "read", "AS_ROOM"},
		{"a fractional reading time", `"estimatedReadingTime": 2.6, "languageId": null`, "3", "-", "-", "-", "-", "-", "-"},
		{"odd values", `"estimatedReadingTime": "long", "languageId": {"id": 2}, "roomPostStatus": 3, "room": {"id": 9, "_group": ""}`,
			"-", "-", "-", "-", "-", "", "-"},
	}
	str := func(p any) string {
		switch v := p.(type) {
		case *int:
			if v != nil {
				return fmt.Sprint(*v)
			}
		case *bool:
			if v != nil {
				return fmt.Sprint(*v)
			}
		case *string:
			if v != nil {
				return *v
			}
		case *upstream.Visibility:
			if v != nil {
				return string(*v)
			}
		}
		return "-"
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := serve(t, 200, `{"id": 42, "createdAt": "2025-01-01T00:00:00Z", `+tt.fields+`}`)
			p, err := c.Post(context.Background(), "42", "tok")
			if err != nil {
				t.Fatal(err)
			}
			var roomURL *string
			if p.Room != nil {
				roomURL = p.Room.URL
			}
			got := []string{str(p.EstimatedReadingTime), str(p.LanguageID), str(p.IsByFollowedUser), str(p.IsCommentedOn),
				str(p.Draft), str(roomURL), str(p.Visibility())}
			want := []string{tt.reading, tt.language, tt.byFollowed, tt.commented, tt.draft, tt.roomURL, tt.visibility}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("readingTime, language, byFollowed, commentedOn, draft, room url, visibility = %q, want %q", got, want)
			}
		})
	}
}

// TestVisibilityIsReadWithPostSerializedsNumbers pins the reading side of
// roomPostStatus: 0 members only, 1 public, 2 as the room (the writing side,
// which numbers them the other way, is pinned in postwrites_test.go).
func TestVisibilityIsReadWithPostSerializedsNumbers(t *testing.T) {
	for n, want := range map[int]upstream.Visibility{0: upstream.VisibilityMembersOnly, 1: upstream.VisibilityPublic, 2: upstream.VisibilityAsRoom} {
		p := upstream.Post{RoomPostStatus: &n}
		if got := p.Visibility(); got == nil || *got != want {
			t.Errorf("roomPostStatus %d reads as %v, want %s", n, got, want)
		}
	}
	for _, n := range []int{-1, 3} {
		if got := (&upstream.Post{RoomPostStatus: &n}).Visibility(); got != nil {
			t.Errorf("roomPostStatus %d reads as %s, want nil", n, *got)
		}
	}
	if got := (&upstream.Post{}).Visibility(); got != nil {
		t.Errorf("no roomPostStatus reads as %s, want nil", *got)
	}
}

func TestTheLoopsPostListsSendTheirQueries(t *testing.T) {
	ctx := context.Background()
	page := func(p, l int) upstream.ListQuery { return upstream.ListQuery{Page: p, Limit: l} }
	tests := []struct {
		name        string
		call        func(c *upstream.Client) error
		path, query string
	}{
		{"related", func(c *upstream.Client) error {
			_, err := c.RelatedPosts(ctx, upstream.PostListQuery{PostID: "0042", ListQuery: page(1, 8)}, "tok")
			return err
		}, "/quran-reflect/v1/posts/42/related", "limit=8&page=1"},
		{"re-reflections", func(c *upstream.Client) error {
			_, err := c.ReReflections(ctx, upstream.PostListQuery{PostID: "1234567890123456789", ListQuery: page(2, 20)}, "tok")
			return err
		}, "/quran-reflect/v1/posts/1234567890123456789/re-reflections", "limit=20&page=2"},
		{"my posts", func(c *upstream.Client) error {
			_, err := c.MyPosts(ctx, upstream.MyPostsQuery{ListQuery: page(1, 20)}, "tok")
			return err
		}, "/quran-reflect/v1/posts/my-posts", "limit=20&page=1"},
		{"my saved posts, popular", func(c *upstream.Client) error {
			_, err := c.MyPosts(ctx, upstream.MyPostsQuery{Tab: upstream.MyPostsSaved, SortBy: upstream.PostSortPopular, ListQuery: page(3, 5)}, "tok")
			return err
		}, "/quran-reflect/v1/posts/my-posts", "limit=5&page=3&sortBy=popular&tab=saved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s := serve(t, 200, emptyList)
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			wantRequest(t, s.only(t), "GET", tt.path, tt.query)
		})
	}
	for _, tab := range []upstream.MyPostsTab{upstream.MyPostsReflections, upstream.MyPostsNotes, upstream.MyPostsMentions} {
		c, s := serve(t, 200, emptyList)
		if _, err := c.MyPosts(ctx, upstream.MyPostsQuery{Tab: tab, ListQuery: page(1, 1)}, "tok"); err != nil {
			t.Fatal(err)
		}
		if got := s.only(t).Query; got != "limit=1&page=1&tab="+string(tab) {
			t.Errorf("tab %s sent ?%s", tab, got)
		}
	}
}

func TestTheLoopsPostListsRefuse(t *testing.T) {
	ctx := context.Background()
	page := func(p, l int) upstream.ListQuery { return upstream.ListQuery{Page: p, Limit: l} }
	calls := map[string]func(c *upstream.Client) error{
		"related, a bad id": func(c *upstream.Client) error {
			_, err := c.RelatedPosts(ctx, upstream.PostListQuery{PostID: "..", ListQuery: page(1, 8)}, "tok")
			return err
		},
		"related, 9 a page": func(c *upstream.Client) error {
			_, err := c.RelatedPosts(ctx, upstream.PostListQuery{PostID: "42", ListQuery: page(1, 9)}, "tok")
			return err
		},
		"re-reflections, 21 a page": func(c *upstream.Client) error {
			_, err := c.ReReflections(ctx, upstream.PostListQuery{PostID: "42", ListQuery: page(1, 21)}, "tok")
			return err
		},
		"re-reflections, page 0": func(c *upstream.Client) error {
			_, err := c.ReReflections(ctx, upstream.PostListQuery{PostID: "42", ListQuery: page(0, 1)}, "tok")
			return err
		},
		"my posts, an unknown tab": func(c *upstream.Client) error {
			_, err := c.MyPosts(ctx, upstream.MyPostsQuery{Tab: "drafts", ListQuery: page(1, 1)}, "tok")
			return err
		},
		"my posts, an unknown order": func(c *upstream.Client) error {
			_, err := c.MyPosts(ctx, upstream.MyPostsQuery{SortBy: "oldest", ListQuery: page(1, 1)}, "tok")
			return err
		},
		"my posts, 21 a page": func(c *upstream.Client) error {
			_, err := c.MyPosts(ctx, upstream.MyPostsQuery{ListQuery: page(1, 21)}, "tok")
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			c, s := serve(t, 200, emptyList)
			if err := call(c); !errors.Is(err, upstream.ErrInvalidArgument) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
			if n := len(s.all()); n != 0 {
				t.Errorf("upstream calls = %d, want none", n)
			}
		})
	}
}

func TestTheLoopsPostListsDecodePosts(t *testing.T) {
	ctx := context.Background()
	body := `{"total": 2, "currentPage": 1, "limit": 8, "pages": 1, "data": [` + fullPost + `, {"body": "no id"}]}`
	lists := map[string]func(c *upstream.Client) (*upstream.Page[upstream.Post], error){
		"related posts": func(c *upstream.Client) (*upstream.Page[upstream.Post], error) {
			return c.RelatedPosts(ctx, upstream.PostListQuery{PostID: "42", ListQuery: upstream.ListQuery{Page: 1, Limit: 8}}, "tok")
		},
		"re-reflections": func(c *upstream.Client) (*upstream.Page[upstream.Post], error) {
			return c.ReReflections(ctx, upstream.PostListQuery{PostID: "42", ListQuery: upstream.ListQuery{Page: 1, Limit: 8}}, "tok")
		},
		"my posts": func(c *upstream.Client) (*upstream.Page[upstream.Post], error) {
			return c.MyPosts(ctx, upstream.MyPostsQuery{ListQuery: upstream.ListQuery{Page: 1, Limit: 8}}, "tok")
		},
	}
	for name, list := range lists {
		t.Run(name, func(t *testing.T) {
			c, _ := serve(t, 200, body)
			p, err := list(c)
			if err != nil {
				t.Fatal(err)
			}
			var ue *upstream.Error
			if p.Total != 2 || p.Items[0].ID != "1234567890123456789" || p.Errs[0] != nil ||
				!errors.As(p.Errs[1], &ue) || ue.Endpoint != name || !errors.Is(ue, upstream.ErrMalformed) {
				t.Errorf("page = %+v, errs = %v", p, p.Errs)
			}
		})
	}
}
