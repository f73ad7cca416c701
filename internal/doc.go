// Package internal groups small neutral leaf packages shared by scimd's
// layers: request context keys (reqctx), password hashing (password),
// configuration (config), logging (logging) and test database helpers
// (testdb). They hold no domain logic and import no other scimd package
// except each other.
package internal
