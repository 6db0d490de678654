package state

import "unique"

// intern returns a canonical copy of s. Decoding a command allocates every
// string anew; the values many users share (their organization, provider,
// title, department, city, ...) are kept once, which matters at a million
// users.
func intern(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}

// internUser interns a user's low-cardinality fields.
func internUser(u *User) {
	for _, p := range []*string{&u.Provider, &u.Organization, &u.State, &u.Title, &u.Division, &u.Department,
		&u.EmployeeType, &u.City, &u.Region, &u.Country} {
		*p = intern(*p)
	}
	for i, r := range u.Roles {
		u.Roles[i] = intern(r)
	}
}

// internEvent interns a sync log event's repeated fields.
func internEvent(e *SyncEvent) {
	for _, p := range []*string{&e.Source, &e.Action, &e.Outcome, &e.Provider, &e.Revision} {
		*p = intern(*p)
	}
	for i := range e.Changes {
		e.Changes[i].Field = intern(e.Changes[i].Field)
	}
}
