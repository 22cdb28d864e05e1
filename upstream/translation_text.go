// Translation text as the service serves it: plain, with footnote markers and
// markup removed once, when it arrives.

package upstream

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanTranslation is a translation's text as plain text: footnote markers
// (<sup foot_note=...>n</sup>) are removed with their number, any other markup
// is dropped with its text kept (a line or paragraph break becomes a space),
// HTML entities (&amp; &quot; &#39; ...) are decoded, runs of white space are
// collapsed to one space, and the ends are trimmed. A space that a removed
// footnote leaves before punctuation goes too.
func CleanTranslation(s string) string {
	if !strings.ContainsAny(s, "<&") && !needsSpacing(s) {
		return s // the common case of plain text: no copy
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] != '<' {
			next := strings.IndexByte(s[i:], '<')
			if next < 0 {
				next = len(s) - i
			}
			b.WriteString(s[i : i+next])
			i += next
			continue
		}
		end, name, closing, ok := tagAt(s, i)
		if !ok { // a '<' that starts no tag is text
			b.WriteByte('<')
			i++
			continue
		}
		tag := s[i:end]
		i = end
		switch {
		case !closing && name == "sup" && strings.Contains(strings.ToLower(tag), "foot_note"):
			// The marker and its number go together. A marker never closed
			// loses only its number, not the text after it.
			if close := indexFold(s[i:], "</sup"); close >= 0 {
				if e := strings.IndexByte(s[i+close:], '>'); e >= 0 {
					i += close + e + 1
				} else {
					i = len(s)
				}
			} else {
				for i < len(s) && '0' <= s[i] && s[i] <= '9' {
					i++
				}
			}
			if i < len(s) && strings.IndexByte(".,;:!?)", s[i]) >= 0 {
				trimmed := strings.TrimRightFunc(b.String(), unicode.IsSpace)
				b.Reset()
				b.WriteString(trimmed)
			}
		case name == "br" || name == "p" || name == "div" || name == "li":
			b.WriteByte(' ')
		}
	}
	return collapseSpaces(html.UnescapeString(b.String()))
}

// tagAt reads the tag that starts at s[i] ('<'): where it ends (after its
// '>'), its name in lower case, and whether it is a closing tag. A '<' not
// followed by a letter, '/' and a letter, or '!' (a comment) starts no tag,
// nor does one never closed by '>'.
func tagAt(s string, i int) (end int, name string, closing, ok bool) {
	j := i + 1
	if j < len(s) && s[j] == '/' {
		closing = true
		j++
	}
	start := j
	for j < len(s) && (isASCIILetter(s[j]) || (j > start && s[j] >= '0' && s[j] <= '9')) {
		j++
	}
	if j == start && !(j < len(s) && s[j] == '!' && !closing) {
		return 0, "", false, false
	}
	name = strings.ToLower(s[start:j])
	var quote byte
	for ; j < len(s); j++ {
		switch c := s[j]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return j + 1, name, closing, true
		}
	}
	return 0, "", false, false
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// indexFold is strings.Index of an ASCII sub, ignoring case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// needsSpacing reports whether s has white space to collapse or trim.
func needsSpacing(s string) bool {
	prevSpace := true // a space at the start is to trim
	for _, r := range s {
		space := unicode.IsSpace(r)
		if space && (prevSpace || r != ' ') {
			return true
		}
		prevSpace = space
	}
	return prevSpace && s != ""
}

// collapseSpaces turns each run of white space (no-break spaces and line
// breaks included) into one space, and trims the ends.
func collapseSpaces(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		s = s[n:]
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
