package state

import "sync"

// maxInterned bounds the intern table. Past it the table starts afresh:
// values already interned stay shared by the records holding them, and
// values no record uses any more stop being held by the table.
const maxInterned = 1 << 16

// interned is the intern table. It is not unique.Make: while the garbage
// collector marks, unique.Make blocks until marking ends, and the FSM,
// which every write waits for, would stall for a whole GC cycle (tens of
// milliseconds with a large heap).
var interned = struct {
	sync.Mutex
	m map[string]string
}{m: make(map[string]string)}

// intern returns a canonical copy of s. Decoding a command allocates every
// string anew; the values many users share (their organization, provider,
// title, department, city, ...) are kept once, which matters at a million
// users.
func intern(s string) string {
	if s == "" {
		return ""
	}
	interned.Lock()
	defer interned.Unlock()
	if c, ok := interned.m[s]; ok {
		return c
	}
	if len(interned.m) >= maxInterned {
		clear(interned.m)
	}
	interned.m[s] = s
	return s
}

// internUser interns a user's low-cardinality fields, and keeps one copy
// of an email that is also the userName, as identity providers' often are.
func internUser(u *User) {
	for _, p := range []*string{&u.Provider, &u.Organization, &u.State, &u.Title, &u.Division, &u.Department,
		&u.EmployeeType, &u.City, &u.Region, &u.Country} {
		*p = intern(*p)
	}
	if u.Email == u.UserName {
		u.Email = u.UserName
	}
	// Into a new array: u's may be shared with a stored record (an update
	// starts from a copy of it) that readers are reading.
	if len(u.Roles) > 0 {
		roles := make([]string, len(u.Roles))
		for i, r := range u.Roles {
			roles[i] = intern(r)
		}
		u.Roles = roles
	}
}
