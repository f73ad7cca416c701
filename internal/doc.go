// Package internal groups small neutral leaf packages shared by scimd's
// layers: request context keys (reqctx), password hashing (password),
// logging (logging) and test database helpers (testdb). Configuration is
// the CLI's flags (cmd/scimd), passed down as scim.Config and
// sqlstore.Config. They hold no domain logic and import no other scimd package
// except each other.
package internal
