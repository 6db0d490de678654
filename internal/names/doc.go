// Package names holds the rules for the names clients choose, a user's
// userName and a group's displayName, which SCIM, the admin API and the
// CLI share: which new names are accepted (Check), when two names are the
// same (Fold), and how any text a client chose is printed in a terminal
// (Escape, Ellipsize).
package names
