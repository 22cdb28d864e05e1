package model

import (
	"context"
	"sync"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// Node is any object with a global id: a *upstream.Room, *Person,
// *upstream.Post, *upstream.Comment or *upstream.Tag. It names no method, so
// that the upstream's types need none; the schema's implementors are what
// gqlgen marshals a Node as.
type Node any

// UserSummary is the GraphQL interface of a person's summary fields; *Person
// is its only implementation.
type UserSummary interface{ isUserSummary() }

// Person is a person wherever an answer shows them (a profile, a room's
// member, a follower, a mutual follower, an author, the viewer): the GraphQL
// User. It holds what the answer that showed them carried; a field that answer
// left out reads their profile through Profile, which the resolver sets to the
// operation's loader (one call per person per operation, however many fields
// and places ask).
type Person struct {
	// Seen is the person as the answer carried them; Seen.Absent are the
	// fields it left out.
	Seen upstream.User
	// Load reads the person's profile. Nil when Full is set.
	Load func(context.Context) (*upstream.Profile, error)

	mu   sync.Mutex
	full *upstream.Profile
	// Anonymous hides followed: a caller without a user token follows
	// nobody, whatever the answer said (a member list says false, a profile
	// null).
	Anonymous bool
	// Me is the signed-in viewer's own user id, read when needed (once per
	// operation): the upstream says followed false of the viewer themself in
	// members and profiles, and leaves it out (null) in lists of users, so
	// followed is null for the viewer everywhere.
	Me func(context.Context) (string, error)
}

func (*Person) isUserSummary() {}

// FromProfile is the person a profile shows: nothing left to load.
func FromProfile(p *upstream.Profile, anonymous bool, me func(context.Context) (string, error)) *Person {
	return &Person{Seen: p.User, full: p, Anonymous: anonymous, Me: me}
}

// FullProfile is the person's profile, read once (none read when the person
// came as one).
func (p *Person) FullProfile(ctx context.Context) (*upstream.Profile, error) {
	p.mu.Lock()
	full := p.full
	p.mu.Unlock()
	if full != nil {
		return full, nil
	}
	full, err := p.Load(ctx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.full = full
	p.mu.Unlock()
	return full, nil
}

// user is what to read field f from: the profile once read, else what the
// answer carried when it carried f, else the profile, read now.
func (p *Person) user(ctx context.Context, f upstream.Fields) (*upstream.User, error) {
	p.mu.Lock()
	full := p.full
	p.mu.Unlock()
	if full != nil {
		return &full.User, nil
	}
	if !p.Seen.Absent.Has(f) {
		return &p.Seen, nil
	}
	full, err := p.FullProfile(ctx)
	if err != nil {
		return nil, err
	}
	return &full.User, nil
}

// field reads f through user and get.
func field[T any](ctx context.Context, p *Person, f upstream.Fields, get func(*upstream.User) T) (T, error) {
	u, err := p.user(ctx, f)
	if err != nil {
		var zero T
		return zero, err
	}
	return get(u), nil
}

// The fields of a User: each from what the answer carried, or the profile.

func (p *Person) ID() string { return p.Seen.ID }

func (p *Person) AvatarURLs(ctx context.Context) (upstream.AvatarURLs, error) {
	return field(ctx, p, upstream.FieldAvatarURLs, func(u *upstream.User) upstream.AvatarURLs { return u.AvatarURLs })
}

func (p *Person) CreatedAt(ctx context.Context) (time.Time, error) {
	return field(ctx, p, upstream.FieldCreatedAt, func(u *upstream.User) time.Time { return u.CreatedAt })
}

func (p *Person) JoiningYear(ctx context.Context) (int, error) {
	return field(ctx, p, upstream.FieldJoiningYear, func(u *upstream.User) int { return u.JoiningYear })
}

func (p *Person) Settings(ctx context.Context) (*upstream.UserSettings, error) {
	return field(ctx, p, upstream.FieldSettings, func(u *upstream.User) *upstream.UserSettings { return u.Settings })
}

func (p *Person) Username(ctx context.Context) (*string, error) {
	return field(ctx, p, upstream.FieldUsername, func(u *upstream.User) *string { return u.Username })
}

func (p *Person) FirstName(ctx context.Context) (*string, error) {
	return field(ctx, p, upstream.FieldFirstName, func(u *upstream.User) *string { return u.FirstName })
}

func (p *Person) LastName(ctx context.Context) (*string, error) {
	return field(ctx, p, upstream.FieldLastName, func(u *upstream.User) *string { return u.LastName })
}

func (p *Person) Bio(ctx context.Context) (*string, error) {
	return field(ctx, p, upstream.FieldBio, func(u *upstream.User) *string { return u.Bio })
}

func (p *Person) Country(ctx context.Context) (*string, error) {
	return field(ctx, p, upstream.FieldCountry, func(u *upstream.User) *string { return u.Country })
}

func (p *Person) Followed(ctx context.Context) (*bool, error) {
	if p.Anonymous {
		return nil, nil
	}
	f, err := field(ctx, p, upstream.FieldFollowed, func(u *upstream.User) *bool { return u.Followed })
	if err != nil || f == nil || *f || p.Me == nil {
		return f, err
	}
	// Nobody follows themself: false may be the viewer, whom lists leave
	// out. A viewer profile that cannot be read leaves false as it is.
	if me, err := p.Me(ctx); err == nil && me == p.Seen.ID {
		return nil, nil
	}
	return f, nil
}

func (p *Person) LanguageID(ctx context.Context) (*int, error) {
	return field(ctx, p, upstream.FieldLanguageID, func(u *upstream.User) *int { return u.LanguageID })
}

func (p *Person) Verified(ctx context.Context) (bool, error) {
	return field(ctx, p, upstream.FieldVerified, func(u *upstream.User) bool { return u.Verified })
}

func (p *Person) PostAs(ctx context.Context) (bool, error) {
	return field(ctx, p, upstream.FieldPostAs, func(u *upstream.User) bool { return u.PostAs })
}

func (p *Person) IsAdmin(ctx context.Context) (bool, error) {
	return field(ctx, p, upstream.FieldIsAdmin, func(u *upstream.User) bool { return u.IsAdmin })
}

func (p *Person) PostsCount(ctx context.Context) (int, error) {
	return field(ctx, p, upstream.FieldPostsCount, func(u *upstream.User) int { return u.PostsCount })
}

func (p *Person) FollowersCount(ctx context.Context) (int, error) {
	return field(ctx, p, upstream.FieldFollowersCount, func(u *upstream.User) int { return u.FollowersCount })
}

func (p *Person) LikesCount(ctx context.Context) (int, error) {
	return field(ctx, p, upstream.FieldLikesCount, func(u *upstream.User) int { return u.LikesCount })
}

func (p *Person) LanguageIsoCode(ctx context.Context) (string, error) {
	return field(ctx, p, upstream.FieldLanguageIsoCode, func(u *upstream.User) string { return u.LanguageIsoCode })
}

// MutualFollowersCount only a profile has.
func (p *Person) MutualFollowersCount(ctx context.Context) (*int, error) {
	full, err := p.FullProfile(ctx)
	if err != nil {
		return nil, err
	}
	return full.MutualFollowersCount, nil
}

// Profile is the person themself (the deprecated User.profile).
func (p *Person) Profile() *Person { return p }
