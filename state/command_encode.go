package state

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/reconcile-dev/reconcile/internal/jsonquote"
)

// encodeCommand returns cmd as it is logged: exactly the bytes
// json.Marshal gives, so that the log's format does not depend on which
// encoder wrote it (TestEncodeCommandMatchesJSON). A user write, the
// command of every SCIM write to a user, is appended field by field
// without reflection, in one allocation sized beforehand; the other
// commands, and a user write holding what would make the two encoders
// differ (see userWriteEncodable), go through json.Marshal.
func encodeCommand(cmd *Command) ([]byte, error) {
	if !userWriteEncodable(cmd) {
		return json.Marshal(cmd)
	}
	w := cmd.UserWrite
	b := make([]byte, 0, userWriteSize(w))
	b = append(b, `{"type":`...)
	b = appendJSONString(b, cmd.Type)
	b = append(b, `,"time":`...)
	b = appendJSONTime(b, cmd.Time)
	if cmd.NameRule != 0 {
		b = append(b, `,"nameRule":`...)
		b = strconv.AppendInt(b, int64(cmd.NameRule), 10)
	}
	b = append(b, `,"userWrite":`...)
	b, err := appendUserWrite(b, w)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// userWriteSize is about the size of w encoded: its keys and times, its
// numbers at their widest (20 digits), and its strings as they are
// (escaping them takes more).
func userWriteSize(w *UserWrite) int {
	const numbers = 6 * 20 // providerIndex, expectIndex, createIndex, modifyIndex, due, seq
	n := 128 + numbers + len(w.Provider)
	if u := w.User; u != nil {
		n += 400 + u.SCIM.JSONLen() + len(u.ID) + len(u.Provider) + len(u.UserName) + len(u.ExternalID) +
			len(u.Organization) + len(u.State) + len(u.GivenName) + len(u.FamilyName) + len(u.Email) +
			len(u.Title) + len(u.Division) + len(u.Department) + len(u.EmployeeType) + len(u.City) +
			len(u.Region) + len(u.Country)
		for _, t := range [...]time.Time{u.DeactivateAt, u.DeactivatedAt, u.PurgeAt, u.HeldNotedAt} {
			if !t.IsZero() {
				n += 56
			}
		}
		for _, r := range u.Roles {
			n += 3 + len(r)
		}
		for k, v := range u.ProviderValues {
			n += 6 + len(k) + len(v)
		}
	}
	if e := w.Event; e != nil {
		n += 128 + len(e.Source) + len(e.Action) + len(e.Outcome) + len(e.Provider) + len(e.UserID) +
			len(e.UserName) + len(e.RequestID) + len(e.Revision) + len(e.Detail)
		for _, c := range e.Changes {
			n += 40 + len(c.Field) + len(c.Old) + len(c.New)
		}
	}
	return n
}

// userWriteEncodable reports whether encodeCommand appends cmd itself: a
// user write and no other payload, every time in it one that
// time.Time.MarshalJSON accepts, and its stored SCIM resource valid and
// written as json.Marshal would write it (compact, and without the
// characters it escapes).
func userWriteEncodable(cmd *Command) bool {
	if cmd.Type != CmdUserWrite || cmd.UserWrite == nil ||
		cmd.ConfigApply != nil || cmd.GroupWrite != nil || cmd.SyncEvent != nil ||
		cmd.UserAdmin != nil || cmd.DeactivationsResolve != nil || cmd.LoopControl != nil || cmd.SecretRotate != nil {
		return false
	}
	if !jsonTimeOK(cmd.Time) {
		return false
	}
	if e := cmd.UserWrite.Event; e != nil && !jsonTimeOK(e.Time) {
		return false
	}
	u := cmd.UserWrite.User
	if u == nil {
		return true
	}
	for _, t := range [...]time.Time{u.DeactivateAt, u.DeactivatedAt, u.PurgeAt, u.HeldNotedAt, u.Created, u.Modified} {
		if !jsonTimeOK(t) {
			return false
		}
	}
	// Packed, it is compact: a resource stored before packing that is
	// not is packed here to tell.
	return len(u.SCIM) == 0 || u.SCIM.packed().Marshalled()
}

// jsonTimeOK reports whether time.Time.MarshalJSON accepts t: a year of
// four digits and a zone offset under a day.
func jsonTimeOK(t time.Time) bool {
	if y := t.Year(); y < 0 || y > 9999 {
		return false
	}
	_, off := t.Zone()
	return off > -24*60*60 && off < 24*60*60
}

func appendUserWrite(b []byte, w *UserWrite) ([]byte, error) {
	b = append(b, '{')
	if w.Provider != "" {
		b = append(b, `"provider":`...)
		b = appendJSONString(b, w.Provider)
		b = append(b, ',')
	}
	if w.ProviderIndex != 0 {
		b = append(b, `"providerIndex":`...)
		b = strconv.AppendUint(b, w.ProviderIndex, 10)
		b = append(b, ',')
	}
	b = append(b, `"user":`...)
	if w.User == nil {
		b = append(b, "null"...)
	} else {
		var err error
		if b, err = appendUser(b, w.User); err != nil {
			return nil, err
		}
	}
	if w.ExpectIndex != 0 {
		b = append(b, `,"expectIndex":`...)
		b = strconv.AppendUint(b, w.ExpectIndex, 10)
	}
	if w.Active != nil {
		b = append(b, `,"active":`...)
		b = strconv.AppendBool(b, *w.Active)
	}
	if w.LeaveGroups {
		b = append(b, `,"leaveGroups":true`...)
	}
	if w.Event != nil {
		b = append(b, `,"event":`...)
		b = appendSyncEvent(b, w.Event)
	}
	return append(b, '}'), nil
}

func appendUser(b []byte, u *User) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, u.ID)
	b = appendOptString(b, `,"provider":`, u.Provider)
	b = append(b, `,"userName":`...)
	b = appendJSONString(b, u.UserName)
	b = appendOptString(b, `,"externalId":`, u.ExternalID)
	b = append(b, `,"organization":`...)
	b = appendJSONString(b, u.Organization)
	b = append(b, `,"state":`...)
	b = appendJSONString(b, u.State)
	b = appendOptString(b, `,"givenName":`, u.GivenName)
	b = appendOptString(b, `,"familyName":`, u.FamilyName)
	b = appendOptString(b, `,"email":`, u.Email)
	b = appendOptString(b, `,"title":`, u.Title)
	b = appendOptString(b, `,"division":`, u.Division)
	b = appendOptString(b, `,"department":`, u.Department)
	b = appendOptString(b, `,"employeeType":`, u.EmployeeType)
	b = appendOptString(b, `,"city":`, u.City)
	b = appendOptString(b, `,"region":`, u.Region)
	b = appendOptString(b, `,"country":`, u.Country)
	if len(u.Roles) > 0 {
		b = append(b, `,"roles":`...)
		for i, r := range u.Roles {
			b = append(b, listSep(i, '['))
			b = appendJSONString(b, r)
		}
		b = append(b, ']')
	}
	b = appendOptBool(b, `,"deprovisioned":true`, u.Deprovisioned)
	b = appendOptBool(b, `,"adminBlocked":true`, u.AdminBlocked)
	b = appendOptBool(b, `,"legalHold":true`, u.LegalHold)
	b = appendOptTime(b, `,"deactivateAt":`, u.DeactivateAt)
	b = appendOptBool(b, `,"deactivationPaused":true`, u.DeactivationPaused)
	b = appendOptTime(b, `,"deactivatedAt":`, u.DeactivatedAt)
	b = appendOptTime(b, `,"purgeAt":`, u.PurgeAt)
	if u.Due != 0 {
		b = append(b, `,"due":`...)
		b = strconv.AppendInt(b, u.Due, 10)
	}
	b = appendOptTime(b, `,"heldNotedAt":`, u.HeldNotedAt)
	b = appendOptBool(b, `,"orgPinned":true`, u.OrgPinned)
	if len(u.ProviderValues) > 0 {
		b = append(b, `,"providerValues":`...)
		b = appendStringMap(b, u.ProviderValues)
	}
	if len(u.SCIM) > 0 {
		b = append(b, `,"scim":`...)
		var err error
		if b, err = u.SCIM.AppendJSON(b); err != nil {
			return nil, err
		}
	}
	b = appendOptBool(b, `,"scimDeleted":true`, u.SCIMDeleted)
	b = append(b, `,"created":`...)
	b = appendJSONTime(b, u.Created)
	b = append(b, `,"modified":`...)
	b = appendJSONTime(b, u.Modified)
	b = append(b, `,"createIndex":`...)
	b = strconv.AppendUint(b, u.CreateIndex, 10)
	b = append(b, `,"modifyIndex":`...)
	b = strconv.AppendUint(b, u.ModifyIndex, 10)
	return append(b, '}'), nil
}

func appendSyncEvent(b []byte, e *SyncEvent) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"time":`...)
	b = appendJSONTime(b, e.Time)
	b = append(b, `,"source":`...)
	b = appendJSONString(b, e.Source)
	b = append(b, `,"action":`...)
	b = appendJSONString(b, e.Action)
	b = append(b, `,"outcome":`...)
	b = appendJSONString(b, e.Outcome)
	b = appendOptString(b, `,"provider":`, e.Provider)
	b = appendOptString(b, `,"userId":`, e.UserID)
	b = appendOptString(b, `,"userName":`, e.UserName)
	b = appendOptString(b, `,"requestId":`, e.RequestID)
	b = appendOptString(b, `,"revision":`, e.Revision)
	b = appendOptString(b, `,"detail":`, e.Detail)
	if len(e.Changes) > 0 {
		b = append(b, `,"changes":`...)
		for i, c := range e.Changes {
			b = append(b, listSep(i, '['))
			b = append(b, `{"field":`...)
			b = appendJSONString(b, c.Field)
			b = appendOptString(b, `,"old":`, c.Old)
			b = appendOptString(b, `,"new":`, c.New)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendStringMap appends m as json.Marshal does: keys in order.
func appendStringMap(b []byte, m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		b = append(b, listSep(i, '{'))
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

// listSep is what comes before the element i of a list or object that
// open opens.
func listSep(i int, open byte) byte {
	if i == 0 {
		return open
	}
	return ','
}

func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return appendJSONString(append(b, key...), s)
}

func appendOptBool(b []byte, keyTrue string, v bool) []byte {
	if !v {
		return b
	}
	return append(b, keyTrue...)
}

func appendOptTime(b []byte, key string, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return appendJSONTime(append(b, key...), t)
}

// appendJSONTime appends t as time.Time.MarshalJSON does, for a t that
// jsonTimeOK accepts.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendJSONString appends s quoted as json.Marshal quotes a string.
func appendJSONString(b []byte, s string) []byte { return jsonquote.Append(b, s) }
