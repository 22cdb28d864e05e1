package model

import (
	"encoding/base64"
	"strings"
)

// GlobalID is the nodeId of the object of GraphQL type typ whose upstream id
// is id: base64url, unpadded, of "typ:id". Opaque to clients, stable, and
// unique across types (room 1 and tag 1 differ).
func GlobalID(typ, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + id))
}

// ParseGlobalID reads a nodeId back into its type and upstream id; ok is
// false when it is not one GlobalID could have written.
func ParseGlobalID(s string) (typ, id string, ok bool) {
	if len(s) > 256 {
		return "", "", false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return "", "", false
	}
	typ, id, ok = strings.Cut(string(b), ":")
	return typ, id, ok && typ != "" && id != ""
}

// NodeID is the person's nodeId.
func (p *Person) NodeID() string { return GlobalID("User", p.Seen.ID) }
