// Package password hashes and verifies user passwords. New hashes are
// argon2id in the PHC string format; bcrypt hashes (from migrated tenants)
// verify too. Comparisons are constant-time.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Params are the argon2id cost parameters.
type Params struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
	KeyLen  uint32
}

// Default follows the RFC 9106 second recommendation, scaled down in
// memory for a server that hashes imported passwords in bulk.
var Default = Params{Time: 2, Memory: 19 * 1024, Threads: 1, KeyLen: 32}

// ErrUnknownFormat is returned for a hash that is neither argon2id nor bcrypt.
var ErrUnknownFormat = errors.New("unknown password hash format")

// Hasher hashes passwords with fixed parameters.
type Hasher struct{ P Params }

// Hash returns the argon2id PHC string of pw.
func (h Hasher) Hash(pw string) (string, error) {
	p := h.P
	if p.Time == 0 {
		p = Default
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// Verify reports whether pw matches the stored hash.
func Verify(hash, pw string) (bool, error) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		return verifyArgon2id(hash, pw)
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, nil
		}
		return err == nil, err
	default:
		return false, ErrUnknownFormat
	}
}

// IsHash reports whether s looks like a hash this package can verify.
func IsHash(s string) bool {
	return strings.HasPrefix(s, "$argon2id$") || strings.HasPrefix(s, "$2a$") ||
		strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}

func verifyArgon2id(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 {
		return false, ErrUnknownFormat
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil {
		return false, ErrUnknownFormat
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, ErrUnknownFormat
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, ErrUnknownFormat
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil {
		return false, ErrUnknownFormat
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
