package model

import "github.com/quranfoundation/reflect-graphql/upstream"

// Verse is one verse as the graph serves it: which verse, and the range it was
// asked for with (a post's reference, a run of verses(keys:)), which a read of
// its text from the Content API fetches whole, in one call for them all.
type Verse struct {
	At upstream.VerseKey
	// Range is the verses read together with this one, at most a page of the
	// Content API's; it holds At.
	From, To upstream.VerseKey
}

// Key is the verse's key, such as "2:255".
func (v *Verse) Key() string { return v.At.String() }

// ChapterID is the verse's chapter.
func (v *Verse) ChapterID() int { return v.At.Chapter }

// VerseNumber is the verse's number in its chapter.
func (v *Verse) VerseNumber() int { return v.At.Verse }

// VerseIndex is the verse's place in the whole Quran.
func (v *Verse) VerseIndex() int { return v.At.Index() }
