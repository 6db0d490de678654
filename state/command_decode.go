package state

import (
	"bytes"
	"encoding/json"
	"time"
)

// decodeCommand decodes a logged command into cmd as json.Unmarshal does.
// A user write as encodeCommand writes it, the command of every SCIM
// write to a user, which each follower decodes, is read field by field
// without reflection; any other command, and a user write holding
// anything this reader does not take (whitespace, escaped keys, a
// surrogate escaped in a string, null where encodeCommand writes none, a
// key it does not know or twice, invalid UTF-8), goes through
// json.Unmarshal, which then decides. What
// it takes decodes to what json.Unmarshal gives (TestDecodeCommand,
// FuzzDecodeCommand).
func decodeCommand(data []byte, cmd *Command) error {
	if c, ok := readUserWrite(data); ok {
		*cmd = c
		return nil
	}
	return json.Unmarshal(data, cmd)
}

// readUserWrite reads a user write as encodeCommand writes it, and
// reports whether it could.
func readUserWrite(data []byte) (Command, bool) {
	var c Command
	if !bytes.HasPrefix(data, []byte(`{"type":"`+CmdUserWrite+`"`)) {
		return c, false
	}
	d := commandReader{b: data}
	return c, d.command(&c) && d.i == len(d.b)
}

var (
	commandKeys   = []string{"type", "time", "nameRule", "userWrite"}
	userWriteKeys = []string{"provider", "providerIndex", "user", "expectIndex", "active", "leaveGroups", "event"}
	userKeys      = []string{"id", "provider", "userName", "externalId", "organization", "state",
		"givenName", "familyName", "email", "title", "division", "department", "employeeType", "city", "region", "country",
		"roles", "deprovisioned", "adminBlocked", "legalHold", "deactivateAt", "deactivationPaused", "deactivatedAt",
		"purgeAt", "due", "heldNotedAt", "orgPinned", "providerValues", "scim", "scimDeleted",
		"created", "modified", "createIndex", "modifyIndex"}
	eventKeys = []string{"seq", "time", "source", "action", "outcome", "provider", "userId", "userName",
		"requestId", "revision", "detail", "changes"}
	changeKeys = []string{"field", "old", "new"}
)

func (d *commandReader) command(c *Command) bool {
	return d.object(commandKeys, func(key string) bool {
		switch key {
		case "type":
			return d.str(&c.Type)
		case "time":
			return d.time(&c.Time)
		case "nameRule":
			var n int64
			ok := d.int(&n)
			c.NameRule = int(n)
			return ok && int64(c.NameRule) == n
		case "userWrite":
			c.UserWrite = new(UserWrite)
			return d.userWrite(c.UserWrite)
		}
		return false
	})
}

func (d *commandReader) userWrite(w *UserWrite) bool {
	return d.object(userWriteKeys, func(key string) bool {
		switch key {
		case "provider":
			return d.str(&w.Provider)
		case "providerIndex":
			return d.uint(&w.ProviderIndex)
		case "user":
			if bytes.HasPrefix(d.b[d.i:], []byte("null")) {
				d.i += 4
				w.User = nil
				return true
			}
			w.User = new(User)
			return d.user(w.User)
		case "expectIndex":
			return d.uint(&w.ExpectIndex)
		case "active":
			w.Active = new(bool)
			return d.bool(w.Active)
		case "leaveGroups":
			return d.bool(&w.LeaveGroups)
		case "event":
			w.Event = new(SyncEvent)
			return d.event(w.Event)
		}
		return false
	})
}

func (d *commandReader) user(u *User) bool {
	return d.object(userKeys, func(key string) bool {
		if s := userStrings(u, key); s != nil {
			return d.str(s)
		}
		if b := userFlags(u, key); b != nil {
			return d.bool(b)
		}
		if t := userTimes(u, key); t != nil {
			return d.time(t)
		}
		switch key {
		case "roles":
			return d.strings(&u.Roles)
		case "due":
			return d.int(&u.Due)
		case "providerValues":
			return d.stringMap(&u.ProviderValues)
		case "scim":
			return d.resource(&u.SCIM)
		case "createIndex":
			return d.uint(&u.CreateIndex)
		case "modifyIndex":
			return d.uint(&u.ModifyIndex)
		}
		return false
	})
}

// userStrings returns the string field of u that key names, or nil.
func userStrings(u *User, key string) *string {
	switch key {
	case "id":
		return &u.ID
	case "provider":
		return &u.Provider
	case "userName":
		return &u.UserName
	case "externalId":
		return &u.ExternalID
	case "organization":
		return &u.Organization
	case "state":
		return &u.State
	case "givenName":
		return &u.GivenName
	case "familyName":
		return &u.FamilyName
	case "email":
		return &u.Email
	case "title":
		return &u.Title
	case "division":
		return &u.Division
	case "department":
		return &u.Department
	case "employeeType":
		return &u.EmployeeType
	case "city":
		return &u.City
	case "region":
		return &u.Region
	case "country":
		return &u.Country
	}
	return nil
}

// userFlags returns the bool field of u that key names, or nil.
func userFlags(u *User, key string) *bool {
	switch key {
	case "deprovisioned":
		return &u.Deprovisioned
	case "adminBlocked":
		return &u.AdminBlocked
	case "legalHold":
		return &u.LegalHold
	case "deactivationPaused":
		return &u.DeactivationPaused
	case "orgPinned":
		return &u.OrgPinned
	case "scimDeleted":
		return &u.SCIMDeleted
	}
	return nil
}

// userTimes returns the time field of u that key names, or nil.
func userTimes(u *User, key string) *time.Time {
	switch key {
	case "deactivateAt":
		return &u.DeactivateAt
	case "deactivatedAt":
		return &u.DeactivatedAt
	case "purgeAt":
		return &u.PurgeAt
	case "heldNotedAt":
		return &u.HeldNotedAt
	case "created":
		return &u.Created
	case "modified":
		return &u.Modified
	}
	return nil
}

func (d *commandReader) event(e *SyncEvent) bool {
	return d.object(eventKeys, func(key string) bool {
		switch key {
		case "seq":
			return d.uint(&e.Seq)
		case "time":
			return d.time(&e.Time)
		case "source":
			return d.str(&e.Source)
		case "action":
			return d.str(&e.Action)
		case "outcome":
			return d.str(&e.Outcome)
		case "provider":
			return d.str(&e.Provider)
		case "userId":
			return d.str(&e.UserID)
		case "userName":
			return d.str(&e.UserName)
		case "requestId":
			return d.str(&e.RequestID)
		case "revision":
			return d.str(&e.Revision)
		case "detail":
			return d.str(&e.Detail)
		case "changes":
			return d.changes(&e.Changes)
		}
		return false
	})
}

func (d *commandReader) changes(out *[]Change) bool {
	list := []Change{}
	ok := d.list('[', ']', func() bool {
		var c Change
		ok := d.object(changeKeys, func(key string) bool {
			switch key {
			case "field":
				return d.str(&c.Field)
			case "old":
				return d.str(&c.Old)
			case "new":
				return d.str(&c.New)
			}
			return false
		})
		list = append(list, c)
		return ok
	})
	*out = list
	return ok
}
