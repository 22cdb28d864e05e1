package upstream

import "strings"

// MaxNumericID is the largest numeric id (of a room, a post or a comment) the
// service accepts: the largest int64.
const MaxNumericID = "9223372036854775807"

// CanonicalRoomID reports whether s is a room id — a decimal integer from 1 to
// MaxNumericID written with digits only — and returns it without leading zeros.
// It works on the digits alone, so no precision is ever lost.
func CanonicalRoomID(s string) (string, bool) {
	return canonicalID(s)
}

// CanonicalPostID is CanonicalRoomID for post ids, which the upstream numbers
// the same way (and which reach 19 digits as well).
func CanonicalPostID(s string) (string, bool) {
	return canonicalID(s)
}

// CanonicalCommentID is CanonicalRoomID for comment ids, which are decimal
// digits too.
func CanonicalCommentID(s string) (string, bool) {
	return canonicalID(s)
}

func canonicalID(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	s = strings.TrimLeft(s, "0")
	if s == "" || len(s) > len(MaxNumericID) || (len(s) == len(MaxNumericID) && s > MaxNumericID) {
		return "", false
	}
	return s, true
}

// CanonicalUUID reports whether s is a user id — a UUID written as 8-4-4-4-12
// hexadecimal digits — and returns it in lower case.
func CanonicalUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "", false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return "", false
		}
	}
	return strings.ToLower(s), true
}

// maxSlug is the longest group url, page subdomain or username ValidSlug accepts.
const maxSlug = 64

// ValidSlug reports whether s can be a group url, a page subdomain or a
// username: 1 to 64 of A-Z, a-z, 0-9, '.', '_' and '-', and not "." or "..",
// which a server or proxy could read as a path step.
func ValidSlug(s string) bool {
	if s == "" || len(s) > maxSlug || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
