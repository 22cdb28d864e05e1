package upstream

import (
	"fmt"
	"strconv"
	"strings"
)

// The shape of the Quran, which never changes: 114 chapters and how many verses
// each has. Keys are checked against it before any call, and a verse's
// cumulative index (the Content API's verse_index, which Quran Reflect's
// count-by-verse takes) follows from it.

// Chapters is the number of chapters (surahs) of the Quran.
const Chapters = 114

// Verses is the number of verses (ayahs) of the Quran.
const Verses = 6236

// versesIn is each chapter's number of verses, chapter 1 first.
var versesIn = [Chapters]int{
	7, 286, 200, 176, 120, 165, 206, 75, 129, 109, 123, 111, 43, 52, 99, 128, 111, 110, 98, 135,
	112, 78, 118, 64, 77, 227, 93, 88, 69, 60, 34, 30, 73, 54, 45, 83, 182, 88, 75, 85,
	54, 53, 89, 59, 37, 35, 38, 29, 18, 45, 60, 49, 62, 55, 78, 96, 29, 22, 24, 13,
	14, 11, 11, 18, 12, 12, 30, 52, 52, 44, 28, 28, 20, 56, 40, 31, 50, 40, 46, 42,
	29, 19, 36, 25, 22, 17, 19, 26, 30, 20, 15, 21, 11, 8, 8, 19, 5, 8, 8, 11,
	11, 8, 3, 9, 5, 4, 7, 3, 6, 3, 5, 4, 5, 6,
}

// versesBefore is, for each chapter, how many verses come before its first.
var versesBefore = func() (b [Chapters + 1]int) {
	for i, n := range versesIn {
		b[i+1] = b[i] + n
	}
	return b
}()

// ChapterVerses is how many verses chapter has; 0 for a number that is not a
// chapter (1 to 114).
func ChapterVerses(chapter int) int {
	if chapter < 1 || chapter > Chapters {
		return 0
	}
	return versesIn[chapter-1]
}

// VerseKey names one verse: its chapter and its number in the chapter, as the
// Content API writes it ("2:255").
type VerseKey struct{ Chapter, Verse int }

// Valid reports whether k is a verse of the Quran.
func (k VerseKey) Valid() bool { return k.Verse >= 1 && k.Verse <= ChapterVerses(k.Chapter) }

// String is k as "2:255".
func (k VerseKey) String() string { return strconv.Itoa(k.Chapter) + ":" + strconv.Itoa(k.Verse) }

// Index is k's place in the whole Quran, 1 to 6236 (2:255 is 262); 0 for a
// key that is not Valid.
func (k VerseKey) Index() int {
	if !k.Valid() {
		return 0
	}
	return versesBefore[k.Chapter-1] + k.Verse
}

// VerseAt is the verse at index (1 to 6236) of the whole Quran.
func VerseAt(index int) (VerseKey, bool) {
	if index < 1 || index > Verses {
		return VerseKey{}, false
	}
	lo, hi := 0, Chapters // the chapter whose verses include index: versesBefore[c-1] < index <= versesBefore[c]
	for lo < hi {
		mid := (lo + hi) / 2
		if versesBefore[mid+1] < index {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return VerseKey{Chapter: lo + 1, Verse: index - versesBefore[lo]}, true
}

// ParseVerseKey reads "chapter:verse" (such as "2:255"): two decimal numbers
// without signs or spaces, naming a verse that exists. Its errors say which
// part is wrong, for a person.
func ParseVerseKey(s string) (VerseKey, error) {
	ch, v, ok := strings.Cut(s, ":")
	c, cerr := digits(ch, 4)
	n, verr := digits(v, 4)
	switch {
	case !ok || cerr != nil || verr != nil:
		return VerseKey{}, fmt.Errorf("%q is not a verse key such as \"2:255\" (chapter:verse)", clip(s))
	case c < 1 || c > Chapters:
		return VerseKey{}, fmt.Errorf("verse key %q: chapter %d is not a chapter of the Quran (1 to %d)", clip(s), c, Chapters)
	case n < 1 || n > versesIn[c-1]:
		return VerseKey{}, fmt.Errorf("verse key %q: chapter %d has verses 1 to %d", clip(s), c, versesIn[c-1])
	}
	return VerseKey{Chapter: c, Verse: n}, nil
}

// digits reads 1 to most decimal digits: no sign, no space, nothing that
// could overflow.
func digits(s string, most int) (int, error) {
	if s == "" || len(s) > most {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.Atoi(s)
}

// clip is a caller's text cut short for a message.
func clip(s string) string {
	if r := []rune(s); len(r) > 20 {
		return string(r[:20]) + "…"
	}
	return s
}
