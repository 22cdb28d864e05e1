package upstream

import "strings"

// MaxRoomID is the largest room id the service accepts (the largest int64).
const MaxRoomID = "9223372036854775807"

// CanonicalRoomID reports whether s is a room id — a decimal integer from 1 to
// MaxRoomID written with digits only — and returns it without leading zeros.
// It works on the digits alone, so no precision is ever lost.
func CanonicalRoomID(s string) (string, bool) {
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
	if s == "" || len(s) > len(MaxRoomID) || (len(s) == len(MaxRoomID) && s > MaxRoomID) {
		return "", false
	}
	return s, true
}
