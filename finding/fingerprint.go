package finding

import (
	"crypto/sha256"
	"encoding/hex"
)

// Fingerprint is stable across runs: it never includes line numbers.
func Fingerprint(ruleID, resource, discriminator string) string {
	h := sha256.Sum256([]byte(ruleID + "\x00" + resource + "\x00" + discriminator))
	return hex.EncodeToString(h[:16])
}
