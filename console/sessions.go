package console

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// maxSessions bounds the sessions kept: signing in past it ends the one
// unused longest.
const maxSessions = 10000

// session is a signed-in browser: the token it signed in with (by role,
// never the token itself) and when it was last used.
type session struct {
	role string
	seen time.Time
}

// sessions are the console's sessions, by the SHA-256 of their id: the
// id itself lives only in the browser's cookie, so that a memory dump or
// a log of this map opens nothing.
type sessions struct {
	mu   sync.Mutex
	idle time.Duration
	m    map[[sha256.Size]byte]*session
}

func newSessions(idle time.Duration) *sessions {
	return &sessions{idle: idle, m: make(map[[sha256.Size]byte]*session)}
}

// create starts a session for role and returns its id.
func (s *sessions) create(role string) string {
	raw := make([]byte, 32)
	rand.Read(raw) // never fails (crypto/rand)
	id := base64.RawURLEncoding.EncodeToString(raw)
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	s.m[sha256.Sum256([]byte(id))] = &session{role: role, seen: now}
	return id
}

// sweep drops the expired sessions, and the one unused longest when as
// many as maxSessions are left.
func (s *sessions) sweep(now time.Time) {
	var oldest [sha256.Size]byte
	var oldestSeen time.Time
	for k, ss := range s.m {
		if now.Sub(ss.seen) >= s.idle {
			delete(s.m, k)
			continue
		}
		if oldestSeen.IsZero() || ss.seen.Before(oldestSeen) {
			oldest, oldestSeen = k, ss.seen
		}
	}
	if len(s.m) >= maxSessions {
		delete(s.m, oldest)
	}
}

// use returns the role of the session id and marks it used, or "" when
// there is no such session or it was idle too long (it then ends).
func (s *sessions) use(id string) string {
	if id == "" {
		return ""
	}
	key := sha256.Sum256([]byte(id))
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.m[key]
	if ss == nil {
		return ""
	}
	if now.Sub(ss.seen) >= s.idle {
		delete(s.m, key)
		return ""
	}
	ss.seen = now
	return ss.role
}

// end ends the session id.
func (s *sessions) end(id string) {
	key := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}
